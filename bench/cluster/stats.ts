// Per-recipient bookkeeping of the numbered messages of sender.ts: latencies, duplicates, gaps.
import { monotonicMs } from './sender.js';

export class Inbox {
  readonly latencies: number[] = [];
  received = 0;
  lastAt = 0;
  private readonly seen = new Map<string, Set<number>>();
  duplicates = 0;

  /** Count one message for `peer`; `keepLatency` false during warm-up. */
  add(peer: string, message: { s: number; t: number }, keepLatency = true): void {
    const at = monotonicMs();
    this.received++;
    this.lastAt = at;
    if (keepLatency) this.latencies.push(at - message.t);
    let seen = this.seen.get(peer);
    if (seen === undefined) this.seen.set(peer, (seen = new Set()));
    if (seen.has(message.s)) this.duplicates++;
    else seen.add(message.s);
  }

  /** Messages numbered 1..sent[peer] that never arrived. */
  lost(sent: Record<string, number>): number {
    let lost = 0;
    for (const [peer, count] of Object.entries(sent)) {
      const seen = this.seen.get(peer);
      for (let s = 1; s <= count; s++) if (!seen?.has(s)) lost++;
    }
    return lost;
  }

  distinct(): number {
    let n = 0;
    for (const seen of this.seen.values()) n += seen.size;
    return n;
  }
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Wait until `done()` or `capMs`; true if done. */
export async function until(done: () => boolean, capMs: number, stepMs = 10): Promise<boolean> {
  const deadline = Date.now() + capMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
  return true;
}
