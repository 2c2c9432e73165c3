// WebRTC negotiation over a resignal room, with the "perfect negotiation" pattern
// (https://w3c.github.io/webrtc-pc/#perfect-negotiation-example): either side may start a
// (re)negotiation at any time; when both offer at once, the polite side yields and the
// impolite side ignores the other offer. Only lib.dom *types* are used: the
// RTCPeerConnection is passed in, so this file never reaches for a browser global.

import type { Env } from '../env.js';
import { CandidateBatch, filterSdp, type CandidateFilter } from './candidates.js';

/**
 * A signal exchanged with the other side: a description, trickled candidates (negotiate()
 * sends them in batches, `candidates` with `end` once gathering is complete, and accepts the
 * single `candidate` form too), or `{ rtc: 'resync' }` (signals to the sender were lost:
 * send a pending offer again).
 */
export type RtcSignal =
  | { rtc: 'description'; description: RTCSessionDescriptionInit }
  | { rtc: 'candidate'; candidate: RTCIceCandidateInit }
  | { rtc: 'candidates'; candidates: RTCIceCandidateInit[]; end?: true }
  | { rtc: 'resync' };

export interface SignalEventLike {
  from: string;
  data: unknown;
}

/** The parts of a resignal `Room` that `negotiate()` uses. */
export interface NegotiationRoom {
  signal(to: string, data: unknown): Promise<unknown>;
  on(event: 'signal', listener: (event: SignalEventLike) => void): unknown;
  on(event: 'rejoined' | 'notifications-lost', listener: () => void): unknown;
  off(event: 'signal', listener: (event: SignalEventLike) => void): unknown;
  off(event: 'rejoined' | 'notifications-lost', listener: () => void): unknown;
}

/** Something that fires `open` after every (re)connect of the signaling link: a resignal `Peer`. */
export interface SignalingLink {
  on(event: 'open', listener: () => void): unknown;
  off(event: 'open', listener: () => void): unknown;
  /** ICE servers from the server's latest `welcome` (`peer.iceServers`): applied to the connection after each reconnect. */
  readonly iceServers?: RTCIceServer[] | undefined;
}

export interface NegotiateOptions {
  /**
   * This side's peer id (`peer.id`). The side with the smaller id is polite. Ids survive
   * reconnects, so the roles never flip in the middle of a call.
   */
  localId?: string;
  /** Set the role yourself instead of deriving it from `localId`. */
  polite?: boolean;
  /** Checked after every reconnect: if ICE is down by then, it is restarted. @default undefined */
  link?: SignalingLink;
  /**
   * How long (ms) the polite side waits for the other side's first offer before it makes its
   * own. Both sides offering at once the very first time is the one collision Chromium does
   * not always survive: rolling back a first offer that opened the data channel's transport
   * can make the answer fail with "Failed to start SCTP transport". 0 offers at once.
   * @default 1000
   */
  initialOfferDelay?: number;
  /**
   * Restart ICE when the connection stays `disconnected` this long (ms). `failed` always
   * restarts at once. 0 waits for `failed` (about 17 s after the path died in Chromium).
   * @default 5000
   */
  disconnectedTimeout?: number;
  /** Errors from the PeerConnection or from sending signals. @default console.error */
  onError?: (error: unknown) => void;
  /** Where the two timers above come from (tests pass fakes). @default the runtime's setTimeout/clearTimeout */
  timers?: NegotiationTimers;
  /**
   * Candidates gathered within this many ms of the first one go out as one signal
   * (end-of-candidates flushes at once). 0 sends each candidate alone.
   * @default 50
   */
  candidateBatch?: number;
  /**
   * Local candidates this returns false for are never sent (nor left in a description),
   * e.g. `candidateFilters.noPrivateAddresses` or `candidateFilters.relayOnly`.
   * @default undefined (send every candidate)
   */
  candidateFilter?: CandidateFilter;
}

/** The timer functions `negotiate()` uses: the same pair a Peer takes from its `env`. */
export type NegotiationTimers = Pick<Env, 'setTimeout' | 'clearTimeout'>;

const runtimeTimers: NegotiationTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface Negotiation {
  /** True when this side yields (rolls back its own offer) in an offer collision. */
  readonly polite: boolean;
  /** Start an ICE restart now, e.g. after the app saw the network change. */
  restartIce(): void;
  /** Remove every listener `negotiate()` added. The PeerConnection itself stays open. Idempotent. */
  close(): void;
}

/** True for the side that yields in a collision: the one with the smaller id. */
export function isPolite(localId: string, remoteId: string): boolean {
  if (localId === remoteId) throw new TypeError(`resignal: negotiate() needs two different peer ids, got "${localId}" twice`);
  return localId < remoteId;
}

