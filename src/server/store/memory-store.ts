import { Outbox } from '../outbox.js';
import { Ledger } from './ledger.js';
import { MemoryRooms } from './memory-rooms.js';
import { peerLeftHead, type Claim, type Delivery, type Ended, type Frame, type Opened, type OpenRequest, type RoomRequest, type RoomResult, type Store, type StoreConnection, type StoreHints, type StoreLimits, type StoredNote } from './store.js';

interface StoredSession {
  /** The node holding it, '' while it waits for a resume. */
  node: string;
  fence: number;
  outbox: Outbox;
  /** When a detached session ends. */
  expiresAt: number;
}

interface NodeState {
  hints: StoreHints;
  lastBeat: number;
  /** Taken for dead by a sweep since its last beat. */
  reaped: boolean;
}

/**
 * The store contract kept in this process's memory: several SignalingServers in one
 * process (several ports, or tests of a cluster) share sessions, rooms and exactly-once
 * requests through one instance. Hints to other nodes are delivered on a later microtask,
 * as they would arrive over a network.
 */
export class MemoryStore implements Store {
  readonly scope: string;
  private readonly sessions = new Map<string, StoredSession>();
  private readonly ledgers = new Map<string, Ledger>();
  private readonly revoked = new Map<string, number>();
  private readonly nodes = new Map<string, NodeState>();
  private rooms: MemoryRooms | undefined;
  private limits: StoreLimits | undefined;
  private fences = 0;

  /** `scope` names this store's data; a new MemoryStore is a new scope. */
  constructor(scope: string = `memory-${Math.random().toString(36).slice(2, 10)}`) {
    this.scope = scope;
  }

  connect(node: string, hints: StoreHints, limits: StoreLimits): Promise<StoreConnection> {
    if (this.nodes.has(node)) return Promise.reject(new Error(`MemoryStore: node "${node}" is already connected`));
    this.limits ??= limits;
    this.rooms ??= new MemoryRooms(limits, (caller, ids, note) => this.pushNow(caller, ids, note));
    this.nodes.set(node, { hints, lastBeat: -Infinity, reaped: false });
    return Promise.resolve(new MemoryConnection(this, node));
  }

  // The methods below run synchronously; MemoryConnection wraps each in a promise.

  /** @internal */
  open(node: string, { peerId, create, ack, now }: OpenRequest): Opened | undefined {
    if ((this.revoked.get(peerId) ?? -Infinity) > now) return undefined;
    const limits = this.limits!;
    const found = this.sessions.get(peerId);
    if (found === undefined && !create) return undefined;
    const fence = ++this.fences;
    if (found === undefined) {
      this.sessions.set(peerId, { node, fence, outbox: new Outbox(limits.maxBufferedNotifications, limits.maxBufferedBytes), expiresAt: Infinity });
      return { fence, resumed: false, pending: [], lost: undefined };
    }
    const previous = { node: found.node, fence: found.fence };
    if (previous.node !== '') this.hint(previous.node, (hints) => hints.revoked(peerId, previous.fence, 'replaced', 'session resumed on another socket'));
    Object.assign(found, { node, fence, expiresAt: Infinity });
    if (ack !== undefined) found.outbox.ack(ack);
    return { fence, resumed: true, pending: found.outbox.frames(0), lost: found.outbox.takeLost() };
  }

  /** @internal */
  detach(peerId: string, fence: number, now: number, ttl: number): void {
    const session = this.sessions.get(peerId);
    if (session === undefined || session.fence !== fence) return;
    session.node = '';
    session.expiresAt = now + ttl;
  }

  /** @internal */
  end(caller: string, peerIds: readonly string[], why: 'kicked' | 'closed', reason: string, now: number): Ended {
    const ended: Ended = { peerIds: [], deliveries: [] };
    for (const peerId of peerIds) {
      const session = this.sessions.get(peerId);
      if (session === undefined) continue;
      const { node, fence } = session;
      if (node !== '') this.hint(node, (hints) => hints.revoked(peerId, fence, why, reason));
      this.close(caller, peerId, ended);
    }
    return ended;
  }

  /** @internal */
  sweep(caller: string, now: number): Ended {
    const { nodeTtl } = this.limits!;
    for (const [node, state] of this.nodes) {
      if (state.lastBeat === -Infinity || state.lastBeat + nodeTtl > now) continue;
      // It stopped beating: its sessions wait for a resume elsewhere, as if their sockets closed.
      for (const session of this.sessions.values()) {
        if (session.node === node) Object.assign(session, { node: '', expiresAt: state.lastBeat + nodeTtl + this.limits!.sessionTtl });
      }
      state.lastBeat = -Infinity;
      state.reaped = true;
    }
    const ended: Ended = { peerIds: [], deliveries: [] };
    for (const [peerId, session] of this.sessions) if (session.node === '' && session.expiresAt <= now) this.close(caller, peerId, ended);
    for (const [peerId, ledger] of this.ledgers) if (!this.sessions.has(peerId) && ledger.spent(now)) this.ledgers.delete(peerId);
    for (const [peerId, until] of this.revoked) if (until <= now) this.revoked.delete(peerId);
    return ended;
  }

  /** @internal */
  beat(node: string, now: number): boolean {
    const state = this.nodes.get(node);
    if (state === undefined) return false;
    const alive = !state.reaped;
    state.lastBeat = now;
    state.reaped = false;
    return alive;
  }

