import { SignalError } from './errors.js';
import { BroadcastNotice, JoinAnswer, PeerJoinedNotice, PeerLeftNotice, SignalNotice } from './protocol/room-guards.js';
import type { Guard } from './protocol/check.js';
import type * as R from './protocol/rooms.js';
import { Room, type RoomControl, type RoomHost, type RoomMember } from './room.js';

/** What a Peer lends its rooms. */
export interface RoomsHost {
  request(method: string, data: unknown): Promise<unknown>;
  setTimeout(fn: () => void, ms: number): unknown;
  reportError(error: unknown): void;
}

/** How a Peer drives its rooms: a RoomRegistry, plugged in by the first `Room.join()`. */
export interface PeerRooms {
  readonly joined: ReadonlyMap<string, Room>;
  /** A room notification goes to its room. False for anything else (an app notification). */
  route(method: string, data: unknown, size: number): boolean;
  opened(resumed: boolean): void;
  lost(count: number, byRoom: Readonly<Record<string, number>> | undefined): void;
  closed(error: SignalError): void;
}

type Notice = R.PeerJoinedNotice | R.PeerLeftNotice | R.SignalNotice;
const notices: Record<string, Guard<Notice>> = {
  'peer-joined': PeerJoinedNotice,
  'peer-left': PeerLeftNotice,
  signal: SignalNotice,
  broadcast: BroadcastNotice,
};

interface Entry {
  room: Room;
  control: RoomControl;
}

/**
 * The rooms of one Peer: creates them on `Room.join()`, routes the server's room notifications
 * to them, and has them rejoin when a reconnect did not resume the session.
 */
export class RoomRegistry implements PeerRooms {
  /** Joined rooms (including ones being rejoined), as `peer.rooms`. */
  readonly joined = new Map<string, Room>();
  readonly #entries = new Map<string, Entry>();
  readonly #pending = new Map<string, Promise<Room>>();
  readonly #roomHost: RoomHost;

  constructor(host: RoomsHost) {
    this.#roomHost = {
      ...host,
      decodeJoin,
      forget: (room) => {
        if (this.#entries.get(room.name)?.room !== room) return;
        this.#entries.delete(room.name);
        this.joined.delete(room.name);
        this.#pending.delete(room.name);
      },
    };
  }

  /** Join `name`, or return the room already joined (or being joined) under that name. */
  join(name: string, meta: unknown = null): Promise<Room> {
    const joined = this.joined.get(name) ?? this.#pending.get(name);
    if (joined !== undefined) return Promise.resolve(joined);
    let control!: RoomControl;
    const room = new Room(name, meta, this.#roomHost, (c) => (control = c));
    this.#entries.set(name, { room, control });
    const joining = control.join().then(
      () => {
        if (this.#entries.get(name)?.room === room) this.joined.set(name, room);
        this.#pending.delete(name);
        return room;
      },
      (error: unknown) => {
        control.end(error as SignalError);
        throw error;
      },
    );
    this.#pending.set(name, joining);
    return joining;
  }

  /** A room notification goes to its room, never to `peer.on('notification')`. False for anything else. */
  route(method: string, data: unknown, size: number): boolean {
    if (!Object.hasOwn(notices, method)) return false;
    if (notices[method]!(data)) return false; // not shaped like ours: an app notification of the same name
    const entry = this.#entries.get((data as Notice).room);
    if (entry === undefined) return true; // a late one for a room already left
    // Dispatched on the method, not on the keys present: the guard passes extra keys through.
    if (method === 'peer-joined') entry.control.receive({ method, peer: member((data as R.PeerJoinedNotice).peer) }, size);
    else if (method === 'peer-left') {
      const { peerId, reason } = data as R.PeerLeftNotice;
      entry.control.receive({ method, peerId, reason: reason === 'leave' ? 'leave' : 'session-end' }, size);
    } else {
      const { from, data: payload } = data as R.SignalNotice;
      entry.control.receive({ method: method as 'signal' | 'broadcast', from, data: payload }, size);
    }
    return true;
  }

  /** A link opened. Without `resumed` the server has no record of our rooms: join them again. */
  opened(resumed: boolean): void {
    if (resumed) return;
    for (const { control } of [...this.#entries.values()]) control.rejoin();
  }

  /**
   * Notifications were lost. With `byRoom` (the server's `welcome.lost.rooms`) each room named
   * there hears its own count; without it nobody knows which rooms, so each hears `count`.
   */
  lost(count: number, byRoom: Readonly<Record<string, number>> | undefined): void {
    for (const [name, { control }] of [...this.#entries]) {
      const n = byRoom === undefined ? count : Object.hasOwn(byRoom, name) ? byRoom[name]! : 0;
      if (n > 0) control.lost(n);
    }
  }

  /** The Peer closed for good. */
  closed(error: SignalError): void {
    for (const { control } of [...this.#entries.values()]) control.end(error);
  }
}

function member(raw: R.RoomMemberData): RoomMember {
  return { id: raw.id, meta: raw.meta ?? null };
}

function decodeJoin(data: unknown): RoomMember[] | SignalError {
  if (JoinAnswer(data)) return new SignalError('BAD_MESSAGE', `the server answered "join" with ${JSON.stringify(data)?.slice(0, 80)}; expected { peers: [{ id, meta }] }`);
  return (data as R.JoinAnswer).peers.map(member);
}
