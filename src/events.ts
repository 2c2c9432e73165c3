import type { SignalError } from './errors.js';

export type PeerState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Why the Peer is about to try again. */
export type RetryReason =
  /** The socket closed or failed before `welcome`. */
  | 'connect-failed'
  /** No `welcome` within `connectTimeout`. */
  | 'connect-timeout'
  /** The `token` function threw or rejected. */
  | 'token-failed'
  /** The open link was closed (by the server, a proxy, or the network). */
  | 'closed'
  /** The open link went silent for `heartbeat.maxMissed` intervals. */
  | 'dead'
  /** `reconnectNow()` was called. */
  | 'manual'
  /** The server closed the link with 4505: its token expired. The next attempt (at once) fetches a new one. */
  | 'token-expired';

export interface StateEvent {
  from: PeerState;
  to: PeerState;
}
export interface OpenEvent {
  url: string;
  /** The server still had this peer's session: same id, nothing it sent to us was lost. */
  resumed: boolean;
  peerId: string;
}
/**
 * Why a link closed, in a form to branch on (`code` and `reason` are what the socket or
 * the Peer said, and the text may change). With `willReconnect: true` it is the
 * `RetryReason` of the reconnect that follows.
 */
export type CloseCause =
  /** The open link was closed (by the server, a proxy, or the network). */
  | 'closed'
  /** The open link went silent for `heartbeat.maxMissed` intervals (e.g. a blackholed link). */
  | 'dead'
  /** `reconnectNow()` was called. */
  | 'manual'
  /** The server closed with 4505: the token expired; the Peer resumes at once with a fresh one. */
  | 'token-expired'
  /** `close()` was called. Final. */
  | 'client'
  /** The server closed the link with a terminal code (`error` has code `KICKED`). Final. */
  | 'kicked'
  /** `backoff.maxAttempts` ran out (`error` has code `UNREACHABLE`). Final. */
  | 'unreachable';

export interface CloseEvent {
  code: number;
  reason: string;
  willReconnect: boolean;
  /** Why, machine-readable: see CloseCause. */
  cause: CloseCause;
}
export interface ReconnectingEvent {
  /** 1-based attempt number since the link was last stable. */
  attempt: number;
  /** Wait before this attempt (ms), jitter included. */
  delay: number;
  url: string;
  reason: RetryReason;
}
export interface ExhaustedEvent {
  /** Attempts made since the link was last stable. */
  attempts: number;
  urls: readonly string[];
}
export interface NotificationsLostEvent {
  /** Notifications the server sent that never arrived (its resend buffer overflowed while the link was down). */
  count: number;
  /**
   * How many of them were room notifications, by room name, when the server said so. Absent
   * when unknown (a jump in `seq`, or an older server): then every room gets `count`.
   */
  rooms?: Readonly<Record<string, number>>;
}
export interface NotificationEvent {
  method: string;
  data: unknown;
}

/** Every event a Peer emits, with its single context argument. */
export interface PeerEvents {
  state: (event: StateEvent) => void;
  open: (event: OpenEvent) => void;
  close: (event: CloseEvent) => void;
  reconnecting: (event: ReconnectingEvent) => void;
  exhausted: (event: ExhaustedEvent) => void;
  notification: (event: NotificationEvent) => void;
  /** Notifications were lost; each affected Room also emits `notifications-lost`. */
  'notifications-lost': (event: NotificationsLostEvent) => void;
  error: (error: SignalError) => void;
}

export interface PeerStats {
  /** Last measured ping round trip (ms), or undefined before the first pong. */
  rtt: number | undefined;
  /** Successful opens after the first one. */
  reconnects: number;
  /** Messages written to a socket (requests, replays, notifications, responses). */
  sent: number;
  /** Frames received. */
  received: number;
  /** Messages held in the send buffer (queued, or requests awaiting a response). */
  buffered: number;
  bufferedBytes: number;
}
