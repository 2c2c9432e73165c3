import type { TimerHandle } from '../../env.js';
import { SignalError } from '../../errors.js';
import { CloseCode } from '../../protocol/close-codes.js';
import type { HelloFrame, RequestFrame } from '../../protocol/frames.js';
import type { Link } from '../link.js';
import type { NormalizedOptions } from '../options.js';
import { encodeNotification, type NotificationOrigin } from '../outbox.js';
import { messageOf } from '../responses.js';
import { Secrets } from '../secrets.js';
import { ROOM_METHODS } from '../room-directory.js';
import { SocketHub, type Fire } from '../sockets.js';
import type { Delivery, Ended, Frame, Opened, Store, StoreConnection, StoreHints, StoredNote } from '../store/store.js';
import { ClusterRooms } from './cluster-rooms.js';
import { ClusterRequests } from './cluster-requests.js';
import { HeldSession } from './held.js';

/** A client closing with 1000 (`peer.close()`) is done: its session ends now, not after sessionTtl. */
const CLOSED_BY_CLIENT = 1000;
/**
 * Try again later: this node cannot reach the store (PROTOCOL.md, "Clusters"). Not terminal.
 * Kept out of the client's CloseCode: the client treats it like any non-terminal close.
 */
const TRY_AGAIN_LATER = 1013;

/**
 * A server node whose sessions live in a shared Store: any node can resume a session,
 * run its requests once and reach its rooms. This node holds the sockets connected to it;
 * what other nodes do to them reaches it as store hints. While the store is unreachable it
 * fails closed: every socket is closed with 1013 and new ones are refused, so clients back
 * off and retry, here or on another node.
 */
export class ClusterHub extends SocketHub {
  /** Sessions whose socket is on this node, by peer id. */
  private readonly held = new Map<string, HeldSession>();
  private readonly secrets: Secrets;
  private readonly rooms: ClusterRooms | undefined;
  private readonly served: ClusterRequests;
  private connection: StoreConnection | undefined;
  private healthy = false;
  private ticker: TimerHandle | undefined;
  /** Whether a beat succeeded yet (the first one finds no record of this node). */
  private started = false;
  /** Sessions whose socket closed while the store was unreachable: detached once it is back. */
  private orphans: Array<{ id: string; fence: number }> = [];

  constructor(options: NormalizedOptions, fire: Fire, report: (error: unknown) => void) {
    super(options, fire, report);
    this.secrets = new Secrets(options.secretKey);
    const store = () => this.store();
    this.rooms = options.rooms === false ? undefined : new ClusterRooms(options.rooms, store);
    const onFailure = (peerId: string, method: string, error: unknown) => this.handlerFailed(peerId, method, error);
    this.served = new ClusterRequests(this.env, store, options.nodeId, this.handlers, this.sendTo, onFailure, this.storeFailed);
  }

  /** Join the cluster; rejects when the store cannot be reached. */
  async start(store: Store): Promise<void> {
    const o = this.options;
    const rooms = o.rooms === false ? { maxPeers: 0, maxRooms: 0 } : o.rooms;
    this.connection = await store.connect(o.nodeId, this.hints, {
      maxBufferedNotifications: o.maxBufferedNotifications,
      maxBufferedBytes: o.maxBufferedBytes,
      dedupeWindow: o.dedupeWindow,
      dedupeLimit: o.dedupeLimit,
      dedupeMaxBytes: o.dedupeMaxBytes,
      leaseMs: o.nodeTimeout,
      nodeTtl: o.nodeTimeout,
      sessionTtl: o.sessionTtl,
      maxPeers: Number.isFinite(rooms.maxPeers) ? rooms.maxPeers : 2 ** 31,
      maxRooms: rooms.maxRooms,
    });
    this.healthy = true;
    this.orphans = [];
    const every = Math.max(10, Math.floor(o.nodeTimeout / 3));
    this.ticker = this.env.setInterval(() => this.tick(), every);
    this.tick();
  }

  /** Ids of the sessions whose socket is on this node. */
  peerIds(): string[] {
    return [...this.held.keys()];
  }

  /** Queue a notification for a session on any node. True once handed to the store, false while it is unreachable. */
  notify(peerId: string, method: string, data: unknown): boolean {
    return this.push([peerId], encodeNotification(method, data));
  }

  notifyAll(peerIds: Iterable<string>, method: string, data: unknown, origin: NotificationOrigin): void {
    this.push([...peerIds], encodeNotification(method, data, origin));
  }

  /** Send a request to a peer whose socket is on this node. */
  request(peerId: string, method: string, data: unknown, timeout: number): Promise<unknown> {
    const held = this.held.get(peerId);
    if (held === undefined) throw new SignalError('UNREACHABLE', `cannot send request "${method}": peer "${peerId}" is not connected to this node (server requests reach only the node holding the socket)`);
    return this.requests.send(held.link, peerId, method, data, timeout);
  }

