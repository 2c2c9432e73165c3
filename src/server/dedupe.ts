/** `response` is the encoded response frame, or undefined while the handler still runs. */
export interface DedupeEntry {
  response: string | undefined;
  expires: number;
}

/** One per request: a fixed-shape class. Running entries never expire. */
class Entry implements DedupeEntry {
  response: string | undefined = undefined;
  expires = Infinity;
  /** Deleted from the Map: a hole in `order`. */
  gone = false;
  constructor(readonly id: string) {}
}

/** How often, at most, an insert scans for expired entries. */
const SWEEP_EVERY_MS = 1_000;

/**
 * Request ids a session has seen, so a handler runs at most once per id. Expiry is lazy:
 * an expired entry is ignored on lookup and removed by a sweep that runs on insert, so
 * the hot path creates no timers.
 */
export class DedupeCache {
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

  constructor(
    private readonly windowMs: number,
    private readonly limit: number,
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
    if (previous !== undefined) previous.gone = true; // started again while still remembered
    this.entries.set(id, entry);
    this.order.push(entry);
    if (now >= this.nextSweep || this.entries.size > this.limit) this.sweep(now);
  }

  /** Record the response for `id`; it is served to replays for the dedupe window. */
  finish(id: string, response: string, now: number): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    entry.response = response;
    entry.expires = now + this.windowMs;
  }

  get size(): number {
    return this.entries.size;
  }

  private sweep(now: number): void {
    this.nextSweep = now + Math.min(this.windowMs, SWEEP_EVERY_MS);
    const { entries, order } = this;
    let atHead = true; // only holes and removed entries so far: the head can move past them
    for (let i = this.head; i < order.length; i++) {
      const entry = order[i]!;
      if (entry.gone) {
        // A hole: forgotten already.
      } else if (entry.expires <= now) {
        this.forget(entry);
      } else if (entry.response !== undefined && entries.size > this.limit) {
        this.forget(entry); // over the limit: forget the oldest answered id
      } else if (entry.response !== undefined) {
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
    entry.gone = true;
    this.entries.delete(entry.id);
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