/** The `RtcSignal` inside a room signal, or undefined when it is some other app message. */
export function parseRtcSignal(data: unknown): RtcSignal | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const signal = data as { rtc?: unknown; description?: unknown; candidate?: unknown };
  if (signal.rtc === 'description') {
    const d = signal.description as { type?: unknown; sdp?: unknown } | null;
    const types: readonly unknown[] = ['offer', 'answer', 'pranswer', 'rollback'];
    if (typeof d !== 'object' || d === null || !types.includes(d.type) || (d.sdp !== undefined && typeof d.sdp !== 'string')) return undefined;
    return { rtc: 'description', description: { type: d.type as RTCSdpType, ...(d.sdp !== undefined && { sdp: d.sdp as string }) } };
  }
  if (signal.rtc === 'candidate') return isCandidate(signal.candidate) ? { rtc: 'candidate', candidate: signal.candidate } : undefined;
  if (signal.rtc === 'candidates') {
    const { candidates, end } = signal as { candidates?: unknown; end?: unknown };
    if (!Array.isArray(candidates) || !candidates.every(isCandidate) || (end !== undefined && end !== true)) return undefined;
    return { rtc: 'candidates', candidates, ...(end === true && { end }) };
  }
  if (signal.rtc === 'resync') return { rtc: 'resync' };
  return undefined;
}

function isCandidate(c: unknown): c is RTCIceCandidateInit {
  return typeof c === 'object' && c !== null && typeof (c as { candidate?: unknown }).candidate === 'string';
}

/**
 * Negotiate `pc` with `remoteId` through `room`: sends offers, answers and trickled ICE
 * candidates as room signals, applies the ones `remoteId` sends, resolves offer collisions,
 * and restarts ICE when the connection fails. Add tracks and data channels to `pc` whenever
 * you like; each change is negotiated. Call it right after creating `pc`, on both sides.
 */