  /** End the session on whichever node holds it, and revoke its id. True once handed to the store. */
  kick(peerId: string, reason: string): boolean {
    const store = this.connection;
    if (store === undefined || !this.healthy) return false;
    const now = this.env.now();
    const held = this.held.get(peerId);
    if (held !== undefined) this.drop(held.link, CloseCode.KICKED, reason);
    store
      .revoke(peerId, now + this.options.revocationTtl)
      .then(() => store.end([peerId], 'kicked', reason, now))
      .then((ended) => this.ended(ended), this.storeFailed);
    return true;
  }

  /** Close every socket with 1001; their sessions wait in the store for a resume on another node. */
  async close(): Promise<void> {
    if (this.ticker !== undefined) this.env.clearInterval(this.ticker);
    this.served.stop();
    const closing = this.closeLinks();
    await closing;
    await this.connection?.disconnect().catch(() => {});
  }

  protected async open(link: Link, hello: HelloFrame): Promise<void> {
    const store = this.connection;
    if (store === undefined || !this.healthy) return this.refuse(link);
    const now = this.env.now();
    const resume = hello.resume;
    // Only a client that names this cluster's scope can resume here: one without scope
    // support would count seqs per url and take resent notifications for new ones.
    const mine = resume !== undefined && hello.scope === store.scope && this.secrets.verify(resume.peer, resume.secret);
    let peer = mine ? resume.peer : this.env.id();
    let opened: Opened | undefined;
    try {
      opened = await store.open({ peerId: peer, create: true, ack: mine ? hello.ack : undefined, now });
      if (opened === undefined) opened = await store.open({ peerId: (peer = this.env.id()), create: true, ack: undefined, now }); // revoked by a kick
    } catch (error) {
      this.storeFailed(error);
      return this.refuse(link);
    }
    if (opened === undefined) throw new Error(`the store refused a fresh session id "${peer}"`);
    if (link.state === 'closed' || !this.healthy) {
      // The socket closed, or the store failed, while it answered: the session waits for a resume.
      this.detachHeld({ id: peer, fence: opened.fence }, now);
      return this.refuse(link);
    }
    this.attach(link, store.scope, peer, opened, opened.resumed ? (hello.ack ?? 0) : 0);
  }

  private attach(link: Link, scope: string, peer: string, opened: Opened, acked: number): void {
    const secret = this.secrets.of(peer);
    const held = new HeldSession(peer, secret, opened.fence, link, acked, () => this.connection, this.storeFailed);
    const previous = this.held.get(peer);
    if (previous !== undefined) this.drop(previous.link, CloseCode.REPLACED, 'session resumed on another socket');
    this.held.set(peer, held);
    link.session = held;
    const { resumed, lost } = opened;
    this.welcome(link, { peer, secret, resumed, lost, scope });
    held.deliver(opened.pending);
    if (link.state === 'open') this.fire('connection', { peerId: peer, resumed, auth: link.auth });
  }

  protected onRequest(link: Link, frame: RequestFrame, now: number): void {
    const held = link.session as HeldSession;
    if (!this.healthy) return this.refuse(link);
    if (this.rooms !== undefined && ROOM_METHODS.includes(frame.method)) return this.serveRoom(held.id, link.auth, frame, now);
    this.served.serve(held.id, link.auth, frame);
  }

  private serveRoom(peerId: string, auth: unknown, frame: RequestFrame, now: number): void {
    this.rooms!.serve(peerId, auth, frame, now).then(({ answer, deliveries }) => {
      this.delivered(deliveries);
      if (answer !== undefined) return this.sendTo(peerId, answer);
      // Another node runs this join (its `authorize` is pending): ask again once its lease would end.
      this.env.setTimeout(() => this.healthy && this.serveRoom(peerId, auth, frame, this.env.now()), this.options.nodeTimeout);
    }, this.storeFailed);
  }

  protected onAck(link: Link, seq: number): void {
    this.connection?.ack((link.session as HeldSession).id, seq).catch(this.storeFailed);
  }

  protected detached(link: Link, code: number, reason: string): void {
    const held = link.session as HeldSession | undefined;
    if (held === undefined || this.held.get(held.id) !== held) return;
    this.held.delete(held.id);
    this.fire('disconnect', { peerId: held.id, code, reason });
    const store = this.connection;
    const now = this.env.now();
    // If the store cannot be told now, it is told once it is back; if this node dies first,
    // the others take its sessions over once its beats stop.
    if (code === CLOSED_BY_CLIENT && store !== undefined && this.healthy) {
      store.end([held.id], 'closed', reason, now).then((ended) => this.ended(ended), this.storeFailed);
    } else {
      this.detachHeld(held, now);
    }
  }

  /** Close a socket with 1013 while the store is unreachable: its client retries with backoff. */
  private refuse(link: Link): void {
    this.drop(link, TRY_AGAIN_LATER, 'the session store is unreachable: try again later');
  }

