/** `response` is the encoded response frame, or undefined while the handler still runs. */
export interface DedupeEntry {
  response: string | undefined;
  expires: number;
}

/** How often, at most, an insert scans for expired entries. */
const SWEEP_EVERY_MS = 1_000;

/**
 * Request ids a session has seen, so a handler runs at most once per id. Expiry is lazy:
 * an expired entry is ignored on lookup and removed by a sweep that runs on insert, so
 * the hot path creates no timers.
 */
export class DedupeCache {
  // A Map iterates in insertion order, so its front holds the oldest requests.
  private readonly entries = new Map<string, DedupeEntry>();
  private nextSweep = 0;

  constructor(
    private readonly windowMs: number,
    private readonly limit: number,
  ) {}

  /** The live entry for `id`, or undefined if it was never seen or has expired. */
  get(id: string, now: number): DedupeEntry | undefined {
    const entry = this.entries.get(id);
    if (entry !== undefined && entry.expires <= now) {
      this.entries.delete(id);
      return undefined;
    }
    return entry;
  }

  /** Record that the handler for `id` started. Running entries never expire. */
  start(id: string, now: number): void {
    this.entries.set(id, { response: undefined, expires: Infinity });
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
    for (const [id, entry] of this.entries) {
      if (entry.expires <= now) {
        this.entries.delete(id);
      } else if (entry.response !== undefined && this.entries.size > this.limit) {
        this.entries.delete(id); // over the limit: forget the oldest answered id
      } else if (entry.response !== undefined) {
        break; // the rest is newer; entries found expired later are ignored by get()
      }
      // Running entries are skipped, never evicted: that would let a replay run twice.
    }
  }
}
