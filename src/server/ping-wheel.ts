import type { TimerHandle } from '../env.js';
import type { ServerEnv } from './env.js';
import type { Link } from './link.js';

/** The wheel's resolution (ms): pings due within one tick go out together. */
export const PING_TICK_MS = 250;
/** The shortest client heartbeat interval the server pings for; shorter ones are raised to it. */
export const MIN_HEARTBEAT_MS = 1_000;
/** Asks for an answer. Every one carries this id: the server needs no round-trip time, only the pong. */
const PING = '{"type":"ping","id":0}';
/** A pong that answers no ping: proof of life for the client, which needs no answer. */
const BEAT = '{"type":"pong","id":0}';
/** Without an idle timeout the server still hears from a pinged client this often. */
const ANSWER_WITHOUT_IDLE_TIMEOUT_MS = 30_000;

/**
 * How long a client may go unheard before the server's next beat asks for an answer: half of
 * `idleTimeout`, which leaves the other half for the answer (every beat until then asks again).
 */
export function answerAfter(idleTimeout: number): number {
  return idleTimeout > 0 ? idleTimeout / 2 : ANSWER_WITHOUT_IDLE_TIMEOUT_MS;
}

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
 * Server-side heartbeats for idle sockets (clients that sent `hello.heartbeat`), driven by one
 * coarse timer instead of one per socket. Sockets sit in buckets by the tick at which their
 * silence reaches their `pingAfter`; each tick writes to every socket in its bucket at once, so
 * the writes share one wake-up. A socket that was sent something since it was bucketed is
 * moved to the bucket of its new due time instead: busy sockets get nothing.
 *
 * The client only needs to hear something; the server only needs to hear from the client
 * within its idle timeout. So the heartbeat is a `pong` that answers no ping and needs no
 * answer, and only a client unheard for `answerAfter` gets a `ping`, which it answers: per
 * idle socket one write per period and one read every few periods, instead of a round trip
 * per period (a write is most of what a ping costs the server).
 */
export class PingWheel {
  /** Tick number (time / PING_TICK_MS, rounded down) -> sockets due then. */
  readonly #buckets = new Map<number, Link[]>();
  #timer: TimerHandle | undefined;
  readonly #env: Pick<ServerEnv, 'now' | 'setInterval' | 'clearInterval'>;
  /** Ask for an answer (`ping`) once the client has been unheard this long; else a `pong` beat. */
  readonly #answerAfter: number;

  constructor(env: Pick<ServerEnv, 'now' | 'setInterval' | 'clearInterval'>, answerAfter: number) {
    this.#env = env;
    this.#answerAfter = answerAfter;
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
          link.send(now - link.lastSeen >= this.#answerAfter ? PING : BEAT); // sets lastSent
          this.#put(link, now + link.pingAfter);
        }
      }
    }
    if (this.#buckets.size === 0) this.stop(); // restarted by the next add()
  }
}