  private store(): StoreConnection {
    const store = this.connection;
    if (store === undefined || !this.healthy) throw new SignalError('UNREACHABLE', 'the session store is unreachable');
    return store;
  }

  private push(peerIds: string[], note: StoredNote): boolean {
    const store = this.connection;
    if (store === undefined || !this.healthy) return false;
    store.push(peerIds, note).then(
      (deliveries) => this.delivered(deliveries),
      (error: unknown) => {
        // Nothing is lost silently: the app hears of each notification the store may not have kept.
        const message = `a notification to ${peerIds.length === 1 ? `peer "${peerIds[0]}"` : `${peerIds.length} peers`} may not have been stored: ${messageOf(error)}`;
        this.fire('warning', { code: 'STORE_UNAVAILABLE', message, peerId: peerIds.length === 1 ? peerIds[0] : undefined, cause: error });
        this.storeFailed(error);
      },
    );
    return true;
  }

  /** Write the deliveries for sessions held here; the store hinted the other nodes. */
  private delivered(deliveries: readonly Delivery[]): void {
    for (const delivery of deliveries) {
      if (delivery.overflow !== undefined) this.dropped(delivery.peerId, delivery.dropped, delivery.overflow);
      if (delivery.node === this.options.nodeId) this.held.get(delivery.peerId)?.deliver([delivery]);
    }
  }

  /** Sessions the store ended through this node: fire `session-end` here, once cluster-wide. */
  private ended(ended: Ended): void {
    this.delivered(ended.deliveries);
    for (const peerId of ended.peerIds) {
      this.dropWarnings.end(peerId);
      this.fire('session-end', { peerId });
    }
  }

  /** Send a response to the session's socket, if it is on this node. */
  private readonly sendTo = (peerId: string, text: string): void => {
    this.held.get(peerId)?.link.send(text);
  };

  private tick(): void {
    const store = this.connection;
    if (store === undefined) return;
    const now = this.env.now();
    // While failing closed, the beat is the probe: the first that succeeds reopens this node.
    store
      .beat(now)
      .then((alive) => {
        // Stalled past nodeTimeout (a long GC, a paused VM): the cluster took this node for
        // dead and its sessions now wait for a resume. Close their sockets, so they resume.
        if (!alive && this.started) this.failClosed('this node missed its beats and the cluster took it for dead');
        this.started = true;
        if (!this.healthy) this.recover();
        return store.sweep(now);
      })
      .then((ended) => this.ended(ended), this.storeFailed);
    if (this.healthy) this.served.renew(now);
  }

  /**
   * Stop serving: close every socket with 1013 (clients back off and retry, here or on
   * another node) and refuse new ones, until the store answers again.
   */
  private failClosed(reason: string, cause?: unknown): void {
    if (!this.healthy) return;
    this.healthy = false;
    this.fire('warning', { code: 'STORE_UNAVAILABLE', message: `${reason}: closing every socket with 1013 until it is back`, cause });
    for (const held of [...this.held.values()]) this.drop(held.link, TRY_AGAIN_LATER, reason);
  }

  /** The store answers again: serve, and detach the sessions whose sockets closed meanwhile. */
  private recover(): void {
    this.healthy = true;
    const now = this.env.now();
    for (const held of this.orphans.splice(0)) this.detachHeld(held, now);
  }

  /** The session waits in the store for a resume; if the store cannot be told, it is told once it is back. */
  private detachHeld(held: { id: string; fence: number }, now: number): void {
    const store = this.connection;
    if (store === undefined || !this.healthy) return void this.orphans.push(held);
    store.detach(held.id, held.fence, now, this.options.sessionTtl).catch((error: unknown) => {
      this.orphans.push(held);
      this.storeFailed(error);
    });
  }

  private readonly hints: StoreHints = {
    notes: (peerId: string, frames: Frame[]) => this.held.get(peerId)?.deliver(frames),
    answer: (peerId: string, text: string) => this.sendTo(peerId, text),
    revoked: (peerId, fence, why, reason) => {
      const held = this.held.get(peerId);
      if (held === undefined || held.fence !== fence) return;
      if (why === 'replaced') this.drop(held.link, CloseCode.REPLACED, reason);
      else if (why === 'kicked') this.drop(held.link, CloseCode.KICKED, reason);
      else this.drop(held.link, CloseCode.GOING_AWAY, reason);
    },
    resync: () => this.held.forEach((held) => held.fill()),
    health: (state) => {
      if (state === 'up') return this.tick(); // reopened by the first beat that succeeds
      if (state === 'down') return this.failClosed('the session store is unreachable');
      // The store lost its data: every session is gone. Clients reconnect and start new ones.
      this.failClosed('the session store lost its data: reconnect for a new session');
      this.orphans = [];
      this.recover();
    },
  };

  /** A store call failed (unreachable, timed out): fail closed until a beat succeeds. */
  private readonly storeFailed = (error: unknown): void => {
    this.failClosed(`the session store failed: ${messageOf(error)}`, error);
  };
}
