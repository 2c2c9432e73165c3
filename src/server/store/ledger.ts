import { ENTRY_OVERHEAD_BYTES } from '../dedupe.js';
import type { Claim } from './store.js';

interface Running {
  answered: false;
  fence: number;
  until: number;
  bytes: number;
}

interface Answered {
  answered: true;
  text: string;
  expires: number;
  bytes: number;
}

type Entry = Running | Answered;

/**
 * One peer id's request ids, for the memory store: a lease for each running handler (a
 * node that dies while running one loses it once `leaseMs` passes without renewal, and
 * the next replay reruns it under a higher fence) and the answer of each finished one for
 * `windowMs`. Bounded like the server's own cache: over `limit` entries or `maxBytes`, the
 * oldest answers go first; running entries are never evicted.
 */
export class Ledger {
  /** Insertion order is age order: an id claimed again is re-inserted at the back. */
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(
    private readonly limits: { leaseMs: number; dedupeWindow: number; dedupeLimit: number; dedupeMaxBytes: number },
    private readonly nextFence: () => number,
  ) {}

  claim(requestId: string, now: number): Claim {
    const entry = this.entries.get(requestId);
    if (entry?.answered === true && entry.expires > now) return { kind: 'answer', text: entry.text };
    if (entry?.answered === false && entry.until > now) return { kind: 'wait', until: entry.until };
    const rerun = entry?.answered === false;
    if (entry !== undefined) this.remove(requestId, entry);
    const fence = this.nextFence();
    const running: Running = { answered: false, fence, until: now + this.limits.leaseMs, bytes: ENTRY_OVERHEAD_BYTES + requestId.length };
    this.entries.set(requestId, running);
    this.bytes += running.bytes;
    this.trim(now, requestId);
    return { kind: 'run', fence, rerun };
  }

  renew(requestId: string, fence: number, now: number): boolean {
    const entry = this.entries.get(requestId);
    if (entry?.answered !== false || entry.fence !== fence) return false;
    entry.until = now + this.limits.leaseMs;
    return true;
  }

  /** False when the lease `fence` is no longer the entry's: a newer run answers instead. */
  finish(requestId: string, fence: number, text: string, now: number): boolean {
    const entry = this.entries.get(requestId);
    if (entry?.answered !== false || entry.fence !== fence) return false;
    this.remove(requestId, entry);
    const answered: Answered = { answered: true, text, expires: now + this.limits.dedupeWindow, bytes: ENTRY_OVERHEAD_BYTES + requestId.length + text.length };
    this.entries.set(requestId, answered);
    this.bytes += answered.bytes;
    this.trim(now, requestId);
    return true;
  }

  /** An answer recorded without a lease (a room request, atomic with its effect). */
  remember(requestId: string, text: string, now: number): void {
    const entry = this.entries.get(requestId);
    if (entry !== undefined) this.remove(requestId, entry);
    const answered: Answered = { answered: true, text, expires: now + this.limits.dedupeWindow, bytes: ENTRY_OVERHEAD_BYTES + requestId.length + text.length };
    this.entries.set(requestId, answered);
    this.bytes += answered.bytes;
    this.trim(now, requestId);
  }

  /** The cached answer of `requestId`, if any and not expired. */
  answer(requestId: string, now: number): string | undefined {
    const entry = this.entries.get(requestId);
    return entry?.answered === true && entry.expires > now ? entry.text : undefined;
  }

  /** True when nothing here matters any more: no running handler, every answer expired. */
  spent(now: number): boolean {
    this.trim(now, undefined);
    return this.entries.size === 0;
  }

  clear(): void {
    for (const [id, entry] of this.entries) if (entry.answered) this.remove(id, entry);
  }

  private remove(requestId: string, entry: Entry): void {
    this.entries.delete(requestId);
    this.bytes -= entry.bytes;
  }

  /** Forget expired answers, then the oldest answers while over a limit; never `keep`, never a running one. */
  private trim(now: number, keep: string | undefined): void {
    const { dedupeLimit, dedupeMaxBytes } = this.limits;
    for (const [id, entry] of this.entries) {
      const over = this.entries.size > dedupeLimit || this.bytes > dedupeMaxBytes;
      if (!entry.answered || id === keep) continue;
      if (entry.expires <= now || over) this.remove(id, entry);
      else if (!over) break;
    }
  }
}
