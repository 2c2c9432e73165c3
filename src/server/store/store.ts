/**
 * The state several server nodes share: sessions, their numbered notifications, request
 * de-duplication and rooms. Two implementations keep this contract (one suite tests both):
 * `MemoryStore`, for nodes in one process, and `RedisStore` (`resignal/redis`), for nodes
 * on several machines. Without a store, a SignalingServer keeps the same state in its own
 * memory, on a faster synchronous path.
 *
 * Every method is atomic: two nodes calling at once see one order. A store that cannot
 * reach its backend rejects at once (fail closed) rather than queueing.
 */
export interface Store {
  /**
   * Join the cluster as `node` (one call per SignalingServer). `hints` is told what other
   * nodes did to the sessions this node holds. Every node of a cluster must pass the same limits.
   */
  connect(node: string, hints: StoreHints, limits: StoreLimits): Promise<StoreConnection>;
}

/** One node's view of the store. */
export interface StoreConnection {
  /**
   * The cluster's scope: an id that changes when the store lost its data (a Redis that
   * restarted empty), so a client never resumes a session across the loss.
   */
  readonly scope: string;
  /** Leave the cluster: stop the hints and release the connection. Sessions held stay for a resume elsewhere. */
  disconnect(): Promise<void>;

  /**
   * Attach `peerId`'s session to this node: resume it if it exists (the previous attach
   * is fenced out and its node told, `replaced`), else create it when `create` is true.
   * `ack` is the client's highest seq: everything up to it is forgotten first.
   * Undefined when the session does not exist and `create` is false, or the id is revoked.
   */
  open(request: OpenRequest): Promise<Opened | undefined>;
  /**
   * The socket of attach `fence` closed: the session waits `ttl` ms for a resume, then ends.
   * Ignored when a newer attach holds the session.
   */
  detach(peerId: string, fence: number, now: number, ttl: number): Promise<void>;
  /**
   * End sessions now, whoever holds them (`kick`, a client's own close); resolves with those
   * this call ended: each session ends exactly once cluster-wide. Their holders are told.
   */
  end(peerIds: readonly string[], why: 'kicked' | 'closed', reason: string, now: number): Promise<Ended>;
  /** End the sessions whose wait for a resume is over, and those held by nodes that stopped beating. */
  sweep(now: number): Promise<Ended>;
  /**
   * This node is alive; a node that misses beats for `nodeTtl` loses its sessions to `sweep`.
   * Resolves false when that happened to this node since its last beat (it was stalled, not
   * dead): its sockets' sessions now wait for a resume, so it must close those sockets.
   */
  beat(now: number): Promise<boolean>;
  /** Until `until`, `open` refuses this id (a `kick`). */
  revoke(peerId: string, until: number): Promise<void>;
  /** Whether a session (attached or awaiting a resume) has this id. */
  has(peerId: string): Promise<boolean>;
  /** Ids of every session in the cluster. */
  peerIds(): Promise<string[]>;

  /** Number a notification for each session that exists and keep it until acknowledged. */
  push(peerIds: readonly string[], note: StoredNote): Promise<Delivery[]>;
  /** The client has every notification up to `seq`. */
  ack(peerId: string, seq: number): Promise<void>;
  /** Unacknowledged notifications after `afterSeq`, oldest first (to fill a gap). */
  read(peerId: string, afterSeq: number): Promise<Frame[]>;

  /** Run, wait for, or answer request `requestId` of `peerId` (PROTOCOL.md, exactly once). */
  claim(peerId: string, requestId: string, now: number): Promise<Claim>;
  /** Extend the lease of a running handler; false once another node took it over. */
  renew(peerId: string, requestId: string, fence: number, now: number): Promise<boolean>;
  /**
   * Record the answer of the handler holding lease `fence`. Resolves with the node holding
   * the session ('' for none; told through `hints.answer` if it is another), or false when
   * the lease was lost: the answer is then dropped, the newer run answers.
   */
  finish(peerId: string, requestId: string, fence: number, text: string, now: number): Promise<string | false>;

  /** A room request, run exactly once per request id in one atomic step. */
  room(request: RoomRequest): Promise<RoomResult>;
}

