import { describeIssue, utf8Length } from '../protocol/codec.js';
import type { Guard } from '../protocol/check.js';
import { BroadcastRequest, JoinRequest, LeaveRequest, SignalRequest } from '../protocol/room-guards.js';
import type * as R from '../protocol/rooms.js';
import { askAuthorize, type Authorize } from './authorize.js';
import type { NotificationOrigin } from './outbox.js';
import { Replayable } from './replayable.js';
import type { RequestHandler } from './types.js';

export interface RoomsOptions {
  /**
   * Most peers in one room; a `join` beyond it fails with `room-full`. Every `broadcast` is
   * copied to each other member, and a `join` answer lists every member with its meta (up to
   * `maxMetaBytes` each), so a room's cost grows with its size: 50 members with 4 KiB meta
   * make a 200 kB `join` answer. Pass `Infinity` for no limit.
   * @default 50
   */
  maxPeers?: number;
  /**
   * Decides whether a peer may join a room (sync or async): return `true` to allow; return
   * `false` or a code string, or throw, to refuse (see `Authorize`). `auth` is what
   * `authenticate` returned for the peer's socket: check a signed room token in `meta`, or
   * the user's rights, here.
   * @default undefined (every valid join is allowed)
   */
  authorize?: Authorize;
  /**
   * Most rooms one peer may be in at once; a `join` beyond it fails with `too-many-rooms`.
   * @default 100
   */
  maxRooms?: number;
  /**
   * Valid room names; a `join` (or any room request) naming another fails with `BAD_REQUEST`.
   * @default /^[A-Za-z0-9_.:-]{1,128}$/
   */
  namePattern?: RegExp;
  /**
   * Largest `meta` a peer may join with, in bytes of JSON. It is sent to everyone in the
   * room, and to each later joiner in the `join` response.
   * @default 4_096
   */
  maxMetaBytes?: number;
}

export interface NormalizedRoomsOptions {
  maxPeers: number;
  maxRooms: number;
  namePattern: RegExp;
  maxMetaBytes: number;
  authorize: Authorize | undefined;
}

/** A peer in a room, as others see it. */
export interface RoomMember {
  id: string;
  /** What the peer passed to `join` (its name, avatar...), or null. */
  meta: unknown;
}

/** Why a peer left a room: it sent `leave`, or its session ended (closed, expired, kicked). */
export type PeerLeftReason = 'leave' | 'session-end';

/** Request methods the server answers itself while rooms are enabled. */
export const ROOM_METHODS: readonly string[] = ['join', 'leave', 'signal', 'broadcast'];

export function normalizeRoomsOptions(options: RoomsOptions | false | undefined): NormalizedRoomsOptions | false {
  if (options === false) return false;
  const maxPeers = options?.maxPeers ?? 50;
  const authorize = options?.authorize;
  if (authorize !== undefined && typeof authorize !== 'function') throw new TypeError('SignalingServer: option "rooms.authorize" must be a function');
  if (maxPeers !== Infinity) integer('rooms.maxPeers', maxPeers);
  const pattern = options?.namePattern ?? /^[A-Za-z0-9_.:-]{1,128}$/;
  if (!(pattern instanceof RegExp)) throw new TypeError('SignalingServer: option "rooms.namePattern" must be a RegExp');
  return {
    maxPeers,
    maxRooms: integer('rooms.maxRooms', options?.maxRooms ?? 100),
    // Without g and y, so test() keeps no state (lastIndex) between calls.
    namePattern: new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')),
    maxMetaBytes: integer('rooms.maxMetaBytes', options?.maxMetaBytes ?? 4_096),
    authorize,
  };
}

function integer(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(`SignalingServer: option "${name}" must be an integer >= 1, got ${String(value)}`);
  }
  return value;
}

/** A refusal with a code the client sees as `remoteCode`. */
export class RoomError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Send one notification to each of `peerIds`; the data is encoded once for all of them. */
type Notify = (peerIds: Iterable<string>, method: string, data: unknown, origin: NotificationOrigin) => void;

