/**
 * Peer ids whose secret was revoked by `kick()`: a `hello` resuming one gets a fresh id.
 * Bounded in time (`ttlMs`) and in count (`max`, the oldest forgotten first), so kicks
 * cannot grow memory without limit: ~100 bytes per record. Per process: other nodes of a
 * cluster do not learn of it (README, "Security model").
 */
export class Revocations {
  /** Peer id → time its revocation ends; insertion order is expiry order (one fixed ttl). */
  private readonly until = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
  ) {}

  revoke(peerId: string, now: number): void {
    this.prune(now);
    this.until.delete(peerId); // re-inserted at the back: it now expires last
    this.until.set(peerId, now + this.ttlMs);
    if (this.until.size > this.max) this.until.delete(this.until.keys().next().value!);
  }

  revoked(peerId: string, now: number): boolean {
    const until = this.until.get(peerId);
    return until !== undefined && until > now;
  }

  get size(): number {
    return this.until.size;
  }

  private prune(now: number): void {
    for (const [peerId, until] of this.until) {
      if (until > now) break;
      this.until.delete(peerId);
    }
  }
}