export function negotiate(
  pc: RTCPeerConnection,
  room: NegotiationRoom,
  remoteId: string,
  options: NegotiateOptions = {},
): Negotiation {
  const polite = options.polite ?? (options.localId !== undefined ? isPolite(options.localId, remoteId) : undefined);
  if (polite === undefined) throw new TypeError('resignal: negotiate() needs `localId` (your peer.id) or `polite` in its options');
  const disconnectedTimeout = options.disconnectedTimeout ?? 5000;
  const initialOfferDelay = options.initialOfferDelay ?? 1000;
  const report = options.onError ?? ((error: unknown) => console.error('resignal negotiate:', error));
  const timers = options.timers ?? runtimeTimers;
  const keep = options.candidateFilter;

  let makingOffer = false;
  let ignoreOffer = false;
  let closed = false;
  let inbox: Promise<void> = Promise.resolve();
  let disconnectedTimer: unknown;
  /** The polite side's first offer, held back to give the other side's first offer a head start. */
  let firstOfferTimer: unknown;
  let firstOfferWaited = !polite || initialOfferDelay <= 0;
  /** Candidates gathered while a local description is being set wait until it has been sent. */
  let held: RTCIceCandidateInit[] | undefined;
  /** Gathering completed while candidates were held. */
  let heldEnd = false;

  const send = (signal: RtcSignal): void => {
    if (!closed) room.signal(remoteId, signal).catch(report);
  };
  const sendDescription = (): void => {
    const d = pc.localDescription;
    if (d) send({ rtc: 'description', description: { type: d.type, sdp: keep ? filterSdp(d.sdp, keep) : d.sdp } });
  };
  const batch = new CandidateBatch(options.candidateBatch ?? 50, timers, (candidates, end) =>
    send(candidates.length === 1 && !end ? { rtc: 'candidate', candidate: candidates[0]! } : { rtc: 'candidates', candidates, ...(end && { end }) }),
  );

  /** Set a local description (an offer, or the answer to the remote offer) and send it, then its candidates. */
  const describe = async (offering: boolean): Promise<void> => {
    held ??= [];
    try {
      await pc.setLocalDescription();
      // A colliding remote offer may have rolled our offer back already; then there is nothing to send.
      if (!offering || pc.signalingState === 'have-local-offer') sendDescription();
    } finally {
      const candidates = held;
      const end = heldEnd;
      held = undefined;
      heldEnd = false;
      for (const candidate of candidates) batch.add(candidate);
      batch.flush(end); // they waited for the description already
    }
  };

  const offer = async (): Promise<void> => {
    try {
      makingOffer = true;
      await describe(true);
    } catch (error) {
      report(error);
    } finally {
      makingOffer = false;
    }
  };

  const onNegotiationNeeded = (): void => {
    if (!firstOfferWaited && pc.remoteDescription === null) {
      // If the other side's first offer comes meanwhile we answer it, and the browser fires
      // negotiationneeded again afterwards if we still have something to add.
      firstOfferTimer ??= timers.setTimeout(() => {
        firstOfferWaited = true;
        if (!closed && pc.signalingState === 'stable' && pc.remoteDescription === null) void offer();
      }, initialOfferDelay);
      return;
    }
    void offer();
  };

  const onIceCandidate = (event: RTCPeerConnectionIceEvent): void => {
    // A null candidate means "gathering finished": it flushes the batch and rides along.
    if (!event.candidate) {
      if (held) heldEnd = true;
      else batch.flush(true);
      return;
    }
    const candidate = event.candidate.toJSON();
    if (keep && !keep(candidate)) return;
    if (held) held.push(candidate);
    else batch.add(candidate);
  };

  const addCandidate = async (candidate: RTCIceCandidateInit): Promise<void> => {
    try {
      await pc.addIceCandidate(candidate);
    } catch (error) {
      // Candidates of an offer we ignored have no matching description here.
      if (!ignoreOffer) throw error;
    }
  };

  const apply = async (signal: RtcSignal): Promise<void> => {
    if (signal.rtc === 'resync') return resendOffer();
    if (signal.rtc === 'candidate') return addCandidate(signal.candidate);
    if (signal.rtc === 'candidates') {
      for (const candidate of signal.candidates) await addCandidate(candidate);
      // End-of-candidates only helps ICE conclude sooner; a browser that refuses it loses nothing.
      if (signal.end && pc.remoteDescription) await pc.addIceCandidate({ candidate: '' }).catch(() => {});
      return;
    }
    const { description } = signal;
    const collision = description.type === 'offer' && (makingOffer || pc.signalingState !== 'stable');
    ignoreOffer = !polite && collision;
    if (ignoreOffer) return; // ours wins; the polite side answers it
    // An answer to an offer already answered (e.g. the offer was sent again after a rejoin).
    if (description.type === 'answer' && pc.signalingState === 'stable') return;
    if (description.type === 'offer') {
      timers.clearTimeout(firstOfferTimer);
      firstOfferWaited = true;
    }
    // A colliding offer rolls our own offer back implicitly.
    await pc.setRemoteDescription(description);
    if (description.type === 'offer') await describe(false);
  };

  const onSignal = ({ from, data }: SignalEventLike): void => {
    if (closed || from !== remoteId) return;
    const signal = parseRtcSignal(data);
    if (!signal) return; // an app signal; not ours
    // One at a time, so each decision sees the state the previous one left.
    inbox = inbox.then(() => (closed ? undefined : apply(signal))).catch(report);
  };

  const restartIce = (): void => {
    if (!closed && pc.signalingState !== 'closed') pc.restartIce(); // fires negotiationneeded
  };

  const onIceStateChange = (): void => {
    timers.clearTimeout(disconnectedTimer);
    const state = pc.iceConnectionState;
    if (state === 'failed') restartIce();
    else if (state === 'disconnected' && disconnectedTimeout > 0) {
      disconnectedTimer = timers.setTimeout(() => pc.iceConnectionState === 'disconnected' && restartIce(), disconnectedTimeout);
    }
  };

  /** The signaling link is back: ICE that broke meanwhile could not be restarted until now. */
  const onLinkOpen = (): void => {
    // Fresh TURN credentials from this welcome, for the ICE restart below or a later one.
    const iceServers = options.link?.iceServers;
    if (iceServers && pc.signalingState !== 'closed') {
      try {
        pc.setConfiguration({ ...pc.getConfiguration(), iceServers });
      } catch (error) {
        report(error);
      }
    }
    const state = pc.iceConnectionState;
    if (state === 'failed' || state === 'disconnected') restartIce();
  };

  /** An offer of ours still waiting for its answer goes out again (the other side answers it again). */
  const resendOffer = (): void => {
    if (pc.signalingState === 'have-local-offer' && !makingOffer) sendDescription();
  };

  /** The server lost its state and we joined again: an offer in flight may be gone, so send it again. */
  const onRejoined = (): void => {
    resendOffer();
    onLinkOpen();
  };

  /**
   * Signals from the other side may be missing. Its answer: send our offer again. Its offer:
   * ask it to send that again (`resync`). Its candidates, while ICE is not connected: restart ICE.
   */
  const onLost = (): void => {
    if (closed) return;
    send({ rtc: 'resync' });
    resendOffer();
    const ice = pc.iceConnectionState;
    if (pc.signalingState === 'stable' && pc.remoteDescription !== null && ice !== 'connected' && ice !== 'completed') restartIce();
  };

  pc.addEventListener('negotiationneeded', onNegotiationNeeded);
  pc.addEventListener('icecandidate', onIceCandidate);
  pc.addEventListener('iceconnectionstatechange', onIceStateChange);
  room.on('signal', onSignal);
  room.on('rejoined', onRejoined);
  room.on('notifications-lost', onLost);
  options.link?.on('open', onLinkOpen);

  return {
    polite,
    restartIce,
    close() {
      if (closed) return;
      closed = true;
      timers.clearTimeout(disconnectedTimer);
      timers.clearTimeout(firstOfferTimer);
      batch.close();
      pc.removeEventListener('negotiationneeded', onNegotiationNeeded);
      pc.removeEventListener('icecandidate', onIceCandidate);
      pc.removeEventListener('iceconnectionstatechange', onIceStateChange);
      room.off('signal', onSignal);
      room.off('rejoined', onRejoined);
      room.off('notifications-lost', onLost);
      options.link?.off('open', onLinkOpen);
    },
  };
}
