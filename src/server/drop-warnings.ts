/** Timers as the server's environment provides them (injected, so tests can drive them). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** One aggregated NOTIFICATIONS_DROPPED warning per session per this many ms, at most. */
export const DROP_WARNING_INTERVAL_MS = 1_000;

interface Burst {
  count: number;
  why: string;
  timer: unknown;
}

/**
 * Turns drops into few warnings: the first drop of a burst is reported at once; drops in
 * the next DROP_WARNING_INTERVAL_MS are counted and reported together when it ends, and so
 * on while the burst lasts. A busy room then costs one warning per second per session, not
 * one per notification.
 */
export class DropWarnings {
  private readonly bursts = new Map<string, Burst>();

  constructor(
    private readonly timers: Timers,
    /** Emits one warning: `count` notifications dropped for `peerId`; `why` names the limit. */
    private readonly emit: (peerId: string, count: number, why: string) => void,
    private readonly intervalMs = DROP_WARNING_INTERVAL_MS,
  ) {}

  dropped(peerId: string, count: number, why: string): void {
    const burst = this.bursts.get(peerId);
    if (burst !== undefined) {
      burst.count += count;
      burst.why = why;
      return;
    }
    this.emit(peerId, count, why);
    this.open(peerId);
  }

  /** The session ended: report what is counted and stop its timer. */
  end(peerId: string): void {
    const burst = this.bursts.get(peerId);
    if (burst === undefined) return;
    this.timers.clearTimeout(burst.timer);
    this.bursts.delete(peerId);
    if (burst.count > 0) this.emit(peerId, burst.count, burst.why);
  }

  /** Stop every timer without reporting (the server is shutting down). */
  clear(): void {
    for (const burst of this.bursts.values()) this.timers.clearTimeout(burst.timer);
    this.bursts.clear();
  }

  private open(peerId: string): void {
    const burst: Burst = { count: 0, why: '', timer: undefined };
    burst.timer = this.timers.setTimeout(() => {
      this.bursts.delete(peerId);
      if (burst.count === 0) return; // the burst is over
      this.emit(peerId, burst.count, burst.why);
      this.open(peerId);
    }, this.intervalMs);
    this.bursts.set(peerId, burst);
  }
}
