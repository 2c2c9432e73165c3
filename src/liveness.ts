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
 * Application-level keepalive for one open link. Browsers can't send WebSocket pings and a
 * blackholed TCP connection never closes by itself, so silence is the only reliable signal.
 */
export class Liveness {
  private timer: TimerHandle | undefined;
  private dueAt = 0;
  private heard = true;
  private lastHeardAt = 0;
  private missed = 0;
  private nextPingId = 1;
  private readonly sentAt = new Map<number, number>();

  constructor(
    private readonly env: Pick<Env, 'now' | 'setTimeout' | 'clearTimeout'>,
    private readonly options: Required<HeartbeatOptions>,
    private readonly hooks: LivenessHooks,
  ) {}

  start(): void {
    this.stop();
    this.heard = false;
    this.lastHeardAt = this.env.now();
    this.missed = 0;
    // Ping at once and expect its pong within the first interval: RTT is known right away,
    // and a link that dies just after opening is dead after maxMissed intervals, not one more.
    this.ping();
    this.schedule();
  }

  stop(): void {
    if (this.timer !== undefined) this.env.clearTimeout(this.timer);
    this.timer = undefined;
    this.sentAt.clear();
  }

  /** Any inbound frame proves the link is alive. */
  received(): void {
    this.heard = true;
    this.lastHeardAt = this.env.now();
  }

  /** ms since the last inbound frame. */
  silentFor(): number {
    return this.env.now() - this.lastHeardAt;
  }

  pong(id: number): void {
    const sentAt = this.sentAt.get(id);
    if (sentAt === undefined) return;
    this.sentAt.delete(id);
    this.hooks.onRtt(this.env.now() - sentAt);
  }

  /**
   * Doubt the link now (network went offline, page became visible again, a timer ran late):
   * ping at once and declare it dead unless something arrives within one interval.
   */
  probe(): void {
    if (this.timer === undefined) return;
    this.env.clearTimeout(this.timer);
    this.heard = false;
    this.missed = this.options.maxMissed - 1;
    this.ping();
    this.schedule();
  }

  private tick(): void {
    this.timer = undefined;
    // A timer that fires far too late means the tab was throttled or the machine slept:
    // silence during that time proves nothing, so probe instead of counting misses.
    if (this.env.now() - this.dueAt > this.options.interval) {
      this.heard = false;
      this.missed = this.options.maxMissed - 1;
      this.ping();
      this.schedule();
      return;
    }
    this.missed = this.heard ? 0 : this.missed + 1;
    this.heard = false;
    if (this.missed >= this.options.maxMissed) {
      this.stop();
      this.hooks.onDead();
      return;
    }
    this.ping();
    this.schedule();
  }

  private ping(): void {
    const id = this.nextPingId++;
    // Keep only recent pings: a lost pong must not grow the map forever.
    if (this.sentAt.size >= this.options.maxMissed + 2) this.sentAt.delete(this.sentAt.keys().next().value!);
    this.sentAt.set(id, this.env.now());
    this.hooks.sendPing(id);
  }

  private schedule(): void {
    this.dueAt = this.env.now() + this.options.interval;
    this.timer = this.env.setTimeout(() => this.tick(), this.options.interval);
  }
}
