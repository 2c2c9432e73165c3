import { EventEmitter } from 'eventemitter3';
import { isSignalError, SignalError } from './errors.js';
import { messageOf } from './protocol/thrown.js';
import { roomsOf, type Peer } from './peer.js';
import { RoomRegistry } from './room-registry.js';

/** Another peer in a room. */
export interface RoomMember {
  id: string;
  /** What that peer passed to `join()`, or null. */
  meta: unknown;
}

/**
 * Why a peer left: it called `leave()`; its session ended (it closed, or was gone longer than
 * the server's sessionTtl, or was kicked); or it was not there when this client rejoined after
 * the server lost the session (after a server restart it may well come back, with the same id).
 */
export type PeerLeftReason = 'leave' | 'session-end' | 'rejoin';

export interface PeerJoinedEvent {
  peer: RoomMember;
}
export interface PeerLeftEvent {
  peerId: string;
  reason: PeerLeftReason;
}
export interface RoomSignalEvent {
  /** The sender's peer id. */
  from: string;
  data: unknown;
}
export interface RoomBroadcastEvent {
  from: string;
  data: unknown;
}
export interface RoomNotificationsLostEvent {
  /**
   * How many of this room's notifications (signals, broadcasts, joins, leaves) never arrived.
   * When the server could not say which rooms they were for, every room gets the total: an
   * upper bound. Either way `peers` may be stale and a call's signals may be missing.
   */
  count: number;
}
export interface RejoinedEvent {
  /** The room's members after the rejoin (the same map as `room.peers`). */
  peers: ReadonlyMap<string, RoomMember>;
}

/** Every event a Room emits, with its single context argument. */
export interface RoomEvents {
  'peer-joined': (event: PeerJoinedEvent) => void;
  'peer-left': (event: PeerLeftEvent) => void;
  signal: (event: RoomSignalEvent) => void;
  broadcast: (event: RoomBroadcastEvent) => void;
  /** The server had lost this client's session (restart, failover, expiry) and the room was joined again. */
  rejoined: (event: RejoinedEvent) => void;
  /** Notifications for this room were lost: resync what depends on them (`negotiate()` does). */
  'notifications-lost': (event: RoomNotificationsLostEvent) => void;
  /** A rejoin failed. With `TIMEOUT` the room keeps trying; with any other code it is left. */
  error: (error: SignalError) => void;
}

/** A room notification from the server, decoded (see rooms.ts). */
export type RoomNotice =
  | { method: 'peer-joined'; peer: RoomMember }
  | { method: 'peer-left'; peerId: string; reason: PeerLeftReason }
  | { method: 'signal' | 'broadcast'; from: string; data: unknown };

/** What a Room needs from its Peer. */
export interface RoomHost {
  request(method: string, data: unknown): Promise<unknown>;
  decodeJoin(data: unknown): RoomMember[] | SignalError;
  setTimeout(fn: () => void, ms: number): unknown;
  reportError(error: unknown): void;
  /** The room was left (or could not be rejoined): forget it. */
  forget(room: Room): void;
}

/** How the Peer's room registry drives a Room; kept off the Room's public surface. */
export interface RoomControl {
  /** Send the first `join`; settles once the server answered. */
  join(): Promise<void>;
  /** `size`: the frame's text length, for the bound on held notifications. */
  receive(notice: RoomNotice, size: number): void;
  /** The server lost the session: join again with the same meta. */
  rejoin(): void;
  /** The Peer closed: the room is over, without a `leave`. */
  end(error: SignalError): void;
  /** `count` of this room's notifications were lost on the way. */
  lost(count: number): void;
}

/**
 * Bounds on the room notifications held while the room's `join` (or rejoin) is pending. A
 * server sends at most its resend buffer before the answer (the reference server: 1,000
 * notifications, 1 MiB); past these bounds a hostile or broken server would only grow memory,
 * so further ones are dropped and reported as `notifications-lost` once the room is joined.
 * `chars` counts the frames' text length.
 */
// `chars` is 4 MiB written out: a bundler keeps an unused object whose values are arithmetic.
export const HELD_LIMIT = { notifications: 2000, chars: 4_194_304 } as const;

interface Outgoing {
  /** Call order, so sends held across a rejoin go out in the order they were made. */
  order: number;
  /** The rejoin count when it was sent: a `not-joined` answer from an older session is retried. */
  epoch: number;
  method: 'signal' | 'broadcast';
  body: object;
  resolve(): void;
  reject(error: unknown): void;
}

type RoomState = 'joining' | 'joined' | 'rejoining' | 'left';

/**
 * A room this peer joined, from `Room.join(peer, name)`. `peers` is kept current by the server's
 * notifications. After a reconnect that resumed the session nothing happens here: the server
 * kept the membership and buffered what was sent meanwhile. After one that did not (server
 * restart, failover), the room is joined again on its own and emits `rejoined`.
 */
