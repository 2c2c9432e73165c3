import type { TimerHandle } from '../env.js';
import type { ServerEnv } from './env.js';
import type { Link } from './link.js';

/** The wheel's resolution (ms): pings due within one tick go out together. */
export const PING_TICK_MS = 250;
/** The shortest client heartbeat interval the server pings for; shorter ones are raised to it. */
export const MIN_HEARTBEAT_MS = 1_000;
/** Every server ping carries this id: the server needs no round-trip time, only the pong. */
const PING = '{"type":"ping","id":0}';

/**
 * How long the server lets a client of heartbeat `interval` go without a frame before it
 * pings: early enough that the ping reaches the client before the client's own ping is due
 * (it pings once it has heard nothing for one interval). A ping goes out up to one tick
 * early or late, so two ticks are kept free, or half the interval for short ones.
 */
export function pingAfter(interval: number): number {
  const ms = Math.max(interval, MIN_HEARTBEAT_MS);
  return Math.max(ms / 2, ms - 2 * PING_TICK_MS);
}

/**
 * Server-side pings of idle sockets (clients that sent `hello.heartbeat`), driven by one
 * coarse timer instead of one per socket. Sockets sit in buckets by the tick at which their
 * silence reaches their `pingAfter`; each tick pings every socket in its bucket at once, so
 * the writes go out in one wake-up and the pongs come back together, sharing the server's
 * wake-ups too. A socket that was sent something since it was bucketed is moved to the
 * bucket of its new due time instead: busy sockets are never pinged.
 */
export class PingWheel {
  /** Tick number (time / PING_TICK_MS, rounded down) -> sockets due then. */
  readonly #buckets = new Map<number, Link[]>();
  #timer: TimerHandle | undefined;
  readonly #env: Pick<ServerEnv, 'now' | 'setInterval' | 'clearInterval'>;

  constructor(env: Pick<ServerEnv, 'now' | 'setInterval' | 'clearInterval'>) {
    this.#env = env;
  }

  /** Ping `link` whenever it has been sent nothing for `link.pingAfter` ms, until it closes. */
  add(link: Link): void {
    this.#put(link, link.lastSent + link.pingAfter);
    this.#timer ??= this.#env.setInterval(() => this.#tick(), PING_TICK_MS);
  }

  stop(): void {
    if (this.#timer !== undefined) this.#env.clearInterval(this.#timer);
    this.#timer = undefined;
    this.#buckets.clear();
  }

  #put(link: Link, dueAt: number): void {
    const tick = Math.floor(dueAt / PING_TICK_MS);
    const bucket = this.#buckets.get(tick);
    if (bucket === undefined) this.#buckets.set(tick, [link]);
    else bucket.push(link);
  }

  #tick(): void {
    const now = this.#env.now();
    const current = Math.floor(now / PING_TICK_MS);
    // Few buckets (one per tick of the longest interval): collect the due ones first, as
    // rebucketing adds keys while we go.
    const due: number[] = [];
    for (const tick of this.#buckets.keys()) if (tick <= current) due.push(tick);
    for (const tick of due) {
      const links = this.#buckets.get(tick)!;
      this.#buckets.delete(tick);
      for (const link of links) {
        if (link.state !== 'open') continue; // closed: it leaves the wheel here
        const dueAt = link.lastSent + link.pingAfter;
        if (Math.floor(dueAt / PING_TICK_MS) > current) this.#put(link, dueAt);
        else {
          link.send(PING); // sets lastSent
          this.#put(link, now + link.pingAfter);
        }
      }
    }
    if (this.#buckets.size === 0) this.stop(); // restarted by the next add()
  }
}