/** What a store needs to know of the server's limits; every node of a cluster must pass the same. */
export interface StoreLimits {
  maxBufferedNotifications: number;
  maxBufferedBytes: number;
  dedupeWindow: number;
  dedupeLimit: number;
  dedupeMaxBytes: number;
  /** How long a running handler's lease lasts without renewal. */
  leaseMs: number;
  /** How long a node may miss beats before its sessions are treated as disconnected. */
  nodeTtl: number;
  /** How long a session outlives its socket. */
  sessionTtl: number;
  maxPeers: number;
  maxRooms: number;
}

/** What a store tells the node that holds a session. */
export interface StoreHints {
  /** New notifications for a session this node holds (possibly with gaps: read the rest). */
  notes(peerId: string, frames: Frame[]): void;
  /** A request this session sent was answered on another node. */
  answer(peerId: string, text: string): void;
  /** The session's attach `fence` is over: resumed elsewhere (`replaced`) or ended (`ended`). */
  revoked(peerId: string, fence: number, why: 'replaced' | 'kicked' | 'closed', reason: string): void;
  /** Hints may have been missed (a reconnect of the hint channel): re-read every held session. */
  resync(): void;
  /** The backend is unreachable (`down`), back (`up`), or came back without its data (`reset`). */
  health(state: 'down' | 'up' | 'reset'): void;
}

export interface OpenRequest {
  peerId: string;
  create: boolean;
  ack: number | undefined;
  now: number;
}

export interface Opened {
  /** Attach fence: increases with every attach of the session. */
  fence: number;
  resumed: boolean;
  /** Unacknowledged notifications, oldest first, to send after `welcome`. */
  pending: Frame[];
  /** Dropped notifications not covered by the client's ack (`welcome.lost`), reported once. */
  lost: { count: number; rooms?: Record<string, number> } | undefined;
}

export interface Ended {
  /** Sessions this call ended. */
  peerIds: string[];
  /** Notifications the endings produced (`peer-left`), for sessions held anywhere. */
  deliveries: Delivery[];
}

/** A notification as stored: its encoded head (without `,"seq":N}`) and its origin. */
export interface StoredNote {
  head: string;
  bytes: number;
  sender: string;
  bulk: boolean;
  room: string | undefined;
}

export interface Frame {
  seq: number;
  text: string;
}

/** A notification numbered for one session, and the node holding that session ('' when none). */
export interface Delivery extends Frame {
  peerId: string;
  node: string;
  /** Notifications this push evicted from the session to stay within its limits. */
  dropped: number;
  overflow: 'count' | 'bytes' | undefined;
}

export type Claim =
  /** Run the handler, renewing lease `fence`; `rerun` when a node died while running it before. */
  | { kind: 'run'; fence: number; rerun: boolean }
  /** Another node runs it and holds the lease until `until`: its answer will come through `hints.answer`. */
  | { kind: 'wait'; until: number }
  /** Answered already: send this again. */
  | { kind: 'answer'; text: string };

/** A room request. The node encodes every text; the store only numbers and routes them. */
export type RoomRequest =
  | (RoomBase & {
      op: 'join';
      /** The member as others see it: JSON of `{ id, meta }`. */
      member: string;
      /** `peer-joined`, for the others. */
      note: StoredNote;
      /** The success frame split around the member list: `answer[0] + members.join(',') + answer[1]`. */
      answer: [string, string];
    })
  | (RoomBase & { op: 'leave'; note: StoredNote; answer: string })
  | (RoomBase & { op: 'signal'; to: string; note: StoredNote; answer: string })
  | (RoomBase & { op: 'broadcast'; note: StoredNote; answer: string });

interface RoomBase {
  peerId: string;
  requestId: string;
  room: string;
  now: number;
}

/** Why a room request was refused (nothing changed, nothing is remembered). */
export type RoomRefusal = 'not-joined' | 'room-full' | 'too-many-rooms' | 'not-in-room' | 'gone';

export type RoomResult =
  /** `answer` is the response frame (a cached one for a replay, then with no deliveries). */
  | { answer: string; deliveries: Delivery[] }
  | { refused: RoomRefusal };

/** The `peer-left` notification head a session's end sends to each room it was in. */
export function peerLeftHead(room: string, peerId: string, reason: 'leave' | 'session-end'): string {
  return `{"type":"notification","method":"peer-left","data":${JSON.stringify({ room, peerId, reason })}`;
}
