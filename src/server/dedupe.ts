import { utf8Length } from '../protocol/codec.js';

/**
 * What a replay is answered with: the encoded response frame, or a function that encodes
 * it afresh (a `join` answers with the room's current members rather than keeping a copy
 * of the member list per request). Undefined while the handler still runs.
 */
export type CachedResponse = string | (() => string);

export interface DedupeEntry {
  response: CachedResponse | undefined;
  expires: number;
}

/**
 * Bytes charged per entry besides its response: the id, the Map slot and the Entry object
 * (measured with `--expose-gc`: ~120 B for a 21-character id; rounded up).
 */
export const ENTRY_OVERHEAD_BYTES = 160;

/** One per request: a fixed-shape class. Running entries never expire. */
class Entry implements DedupeEntry {
  response: CachedResponse | undefined = undefined;
  expires = Infinity;
  /** Charged against the byte limit: overhead + UTF-8 bytes of a string response. */
  bytes: number;
  /** Deleted from the Map: a hole in `order`. */
  gone = false;
  constructor(readonly id: string) {
    this.bytes = ENTRY_OVERHEAD_BYTES + id.length;
  }
}

/** How often, at most, an insert scans for expired entries. */
const SWEEP_EVERY_MS = 1_000;

/**
 * Request ids a session has seen, so a handler runs at most once per id. Bounded in count
 * and in bytes: over either limit the oldest answered ids are forgotten (never a running
 * one, and never the newest answer, so one oversized answer is still kept). Expiry is lazy:
 * an expired entry is ignored on lookup and removed by a sweep that runs on insert, so
 * the hot path creates no timers.
 */
export class DedupeCache {
  /** The session whose socket gets an answer that arrives after its handler ran (it may change hands). */
  owner: { readonly link?: { send(text: string): void } | undefined } | undefined;
  private readonly entries = new Map<string, Entry>();
  /**
   * Entries in insertion order, oldest from `head` on; an entry no longer in `entries`
   * (expired on lookup, or removed behind a running one) is a hole that sweeps skip. Kept
   * beside the Map because iterating a Map whose front was just deleted walks over the
   * deleted slots until the table is rehashed: a full scan per insert at the limit.
   */
  private order: Entry[] = [];
  private head = 0;
  private nextSweep = 0;
  private charged = 0;
  private runningCount = 0;
  /** Latest `expires` of an answered entry: the cache holds nothing useful after it. */
  private lastExpiry = 0;

  constructor(
    private readonly windowMs: number,
    private readonly limit: number,
    private readonly maxBytes: number = Infinity,
  ) {}

  /** The live entry for `id`, or undefined if it was never seen or has expired. */
  get(id: string, now: number): DedupeEntry | undefined {
    const entry = this.entries.get(id);
    if (entry !== undefined && entry.expires <= now) {
      this.forget(entry);
      return undefined;
    }
    return entry;
  }

  /** Record that the handler for `id` started. Running entries never expire. */
  start(id: string, now: number): void {
    const entry = new Entry(id);
    const previous = this.entries.get(id);
    if (previous !== undefined) this.forget(previous); // started again while still remembered
    this.entries.set(id, entry);
    this.order.push(entry);
    this.charged += entry.bytes;
    this.runningCount++;
    if (now >= this.nextSweep || (this.over() && this.entries.size > this.runningCount)) this.sweep(now);
  }

  /** Record the response for `id`; it is served to replays for the dedupe window. */
  finish(id: string, response: CachedResponse, now: number): void {
    const entry = this.entries.get(id);
    if (entry === undefined || entry.response !== undefined) return;
    entry.response = response;
    entry.expires = now + this.windowMs;
    this.lastExpiry = entry.expires;
    this.runningCount--;
    if (typeof response === 'string') {
      const bytes = utf8Length(response);
      entry.bytes += bytes;
      this.charged += bytes;
      // Only when another answer can go: running entries alone are never swept (no scan per request).
      if (this.charged > this.maxBytes && this.entries.size - this.runningCount > 1) this.sweep(now, entry);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** Bytes charged for the entries held (see ENTRY_OVERHEAD_BYTES). */
  get bytes(): number {
    return this.charged;
  }

  /** Handlers started and not yet answered. */
  get running(): number {
    return this.runningCount;
  }

  /** True when nothing in the cache can still matter at `now`: no running handler, every answer expired. */
  spent(now: number): boolean {
    return this.runningCount === 0 && this.lastExpiry <= now;
  }

  /** Forget every answered entry at once (the peer id was revoked); running ones stay until they answer. */
  clear(): void {
    for (const entry of this.entries.values()) if (entry.response !== undefined) this.forget(entry);
    this.compact();
  }

  private over(): boolean {
    return this.entries.size > this.limit || this.charged > this.maxBytes;
  }

  /** `keep` is the entry just answered: never evicted by its own arrival. */
  private sweep(now: number, keep?: Entry): void {
    this.nextSweep = now + Math.min(this.windowMs, SWEEP_EVERY_MS);
    const { entries, order } = this;
    let atHead = true; // only holes and removed entries so far: the head can move past them
    for (let i = this.head; i < order.length; i++) {
      const entry = order[i]!;
      const over = this.over();
      if (entry.gone) {
        // A hole: forgotten already.
      } else if (entry.expires <= now) {
        this.forget(entry);
      } else if (entry.response !== undefined && over && entry !== keep) {
        this.forget(entry); // over a limit: forget the oldest answered id
      } else if (entry.response !== undefined && !over) {
        break; // the rest is newer; entries found expired later are ignored by get()
      } else {
        atHead = false; // running entries are skipped, never evicted: that would let a replay run twice
        continue;
      }
      if (atHead) this.head = i + 1;
    }
    this.compact();
  }

  private forget(entry: Entry): void {
    if (entry.gone) return;
    entry.gone = true;
    if (entry.response === undefined) this.runningCount--;
    this.charged -= entry.bytes;
    entry.response = undefined; // release the answer now, not when `order` is compacted
    if (this.entries.get(entry.id) === entry) this.entries.delete(entry.id);
  }

  /** Drop the consumed front, and the holes once they outnumber the live entries. */
  private compact(): void {
    const { order, head } = this;
    if (order.length - head > 2 * this.entries.size + 64) {
      this.order = order.slice(head).filter((entry) => !entry.gone);
      this.head = 0;
    } else if (head > 1024 && head * 2 > order.length) {
      this.order = order.slice(head);
      this.head = 0;
    }
  }
}