/**
 * The server's rooms and their members. Requests come in through `handlers` (so they run once per
 * request id, like any handler); everything others must learn goes out through `notify`,
 * the server's seq'd notification outbox, so a disconnected member gets it after its resume.
 */
export class RoomDirectory {
  /** Room name → its members, in join order. Empty rooms are deleted. */
  private readonly rooms = new Map<string, Map<string, RoomMember>>();
  /** Peer id → names of the rooms it is in. */
  private readonly memberships = new Map<string, Set<string>>();

  readonly handlers: Readonly<Record<string, RequestHandler>> = {
    join: (data, { peerId, auth }) => this.join(peerId, auth, parse(JoinRequest, data, 'join', '{ room: string, meta?: any }')),
    leave: (data, { peerId }) => this.leave(peerId, parse(LeaveRequest, data, 'leave', '{ room: string }').room),
    signal: (data, { peerId }) => this.signal(peerId, parse(SignalRequest, data, 'signal', '{ room: string, to: string, data: any }')),
    broadcast: (data, { peerId }) => this.broadcast(peerId, parse(BroadcastRequest, data, 'broadcast', '{ room: string, data: any }')),
  };

  constructor(
    private readonly options: NormalizedRoomsOptions,
    private readonly notify: Notify,
    /** Whether the peer's session still exists: an async `authorize` may outlast it. */
    private readonly alive: (peerId: string) => boolean,
  ) {}

  /** The peer's session ended: it leaves every room, and the others are told. */
  leaveAll(peerId: string): void {
    for (const room of this.memberships.get(peerId) ?? []) this.remove(peerId, room, 'session-end');
  }

  /** Forget everything without telling anyone (the server is shutting down). */
  clear(): void {
    this.rooms.clear();
    this.memberships.clear();
  }

  /**
   * A `join` answers with the other members. Its replay (same request id) answers with the
   * room's members at that time: the cache keeps no copy of the list (its size grows with
   * the room's, for every join request).
   */
  private join(peerId: string, auth: unknown, request: R.JoinRequest): Replayable | Promise<Replayable> {
    const room = this.checkName(request.room);
    const { maxMetaBytes, authorize } = this.options;
    const meta = checkMeta(request.meta, maxMetaBytes);
    if (authorize === undefined || this.rooms.get(room)?.has(peerId) === true) return this.enter(peerId, room, meta);
    return askAuthorize(authorize, { peerId, auth, room, meta }).then((refusal) => {
      if (refusal !== undefined) throw new RoomError(refusal.code, refusal.message);
      if (!this.alive(peerId)) throw new RoomError('gone', `the session of "${peerId}" ended while "${room}" was being authorized`);
      return this.enter(peerId, room, meta);
    });
  }

  private enter(peerId: string, room: string, meta: unknown): Replayable {
    const members = this.rooms.get(room) ?? new Map<string, RoomMember>();
    const answer = new Replayable({ peers: othersOf(members, peerId) }, () => ({ peers: othersOf(this.rooms.get(room), peerId) }));
    if (members.has(peerId)) return answer; // joining again changes nothing
    const { maxPeers, maxRooms } = this.options;
    const mine = this.memberships.get(peerId) ?? new Set<string>();
    if (mine.size >= maxRooms) throw this.refuse('too-many-rooms', 'join', peerId, room);
    if (members.size >= maxPeers) throw this.refuse('room-full', 'join', peerId, room);
    const member: RoomMember = { id: peerId, meta };
    this.notify(members.keys(), 'peer-joined', { room, peer: member }, { sender: peerId, bulk: false, room });
    members.set(peerId, member);
    this.rooms.set(room, members);
    this.memberships.set(peerId, mine.add(room));
    return answer;
  }

  /** Leaving a room one is not in succeeds: `leave` is idempotent. */
  private leave(peerId: string, name: string): void {
    this.remove(peerId, this.checkName(name), 'leave');
  }

