import type { TimerHandle } from '../env.js';
import { DedupeCache } from './dedupe.js';
import type { ServerEnv } from './env.js';
import type { Link } from './link.js';
import type { NormalizedOptions } from './options.js';
import { Outbox } from './outbox.js';
import { sameText } from './secrets.js';

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
    options: Pick<NormalizedOptions, 'dedupeWindow' | 'dedupeLimit' | 'dedupeMaxBytes' | 'maxBufferedNotifications' | 'maxBufferedBytes'>,
    private readonly timers: Pick<ServerEnv, 'setTimeout' | 'clearTimeout'>,
    /** The cache of an ended session under this id, so its request ids stay de-duplicated. */
    dedupe?: DedupeCache,
  ) {
    this.dedupe = dedupe ?? new DedupeCache(options.dedupeWindow, options.dedupeLimit, options.dedupeMaxBytes);
    this.dedupe.owner = this; // a handler still running for the ended session answers this one
    this.outbox = new Outbox(options.maxBufferedNotifications, options.maxBufferedBytes);
  }

  /** What `authenticate` returned as `auth` for the socket holding the session (the latest one). */
  get auth(): unknown {
    return this.link?.auth;
  }

  /** Constant-time comparison, so the secret cannot be guessed from response timings. */
  ownedBy(secret: string): boolean {
    return sameText(this.secret, secret);
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
