// ICE candidates on their way out: filtered (privacy), then batched (fewer signals per call).
import type { NegotiationTimers } from './negotiate.js';

/** Decides whether a local candidate may be sent to the other side. */
export type CandidateFilter = (candidate: RTCIceCandidateInit) => boolean;

/** The parts of an `a=candidate` / `candidate:` line a filter usually needs. */
export interface CandidateFields {
  /** `host`, `srflx`, `prflx` or `relay`. */
  type: string;
  address: string;
  protocol: string;
}

/** Parse `candidate:<foundation> <component> <protocol> <priority> <address> <port> typ <type> ...`. */
export function candidateFields(candidate: RTCIceCandidateInit | string): CandidateFields | undefined {
  const line = typeof candidate === 'string' ? candidate : (candidate.candidate ?? '');
  const parts = line.replace(/^a=/, '').split(' ');
  if (!parts[0]?.startsWith('candidate:') || parts[6] !== 'typ' || parts[7] === undefined) return undefined;
  return { protocol: parts[2]!.toLowerCase(), address: parts[4]!, type: parts[7] };
}

const PRIVATE_V4 = [/^10\./, /^127\./, /^169\.254\./, /^192\.168\./, /^172\.(1[6-9]|2\d|3[01])\./, /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./];

/** True for loopback, link-local, private (RFC 1918, CGNAT, ULA) and mDNS (`*.local`) addresses. */
export function isPrivateAddress(address: string): boolean {
  const a = address.toLowerCase();
  if (a.endsWith('.local')) return true;
  if (a.includes(':')) return a === '::1' || /^f[cd]/.test(a) || /^fe[89ab]/.test(a);
  return PRIVATE_V4.some((re) => re.test(a));
}

/** Ready-made filters for `negotiate({ candidateFilter })`. */
export const candidateFilters = {
  /** Only TURN relay candidates: the other side never learns an address of this device. */
  relayOnly: ((c) => candidateFields(c)?.type === 'relay') as CandidateFilter,
  /** Drop candidates whose address is private, loopback, link-local or an mDNS name. */
  noPrivateAddresses: ((c) => {
    const fields = candidateFields(c);
    return fields !== undefined && !isPrivateAddress(fields.address);
  }) as CandidateFilter,
};

/**
 * Remove from an SDP the `a=candidate` lines the filter refuses: a description made after
 * gathering (a renegotiation, an ICE restart) lists candidates gathered so far.
 */
export function filterSdp(sdp: string, filter: CandidateFilter): string {
  let mid: string | null = null;
  let index = -1;
  return sdp
    .split('\r\n')
    .filter((line) => {
      if (line.startsWith('m=')) index++;
      else if (line.startsWith('a=mid:')) mid = line.slice(6);
      else if (line.startsWith('a=candidate:')) return filter({ candidate: line.slice(2), sdpMid: mid, sdpMLineIndex: index });
      return true;
    })
    .join('\r\n');
}

/**
 * Collects candidates for `window` ms after the first one and sends them as one signal;
 * end-of-candidates flushes at once and rides along (never alone: the other side does not
 * need it, and a signal of its own would cost a request, an answer and a notification).
 * A window of 0 sends each candidate alone.
 */
export class CandidateBatch {
  #pending: RTCIceCandidateInit[] = [];
  #timer: unknown;

  constructor(
    private readonly window: number,
    private readonly timers: NegotiationTimers,
    private readonly send: (candidates: RTCIceCandidateInit[], end: boolean) => void,
  ) {}

  add(candidate: RTCIceCandidateInit): void {
    this.#pending.push(candidate);
    if (this.window <= 0) return this.flush(false);
    this.#timer ??= this.timers.setTimeout(() => this.flush(false), this.window);
  }

  /** Send what is pending now; with `end`, also say that gathering is complete. */
  flush(end: boolean): void {
    if (this.#timer !== undefined) this.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    this.send(this.#pending.splice(0), end);
  }

  close(): void {
    if (this.#timer !== undefined) this.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = [];
  }
}
