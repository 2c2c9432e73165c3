import * as z from 'zod/mini';
import { SignalError } from './errors.js';
import { Room, type RoomControl, type RoomHost, type RoomMember, type RoomNotice } from './room.js';

const Member = z.object({ id: z.string(), meta: z.optional(z.unknown()) });
const JoinResult = z.object({ peers: z.array(Member) });
const notices = {
  'peer-joined': z.object({ room: z.string(), peer: Member }),
  'peer-left': z.object({ room: z.string(), peerId: z.string(), reason: z.optional(z.string()) }),
  signal: z.object({ room: z.string(), from: z.string(), data: z.optional(z.unknown()) }),
  broadcast: z.object({ room: z.string(), from: z.string(), data: z.optional(z.unknown()) }),
};

export interface RoomsHost {
  request(method: string, data: unknown): Promise<unknown>;
  setTimeout(fn: () => void, ms: number): unknown;
  reportError(error: unknown): void;
}

interface Entry {
  room: Room;
  control: RoomControl;
}

/**
 * The rooms of one Peer: creates them on `join()`, routes the server's room notifications
 * to them, and has them rejoin when a reconnect did not resume the session.
 */
export class Rooms {
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
    const parsed = notices[method as keyof typeof notices].safeParse(data);
    if (!parsed.success) return false; // not shaped like ours: an app notification of the same name
    const notice = parsed.data;
    const entry = this.#entries.get(notice.room);
    if (entry === undefined) return true; // a late one for a room already left
    if ('peer' in notice) entry.control.receive({ method: 'peer-joined', peer: member(notice.peer) }, size);
    else if ('peerId' in notice) entry.control.receive({ method: 'peer-left', peerId: notice.peerId, reason: notice.reason === 'leave' ? 'leave' : 'session-end' }, size);
    else entry.control.receive({ method: method as 'signal' | 'broadcast', from: notice.from, data: notice.data }, size);
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

function member(raw: z.infer<typeof Member>): RoomMember {
  return { id: raw.id, meta: raw.meta ?? null };
}

function decodeJoin(data: unknown): RoomMember[] | SignalError {
  const parsed = JoinResult.safeParse(data);
  if (!parsed.success) return new SignalError('BAD_MESSAGE', `the server answered "join" with ${JSON.stringify(data)?.slice(0, 80)}; expected { peers: [{ id, meta }] }`);
  return parsed.data.peers.map(member);
}
