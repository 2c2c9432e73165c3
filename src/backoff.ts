import type { BackoffOptions } from './options.js';

/** Wait before the next attempt: the schedule entry for `waitIndex` (the last one repeats), jittered. */
export function backoffDelay(schedule: readonly number[], waitIndex: number, jitter: number, random: () => number): number {
  const base = schedule[Math.min(waitIndex, schedule.length - 1)] ?? 0;
  return Math.round(base * (1 - jitter + 2 * jitter * random()));
}

export interface AttemptPlan {
  /** 1-based number of this attempt since the link was last stable (or since the start). */
  attempt: number;
  url: string;
  /** How long to wait before the attempt (ms). */
  delay: number;
  /** True when the attempts that just failed covered every url once. */
  exhausted: boolean;
}

/**
 * Staged backoff with round-robin failover. Pure bookkeeping: the Peer tells it what happened,
 * it answers where to go next and how long to wait. No timers here.
 */
export class ReconnectSchedule {
  #urlIndex = 0;
  #attempts = 0;
  #waits = 0;
  #failedInPass = 0;
  #established = false;
  readonly #urls: readonly string[];
  readonly #options: Required<BackoffOptions>;
  readonly #random: () => number;

  constructor(urls: readonly string[], options: Required<BackoffOptions>, random: () => number) {
    this.#urls = urls;
    this.#options = options;
    this.#random = random;
  }

  /** The very first attempt: preferred url, no wait. */
  start(): AttemptPlan {
    this.#urlIndex = 0;
    this.#attempts = 1;
    return { attempt: 1, url: this.#urls[0]!, delay: 0, exhausted: false };
  }

  /** The current attempt reached `welcome`. Does not reset the schedule: only `stable()` does. */
  opened(): void {
    this.#established = true;
    this.#failedInPass = 0;
  }

  /** The link has stayed open long enough to trust it: the next drop starts a fresh schedule. */
  stable(): void {
    this.#attempts = 0;
    this.#waits = 0;
  }

  /**
   * The current attempt failed (`dropped` false) or the open link dropped (`dropped` true).
   * Returns the next attempt, or null when `maxAttempts` attempts have failed in a row.
   */
  next(dropped: boolean): AttemptPlan | null {
    if (!dropped) this.#failedInPass++;
    if (this.#attempts >= this.#options.maxAttempts) return null;
    const exhausted = this.#failedInPass >= this.#urls.length;
    if (exhausted) this.#failedInPass = 0;
    const schedule = this.#established ? this.#options.reconnect : this.#options.connect;
    const delay = backoffDelay(schedule, this.#waits++, this.#options.jitter, this.#random);
    this.#urlIndex = (this.#urlIndex + 1) % this.#urls.length;
    this.#attempts++;
    return { attempt: this.#attempts, url: this.#urls[this.#urlIndex]!, delay, exhausted };
  }

  /**
   * The open link must be replaced at once on the same url (its token expired; the session is
   * still there). Only from a stable link: a server that keeps closing a fresh link gets the
   * usual backoff, so a token that is already expired cannot make a tight loop.
   */
  again(): AttemptPlan | null {
    if (this.#attempts > 0) return this.next(true);
    this.#attempts = 1;
    return { attempt: 1, url: this.#urls[this.#urlIndex]!, delay: 0, exhausted: false };
  }

  /** Attempts counted towards `maxAttempts` so far. */
  get attemptCount(): number {
    return this.#attempts;
  }
}
