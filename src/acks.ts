import type { Env, TimerHandle } from './env.js';

export interface AckOptions {
  /**
   * Acknowledge after this many notifications, without waiting for `delay`. The reference
   * server keeps at most 1,000 unacknowledged notifications (`maxBufferedNotifications`); keep
   * this well below the server's limit so a fast stream never outruns it. @default 64
   */
  every?: number;
  /** Acknowledge at most this long (ms) after a notification arrived, if fewer than `every` came. @default 250 */
  delay?: number;
}

/**
 * When to acknowledge notifications: after `every` of them or `delay` ms after the first
 * unacknowledged one, whichever comes first, so the server can free its resend buffer as the
 * client reads rather than with each ping. One counter per notification; at most one timer
 * per `delay` window; nothing is sent while nothing new arrived.
 */
export class AckSchedule {
  #unacked = 0;
  #timer: TimerHandle | undefined;
  readonly #env: Pick<Env, 'setTimeout' | 'clearTimeout'>;
  readonly #every: number;
  readonly #delay: number;
  readonly #send: () => void;
  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#flush();
  };

  constructor(env: Pick<Env, 'setTimeout' | 'clearTimeout'>, options: Required<AckOptions>, send: () => void) {
    this.#env = env;
    this.#every = options.every;
    this.#delay = options.delay;
    this.#send = send;
  }

  /** A notification with a seq was accepted. */
  received(): void {
    if (++this.#unacked >= this.#every) this.#flush();
    else if (this.#timer === undefined) this.#timer = this.#env.setTimeout(this.#onTimer, this.#delay);
  }

  /** The highest seq went out another way (a ping): nothing is owed until more arrive. */
  sent(): void {
    this.#unacked = 0;
  }

  /** The link is gone: its `hello` will carry the ack. */
  stop(): void {
    this.#unacked = 0;
    if (this.#timer !== undefined) this.#env.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #flush(): void {
    if (this.#unacked === 0) return;
    this.#unacked = 0;
    this.#send();
  }
}
