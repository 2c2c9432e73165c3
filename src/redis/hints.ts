import type { Redis } from 'ioredis';
import type { StoreHints } from '../server/store/store.js';

/**
 * One node's hint channel: the scripts publish what other nodes did to the sessions this
 * node holds, as JSON arrays (`['n', peer, seq, text]`, `['a', peer, text]`,
 * `['r', peer, fence, why, reason]`). Pub/sub is at most once, so it is only a hint: after
 * each reconnect of the subscriber this subscribes again, then asks the node to re-read
 * every session it holds (`resync`).
 */
export class HintChannel {
  private subscribed = false;
  private closed = false;

  constructor(
    private readonly sub: Redis,
    private readonly channel: string,
    private readonly hints: StoreHints,
  ) {}

  /** Subscribe now (the subscriber is ready) and from then on after every reconnect. */
  async start(): Promise<void> {
    this.sub.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.dispatch(message);
    });
    this.sub.on('ready', () => void this.resubscribe());
    await this.sub.subscribe(this.channel);
    this.subscribed = true;
  }

  stop(): void {
    this.closed = true;
  }

  private async resubscribe(): Promise<void> {
    if (this.closed || !this.subscribed) return;
    try {
      await this.sub.subscribe(this.channel);
    } catch {
      return; // dropped again: the next 'ready' retries
    }
    // Only now: a hint published between the drop and this subscribe was lost, and the
    // re-read that resync triggers starts after the subscription is back.
    if (!this.closed) this.hints.resync();
  }

  private dispatch(message: string): void {
    let hint: unknown;
    try {
      hint = JSON.parse(message);
    } catch {
      return; // not ours: the channel is namespaced, so only a foreign publisher sends this
    }
    if (!Array.isArray(hint)) return;
    const [kind, peerId] = hint as [unknown, unknown];
    if (typeof peerId !== 'string') return;
    if (kind === 'n') this.hints.notes(peerId, [{ seq: Number(hint[2]), text: String(hint[3]) }]);
    else if (kind === 'a') this.hints.answer(peerId, String(hint[2]));
    else if (kind === 'r') this.hints.revoked(peerId, Number(hint[2]), hint[3] as 'replaced' | 'kicked' | 'closed', String(hint[4]));
  }
}
