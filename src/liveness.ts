import type { Env, TimerHandle } from './env.js';
import type { HeartbeatOptions } from './options.js';

export interface LivenessHooks {
  /** Write a ping frame with this id on the current link. */
  sendPing(id: number): void;
  /** Nothing was heard for `maxMissed` intervals (or for one interval after a probe). */
  onDead(): void;
  /** A pong came back: round-trip time in ms. */
  onRtt(ms: number): void;
}

/**
 * `lastFrameAt` when no frame has arrived since start() or the last probe. A number rather
 * than `undefined`, so that the store in received() stays a plain number write.
 */
const NONE = -Infinity;

/**
 * Application-level keepalive for one open link. Browsers can't send WebSocket pings and a
 * blackholed TCP connection never closes by itself, so silence is the only reliable signal.
 *
 * The link is dead once nothing has arrived for `maxMissed × interval` (counted from the
 * last frame, or from start()), or for one interval after a probe. There is one timer, set
 * for whichever comes first: the next ping or that deadline. Frames only move the deadline
 * later, so received() just records the time; a timer that wakes up before a deadline
 * which has since moved goes back to sleep without pinging. The worst case from the last
 * frame to onDead() is therefore `maxMissed × interval` plus however late the timer fires.
 *
 * A server that keeps idle links alive itself (`welcome.heartbeat`: beats, and pings the
 * Peer answers) keeps frames coming: then a ping falls due only once nothing has arrived for
 * a whole interval, so an idle client sends none of its own. The deadline is the same either way.
 */
export class Liveness {
  #timer: TimerHandle | undefined;
  /** When the timer is due. */
  #dueAt = 0;
  #nextPingAt = 0;
  /** When the last frame arrived, or NONE if nothing has arrived since start() or the last probe. */
  #lastFrameAt = NONE;
  /** While lastFrameAt is NONE: when the silence began (start(), or the last frame before the probe). */
  #silentSince = 0;
  /** While lastFrameAt is NONE: when the link is dead. */
  #silentDeadline = 0;
  /** A probe's ping is out and nothing has arrived since (while lastFrameAt is NONE). */
  #probing = false;
  #nextPingId = 1;
  /** The server keeps this link alive when idle: no ping of ours while a frame came within this long (0: always ping). */
  #quiet = 0;
  readonly #sentAt = new Map<number, number>();
  readonly #env: Pick<Env, 'now' | 'setTimeout' | 'clearTimeout'>;
  readonly #options: Required<HeartbeatOptions>;
  readonly #hooks: LivenessHooks;

  constructor(env: Pick<Env, 'now' | 'setTimeout' | 'clearTimeout'>, options: Required<HeartbeatOptions>, hooks: LivenessHooks) {
    this.#env = env;
    this.#options = options;
    this.#hooks = hooks;
  }

  /** `serverPings`: the server pings this link whenever it has sent nothing for a while. */
  start(serverPings = false): void {
    this.stop();
    this.#quiet = serverPings ? this.#options.interval : 0;
    const now = this.#env.now();
    // start() is not a sign of life, but the silence is counted from here.
    this.#lastFrameAt = NONE;
    this.#probing = false;
    this.#silentSince = now;
    this.#silentDeadline = now + this.#options.maxMissed * this.#options.interval;
    // Ping at once: RTT is known right away, and a link that is dead from the start has
    // been pinged maxMissed times by the time its deadline comes.
    this.#ping(now);
    this.#schedule(now);
  }

  stop(): void {
    if (this.#timer !== undefined) this.#env.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#sentAt.clear();
  }

  /** Any inbound frame proves the link is alive. Runs for every frame: keep it to this one write. */
  received(): void {
    this.#lastFrameAt = this.#env.now();
  }

  /** ms since the last inbound frame (or since start(), if none arrived since). */
  silentFor(): number {
    return this.#env.now() - (this.#lastFrameAt === NONE ? this.#silentSince : this.#lastFrameAt);
  }

  pong(id: number): void {
    const sentAt = this.#sentAt.get(id);
    if (sentAt === undefined) return;
    this.#sentAt.delete(id);
    this.#hooks.onRtt(this.#env.now() - sentAt);
  }

  /**
   * Doubt the link now (network went offline, page became visible again): ping at once and
   * declare it dead unless something arrives within one interval. A deadline that was
   * already closer stays.
   */
  probe(): void {
    if (this.#timer === undefined) return;
    this.#env.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#doubt(this.#env.now());
  }

  /** When the link is dead unless a frame arrives before then. */
  #deadline(): number {
    if (this.#lastFrameAt === NONE) return this.#silentDeadline;
    return this.#lastFrameAt + this.#options.maxMissed * this.#options.interval;
  }

  #tick(): void {
    this.#timer = undefined;
    const now = this.#env.now();
    // A timer that fires far too late means the tab was throttled or the machine slept:
    // silence during that time proves nothing, so probe instead of declaring death. But if
    // the previous probe's ping got no frame at all in a whole (late) period, it has had its
    // interval: otherwise a throttled background tab would probe forever on a dead link.
    if (this.#late(now)) {
      if (!(this.#probing && this.#lastFrameAt === NONE)) return this.#doubt(now);
      this.stop();
      this.#hooks.onDead();
      return;
    }
    if (now >= this.#deadline()) {
      this.stop();
      this.#hooks.onDead();
      return;
    }
    // Otherwise this is a ping, or a wake-up for a deadline that a frame has since moved.
    // A frame within the quiet time already proves the link: look again that long after it.
    if (now >= this.#nextPingAt) {
      if (now - this.#lastFrameAt < this.#quiet) this.#nextPingAt = this.#lastFrameAt + this.#quiet;
      else this.#ping(now);
    }
    this.#schedule(now);
  }

  #doubt(now: number): void {
    const interval = this.#options.interval;
    // An overdue timer (the clock jumped while we slept) may leave a deadline in the past:
    // that silence proves nothing, so the probe gets its full interval.
    const deadline = this.#late(now) ? now + interval : Math.min(this.#deadline(), now + interval);
    if (this.#lastFrameAt !== NONE) this.#silentSince = this.#lastFrameAt;
    // Only a frame that arrives from now on answers the probe.
    this.#lastFrameAt = NONE;
    this.#probing = true;
    this.#silentDeadline = deadline;
    this.#ping(now);
    this.#schedule(now);
  }

  /** The timer is (or should have been) due more than one interval ago. */
  #late(now: number): boolean {
    return now - this.#dueAt > this.#options.interval;
  }

  /** Every ping, the probe's included, puts the next one a full interval later. */
  #ping(now: number): void {
    const id = this.#nextPingId++;
    // Keep only recent pings: a lost pong must not grow the map forever.
    if (this.#sentAt.size >= this.#options.maxMissed + 2) this.#sentAt.delete(this.#sentAt.keys().next().value!);
    this.#sentAt.set(id, now);
    this.#nextPingAt = now + this.#options.interval;
    this.#hooks.sendPing(id);
  }

  #schedule(now: number): void {
    this.#dueAt = Math.max(now, Math.min(this.#nextPingAt, this.#deadline()));
    this.#timer = this.#env.setTimeout(() => this.#tick(), this.#dueAt - now);
  }
}
