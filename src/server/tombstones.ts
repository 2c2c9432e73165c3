import type { DedupeCache } from './dedupe.js';

interface Tombstone {
  cache: DedupeCache;
  /** Ended at; the record goes once the cache is spent and this is a window ago. */
  since: number;
  /** The cache's bytes when buried (a running handler may add its answer later, within the cache's own limit). */
  bytes: number;
}

/**
 * De-duplication caches of ended sessions, by peer id, so a request id stays deduplicated
 * for `dedupeWindow` whether or not its session lived: a client that comes back later under
 * the same id (with its secret) gets the cache back, and a replay of a request whose
 * handler already ran (or still runs) is answered from it instead of running again.
 * Bounded in bytes across all ended sessions (`maxBytes`); past it the oldest go first.
 * Pruned lazily, on every `bury` and `take`.
 */
export class Tombstones {
  private readonly byPeer = new Map<string, Tombstone>();
  private bytes = 0;

  constructor(
    private readonly windowMs: number,
    private readonly maxBytes: number,
  ) {}

  bury(peerId: string, cache: DedupeCache, now: number): void {
    this.prune(now);
    this.drop(peerId);
    if (cache.size === 0 || cache.spent(now)) return;
    this.byPeer.set(peerId, { cache, since: now, bytes: cache.bytes });
    this.bytes += cache.bytes;
    for (const [id, stone] of this.byPeer) {
      if (this.bytes <= this.maxBytes || this.byPeer.size === 1) break;
      if (stone.cache.running > 0) continue; // a running handler's entry must not be lost
      this.drop(id);
    }
  }

  /** The ended session's cache for `peerId`, handed over once; undefined when none is kept. */
  take(peerId: string, now: number): DedupeCache | undefined {
    this.prune(now);
    const stone = this.byPeer.get(peerId);
    if (stone === undefined) return undefined;
    this.drop(peerId);
    return stone.cache;
  }

  /** Forget the cache of `peerId` (its id was revoked: nobody can come back under it). */
  drop(peerId: string): void {
    const stone = this.byPeer.get(peerId);
    if (stone === undefined) return;
    this.byPeer.delete(peerId);
    this.bytes -= stone.bytes;
  }

  get size(): number {
    return this.byPeer.size;
  }

  private prune(now: number): void {
    for (const [peerId, stone] of this.byPeer) {
      if (stone.since + this.windowMs > now) break;
      if (stone.cache.spent(now)) this.drop(peerId);
    }
  }
}