  private signal(peerId: string, { room, to, data }: R.SignalRequest): void {
    const members = this.membersOf(peerId, room, 'signal');
    if (to === peerId) throw badRequest('"signal" to yourself; `to` must be another member of the room');
    if (!members.has(to)) throw this.refuse('not-in-room', 'signal', peerId, room, to);
    this.notify([to], 'signal', { room, from: peerId, data }, { sender: peerId, bulk: false, room });
  }

  private broadcast(peerId: string, { room, data }: R.BroadcastRequest): void {
    const members = this.membersOf(peerId, room, 'broadcast');
    this.notify(others(members, peerId), 'broadcast', { room, from: peerId, data }, { sender: peerId, bulk: true, room });
  }

  /** The room's members, provided `peerId` is one of them: a peer reaches only its own rooms. */
  private membersOf(peerId: string, name: string, method: string): Map<string, RoomMember> {
    const room = this.checkName(name);
    const members = this.rooms.get(room);
    if (members === undefined || !members.has(peerId)) throw this.refuse('not-joined', method, peerId, room);
    return members;
  }

  private refuse(code: string, method: string, peerId: string, room: string, to?: string): RoomError {
    return new RoomError(code, refusalMessage(code, method, peerId, room, to, this.options));
  }

  private remove(peerId: string, room: string, reason: PeerLeftReason): void {
    const members = this.rooms.get(room);
    if (members === undefined || !members.delete(peerId)) return;
    if (members.size === 0) this.rooms.delete(room);
    const mine = this.memberships.get(peerId);
    mine?.delete(room);
    if (mine?.size === 0) this.memberships.delete(peerId);
    this.notify(members.keys(), 'peer-left', { room, peerId, reason }, { sender: peerId, bulk: false, room });
  }

  private checkName(name: string): string {
    return checkRoomName(this.options.namePattern, name);
  }
}

function othersOf(members: Map<string, RoomMember> | undefined, peerId: string): RoomMember[] {
  const peers: RoomMember[] = [];
  for (const member of members?.values() ?? []) if (member.id !== peerId) peers.push(member);
  return peers;
}

function* others(members: Map<string, RoomMember>, peerId: string): Iterable<string> {
  for (const id of members.keys()) if (id !== peerId) yield id;
}

/** Validates with the guard proven equal to the zod schema in protocol/rooms.ts (it is faster). */
export function parse<T>(guard: Guard<T>, data: unknown, method: string, shape: string): T {
  const issue = guard(data);
  if (issue) throw badRequest(`"${method}" expects data ${shape}; got an invalid value${describeIssue(issue)}`);
  return data as T;
}

export function badRequest(message: string): RoomError {
  return new RoomError('BAD_REQUEST', message);
}

export function preview(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}

export function checkRoomName(namePattern: RegExp, name: string): string {
  if (!namePattern.test(name)) throw badRequest(`invalid room name "${preview(name)}": it must match ${String(namePattern)}`);
  return name;
}

/** The `join` meta as stored and sent (null when none), refused over `maxMetaBytes`. */
export function checkMeta(meta: unknown, maxMetaBytes: number): unknown {
  const metaBytes = utf8Length(JSON.stringify(meta ?? null));
  if (metaBytes > maxMetaBytes) throw badRequest(`"join" meta is ${metaBytes} bytes of JSON, over the limit of ${maxMetaBytes}`);
  return meta ?? null;
}

/** The message of each refusal a room request can get, by code. */
export function refusalMessage(code: string, method: string, peerId: string, room: string, to: string | undefined, options: NormalizedRoomsOptions): string {
  switch (code) {
    case 'too-many-rooms':
      return `cannot join "${room}": already in ${options.maxRooms} rooms, the most one peer may be in`;
    case 'room-full':
      return `room "${room}" is full (${options.maxPeers} peers)`;
    case 'not-in-room':
      return `peer "${preview(to ?? '')}" is not in room "${room}"`;
    case 'gone':
      return `the session of "${peerId}" ended before "${method}" in "${room}" ran`;
    default:
      return `cannot "${method}" in room "${room}": join it first`;
  }
}