export class Room extends EventEmitter<RoomEvents> {
  readonly name: string;
  readonly #meta: unknown;
  readonly #host: RoomHost;
  readonly #members = new Map<string, RoomMember>();
  #state: RoomState = 'joining';
  /** Notifications that arrived before the server's member list could be applied. */
  #held: RoomNotice[] = [];
  #heldChars = 0;
  /** Held notifications dropped past HELD_LIMIT, reported once they can be heard. */
  #heldDropped = 0;
  /** Set while held notifications wait for the app to get the room and add its listeners. */
  #flushing = false;
  /** Sends waiting for a rejoin to finish. */
  #waiting: Outgoing[] = [];
  #joinInFlight = false;
  #epoch = 0;
  #sends = 0;

  /**
   * Join room `name` with `peer` (queued while offline, like any request). `meta` is what the
   * other members see of this peer. Rejects with `REMOTE` and the server's `remoteCode`
   * (`room-full`, `BAD_REQUEST`...). Joining a room already joined returns it.
   */
  static join(peer: Peer<any>, name: string, meta?: unknown): Promise<Room> {
    return roomsOf(peer, (host) => new RoomRegistry(host)).join(name, meta);
  }

  /** Rooms are made by `Room.join()`. */
  constructor(name: string, meta: unknown, host: RoomHost, attach: (control: RoomControl) => void) {
    super();
    this.name = name;
    this.#meta = meta;
    this.#host = host;
    attach({
      join: () => this.#join(),
      receive: (notice, size) => this.#receive(notice, size),
      rejoin: () => this.#rejoin(),
      end: (error) => this.#end(error),
      lost: (count) => this.#lost(count),
    });
  }

  /** The other members, by peer id (this peer is not in it). */
  get peers(): ReadonlyMap<string, RoomMember> {
    return this.#members;
  }

  /** False once the room was left (or could not be rejoined). */
  get joined(): boolean {
    return this.#state !== 'left';
  }

  /** Send `data` to one member. Rejects with REMOTE `not-in-room` if `to` is not in the room. */
  signal(to: string, data: unknown): Promise<void> {
    return this.#send('signal', { room: this.name, to, data });
  }

  /** Send `data` to every other member. */
  broadcast(data: unknown): Promise<void> {
    return this.#send('broadcast', { room: this.name, data });
  }

