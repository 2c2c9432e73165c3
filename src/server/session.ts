import { timingSafeEqual } from 'node:crypto';
import type { TimerHandle } from '../env.js';
import { DedupeCache } from './dedupe.js';
import type { ServerEnv } from './env.js';
import type { Link } from './link.js';
import type { NormalizedOptions } from './options.js';
import { Outbox } from './outbox.js';

/**
 * What outlives a socket: the peer id, the secret that proves ownership of it, the
 * request de-duplication cache and the unacknowledged notifications.
 */
export class Session {
  readonly dedupe: DedupeCache;
  readonly outbox: Outbox;
  /** The welcomed socket currently holding the session, if any. */
  link: Link | undefined;
  private expiry: TimerHandle | undefined;

  constructor(
    readonly id: string,
    readonly secret: string,
    options: Pick<NormalizedOptions, 'dedupeWindow' | 'dedupeLimit' | 'maxBufferedNotifications' | 'maxBufferedBytes'>,
    private readonly timers: Pick<ServerEnv, 'setTimeout' | 'clearTimeout'>,
  ) {
    this.dedupe = new DedupeCache(options.dedupeWindow, options.dedupeLimit);
    this.outbox = new Outbox(options.maxBufferedNotifications, options.maxBufferedBytes);
  }

  /** Constant-time comparison, so the secret cannot be guessed from response timings. */
  ownedBy(secret: string): boolean {
    const a = Buffer.from(secret);
    const b = Buffer.from(this.secret);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** Call `onExpire` after `ms` unless a resume cancels it first. */
  expireIn(ms: number, onExpire: () => void): void {
    this.cancelExpiry();
    this.expiry = this.timers.setTimeout(onExpire, ms);
  }

  cancelExpiry(): void {
    if (this.expiry !== undefined) this.timers.clearTimeout(this.expiry);
    this.expiry = undefined;
  }
}