  /** @internal */
  revoke(peerId: string, until: number): void {
    this.revoked.set(peerId, until);
    this.ledgers.get(peerId)?.clear();
  }

  /** @internal */
  has(peerId: string): boolean {
    return this.sessions.has(peerId);
  }

  /** @internal */
  peerIds(): string[] {
    return [...this.sessions.keys()];
  }

  /** @internal Number `note` for each existing session; other nodes' sessions are hinted. */
  pushNow(caller: string, peerIds: Iterable<string>, note: StoredNote): Delivery[] {
    const deliveries: Delivery[] = [];
    for (const peerId of peerIds) {
      const session = this.sessions.get(peerId);
      if (session === undefined) continue;
      const { seq, text, dropped, overflow } = session.outbox.push(note);
      const delivery: Delivery = { peerId, node: session.node, seq, text, dropped, overflow };
      deliveries.push(delivery);
      if (session.node !== '' && session.node !== caller) this.hint(session.node, (hints) => hints.notes(peerId, [{ seq, text }]));
    }
    return deliveries;
  }

  /** @internal */
  ack(peerId: string, seq: number): void {
    this.sessions.get(peerId)?.outbox.ack(seq);
  }

  /** @internal */
  read(peerId: string, afterSeq: number): Frame[] {
    return this.sessions.get(peerId)?.outbox.frames(afterSeq) ?? [];
  }

  /** @internal */
  claim(peerId: string, requestId: string, now: number): Claim {
    return this.ledger(peerId).claim(requestId, now);
  }

  /** @internal */
  renew(peerId: string, requestId: string, fence: number, now: number): boolean {
    return this.ledgers.get(peerId)?.renew(requestId, fence, now) ?? false;
  }

  /** @internal */
  finish(caller: string, peerId: string, requestId: string, fence: number, text: string, now: number): string | false {
    if (this.ledgers.get(peerId)?.finish(requestId, fence, text, now) !== true) return false;
    const node = this.sessions.get(peerId)?.node ?? '';
    if (node !== '' && node !== caller) this.hint(node, (hints) => hints.answer(peerId, text));
    return node;
  }

  /** @internal */
  room(caller: string, request: RoomRequest): RoomResult {
    const ledger = this.ledger(request.peerId);
    const cached = ledger.answer(request.requestId, request.now);
    if (cached !== undefined) return { answer: cached, deliveries: [] };
    if (!this.sessions.has(request.peerId)) return { refused: 'gone' };
    const result = this.rooms!.run(caller, request);
    if ('answer' in result) ledger.remember(request.requestId, result.answer, request.now);
    return result;
  }

  /** @internal */
  disconnect(node: string): void {
    this.nodes.delete(node);
  }

  private ledger(peerId: string): Ledger {
    let ledger = this.ledgers.get(peerId);
    if (ledger === undefined) this.ledgers.set(peerId, (ledger = new Ledger(this.limits!, () => ++this.fences)));
    return ledger;
  }

  /** Delete the session and take it out of its rooms; its ledger stays for the dedupe window. */
  private close(caller: string, peerId: string, ended: Ended): void {
    this.sessions.delete(peerId);
    ended.peerIds.push(peerId);
    for (const room of this.rooms!.leaveAll(peerId)) {
      const head = peerLeftHead(room.name, peerId, 'session-end');
      ended.deliveries.push(...this.pushNow(caller, room.others, { head, bytes: Buffer.byteLength(head), sender: peerId, bulk: false, room: room.name }));
    }
  }

  private hint(node: string, tell: (hints: StoreHints) => void): void {
    const state = this.nodes.get(node);
    if (state !== undefined) void Promise.resolve().then(() => tell(state.hints));
  }
}

/** One node's connection: the store's methods, bound to the node and made asynchronous. */
class MemoryConnection implements StoreConnection {
  readonly scope: string;
  constructor(
    private readonly store: MemoryStore,
    private readonly node: string,
  ) {
    this.scope = store.scope;
  }
  disconnect = () => run(() => this.store.disconnect(this.node));
  open = (request: OpenRequest) => run(() => this.store.open(this.node, request));
  detach = (peerId: string, fence: number, now: number, ttl: number) => run(() => this.store.detach(peerId, fence, now, ttl));
  end = (peerIds: readonly string[], why: 'kicked' | 'closed', reason: string, now: number) => run(() => this.store.end(this.node, peerIds, why, reason, now));
  sweep = (now: number) => run(() => this.store.sweep(this.node, now));
  beat = (now: number) => run(() => this.store.beat(this.node, now));
  revoke = (peerId: string, until: number) => run(() => this.store.revoke(peerId, until));
  has = (peerId: string) => run(() => this.store.has(peerId));
  peerIds = () => run(() => this.store.peerIds());
  push = (peerIds: readonly string[], note: StoredNote) => run(() => this.store.pushNow(this.node, peerIds, note));
  ack = (peerId: string, seq: number) => run(() => this.store.ack(peerId, seq));
  read = (peerId: string, afterSeq: number) => run(() => this.store.read(peerId, afterSeq));
  claim = (peerId: string, requestId: string, now: number) => run(() => this.store.claim(peerId, requestId, now));
  renew = (peerId: string, requestId: string, fence: number, now: number) => run(() => this.store.renew(peerId, requestId, fence, now));
  finish = (peerId: string, requestId: string, fence: number, text: string, now: number) => run(() => this.store.finish(this.node, peerId, requestId, fence, text, now));
  room = (request: RoomRequest) => run(() => this.store.room(this.node, request));
}

function run<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}