  /** Leave the room; the others get `peer-left`. Idempotent. */
  async leave(): Promise<void> {
    if (this.#state === 'left') return;
    this.#end(new SignalError('CLOSED', `room "${this.name}" was left before this was sent`));
    try {
      await this.#host.request('leave', { room: this.name });
    } catch (error) {
      // A closed Peer has left every room anyway.
      if (!isSignalError(error) || (error.code !== 'CLOSED' && error.code !== 'KICKED')) throw error;
    }
  }

  #send(method: Outgoing['method'], body: object): Promise<void> {
    if (this.#state === 'left') return Promise.reject(new SignalError('CLOSED', `${method} in room "${this.name}" was not sent: the room was left; join it again`));
    return new Promise((resolve, reject) => {
      const out: Outgoing = { order: this.#sends++, epoch: this.#epoch, method, body, resolve, reject };
      if (this.#state === 'rejoining') this.#waiting.push(out);
      else this.#transmit(out);
    });
  }

  #transmit(out: Outgoing): void {
    out.epoch = this.#epoch;
    this.#host.request(out.method, out.body).then(
      () => out.resolve(),
      (error: unknown) => {
        // Sent to a session that had lost the room (it was written before the rejoin on the
        // new link): nothing was delivered, so send it again once the room is rejoined.
        const stale = isSignalError(error) && error.remoteCode === 'not-joined' && out.epoch < this.#epoch;
        if (!stale || this.#state === 'left') return out.reject(error);
        if (this.#state === 'rejoining') this.#waiting.push(out);
        else this.#transmit(out);
      },
    );
  }

  async #join(): Promise<void> {
    const members = await this.#requestJoin();
    if (this.#state !== 'joining') return; // the Peer closed meanwhile
    this.#state = 'joined';
    for (const member of members) this.#members.set(member.id, member);
    if (this.#held.length === 0 && this.#heldDropped === 0) return;
    // Events that came before the join's answer (a resumed link delivers buffered notifications
    // before replayed responses): deliver them once the app has the room and its listeners.
    this.#flushing = true;
    this.#host.setTimeout(() => {
      this.#flushing = false;
      this.#applyHeld();
    }, 0);
  }

  #rejoin(): void {
    if (this.#state === 'left') return;
    this.#epoch++;
    this.#held = []; // from the lost session; the new member list supersedes them
    this.#heldChars = 0;
    this.#heldDropped = 0;
    this.#flushing = false;
    // A join still in flight is replayed to the new session: no second one.
    if (this.#state === 'joining' || this.#joinInFlight) return;
    this.#state = 'rejoining';
    this.#requestRejoin();
  }

  #requestRejoin(): void {
    this.#requestJoin().then(
      (members) => this.#rejoined(members),
      (error: unknown) => this.#rejoinFailed(error),
    );
  }

  #rejoined(members: RoomMember[]): void {
    if (this.#state !== 'rejoining') return;
    this.#state = 'joined';
    const fresh = new Map(members.map((member) => [member.id, member]));
    // Sends held during the rejoin go first, in call order, before listeners send anything new.
    for (const out of this.#waiting.splice(0).sort((a, b) => a.order - b.order)) this.#transmit(out);
    for (const id of [...this.#members.keys()]) {
      if (fresh.has(id)) continue;
      this.#members.delete(id);
      if (!this.#emitSafe('peer-left', { peerId: id, reason: 'rejoin' })) return;
    }
    for (const [id, member] of fresh) {
      const known = this.#members.has(id);
      this.#members.set(id, member);
      if (!known && !this.#emitSafe('peer-joined', { peer: member })) return;
    }
    if (this.#emitSafe('rejoined', { peers: this.#members })) this.#applyHeld();
  }

  /** TIMEOUT: the sends held so far fail, and the room tries again. Anything else: the room is left. */
  #rejoinFailed(error: unknown): void {
    if (this.#state !== 'rejoining') return;
    const failure = isSignalError(error) ? error : new SignalError('BAD_MESSAGE', messageOf(error), { cause: error });
    if (failure.code === 'CLOSED' || failure.code === 'KICKED') return this.#end(failure); // the Peer is closing
    const retry = failure.code === 'TIMEOUT';
    if (retry) for (const out of this.#waiting.splice(0)) out.reject(failure);
    else this.#end(failure);
    const what = retry ? 'trying again' : 'the room is left; join it again';
    const message = `could not rejoin room "${this.name}" after the server lost the session (${failure.message}); ${what}`;
    this.#emitSafe('error', new SignalError(failure.code, message, { cause: failure, ...(failure.remoteCode !== undefined && { remoteCode: failure.remoteCode }) }));
    if (retry && this.#state === 'rejoining' && !this.#joinInFlight) this.#requestRejoin();
  }

  async #requestJoin(): Promise<RoomMember[]> {
    this.#joinInFlight = true;
    try {
      const members = this.#host.decodeJoin(await this.#host.request('join', { room: this.name, meta: this.#meta }));
      if (members instanceof SignalError) throw members;
      return members;
    } finally {
      this.#joinInFlight = false;
    }
  }

  #receive(notice: RoomNotice, size: number): void {
    if (this.#state === 'left') return;
    if (this.#state === 'joined' && !this.#flushing) return this.#apply(notice);
    if (this.#held.length >= HELD_LIMIT.notifications || this.#heldChars >= HELD_LIMIT.chars) {
      this.#heldDropped++;
      return;
    }
    this.#held.push(notice);
    this.#heldChars += size;
  }

  #lost(count: number): void {
    if (this.#state === 'left') return;
    // Before the app has the room (join pending) nobody listens yet: report it with the held ones.
    if (this.#state === 'joining' || this.#flushing) this.#heldDropped += count;
    else this.#emitSafe('notifications-lost', { count });
  }

  #applyHeld(): void {
    const dropped = this.#heldDropped;
    this.#heldDropped = 0;
    this.#heldChars = 0;
    if (dropped > 0 && !this.#emitSafe('notifications-lost', { count: dropped })) return;
    for (const notice of this.#held.splice(0)) {
      if (this.#state !== 'joined') return;
      this.#apply(notice);
    }
  }

  #apply(notice: RoomNotice): void {
    switch (notice.method) {
      case 'peer-joined': {
        // A peer leaves (peer-left) before it can join again, so a known id is a repeat.
        const known = this.#members.has(notice.peer.id);
        this.#members.set(notice.peer.id, notice.peer);
        if (!known) this.#emitSafe('peer-joined', { peer: notice.peer });
        return;
      }
      case 'peer-left':
        if (this.#members.delete(notice.peerId)) this.#emitSafe('peer-left', { peerId: notice.peerId, reason: notice.reason });
        return;
      default:
        return void this.#emitSafe(notice.method, { from: notice.from, data: notice.data });
    }
  }

  #end(error: SignalError): void {
    if (this.#state === 'left') return;
    this.#state = 'left';
    this.#held = [];
    this.#heldChars = 0;
    this.#heldDropped = 0;
    for (const out of this.#waiting.splice(0)) out.reject(error);
    this.#host.forget(this);
  }

  /** Emit, reporting a throwing listener; false once a listener left the room. */
  #emitSafe<E extends keyof RoomEvents>(event: E, ...args: Parameters<RoomEvents[E]>): boolean {
    try {
      (this.emit as (event: E, ...args: Parameters<RoomEvents[E]>) => boolean)(event, ...args);
    } catch (error) {
      this.#host.reportError(error);
    }
    return this.#state !== 'left';
  }
}
