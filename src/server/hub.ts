import { SignalError } from '../errors.js';
import { CloseCode } from '../protocol/close-codes.js';
import type { HelloFrame, RequestFrame } from '../protocol/frames.js';
import type { Link } from './link.js';
import type { NormalizedOptions } from './options.js';
import { encodeNotification, type EncodedNotification, type NotificationOrigin } from './outbox.js';
import { serveRequest, type ServeContext } from './serve.js';
import { Session } from './session.js';
import { SocketHub, type Fire } from './sockets.js';
import { Trust } from './trust.js';

export type { Fire };

/** A client closing with 1000 (`peer.close()`) is done: its session ends now, not after sessionTtl. */
const CLOSED_BY_CLIENT = 1000;

/**
 * Sessions kept in this process: attach, notifications, requests run once, expiry. The
 * sockets' side is SocketHub's. SignalingServer feeds it accepted sockets and calls its methods.
 */
export class Hub extends SocketHub {
  private readonly sessions = new Map<string, Session>();
  private readonly serveContext: ServeContext;
  /** Secrets, kick revocations and the caches of ended sessions. */
  private readonly trust: Trust;

  constructor(
    options: NormalizedOptions,
    fire: Fire,
    report: (error: unknown) => void,
    /** Called as a session ends, before `session-end` is emitted (rooms: the peer leaves them). */
    private readonly onSessionEnd: (peerId: string) => void,
  ) {
    super(options, fire, report);
    this.serveContext = { now: () => this.env.now(), onFailure: this.onHandlerFailure };
    this.trust = new Trust(options, () => this.env.id());
  }

  /** Ids of the sessions held: connected, or disconnected and still resumable. */
  peerIds(): string[] {
    return [...this.sessions.keys()];
  }

  /** Queue a notification in the peer's outbox and send it if connected. False if unknown. */
  notify(peerId: string, method: string, data: unknown): boolean {
    const session = this.sessions.get(peerId);
    if (session === undefined) return false;
    this.deliver(session, encodeNotification(method, data));
    return true;
  }

  /** `notify` to many peers (a room): the data is encoded once, only `seq` differs per peer. */
  notifyAll(peerIds: Iterable<string>, method: string, data: unknown, origin: NotificationOrigin): void {
    let note: EncodedNotification | undefined;
    for (const peerId of peerIds) {
      const session = this.sessions.get(peerId);
      if (session === undefined) continue;
      note ??= encodeNotification(method, data, origin);
      this.deliver(session, note);
    }
  }

  /** True while a session (connected or awaiting a resume) has this id. */
  hasSession(peerId: string): boolean {
    return this.sessions.has(peerId);
  }

  /** Send a request to a connected peer. Throws `UNREACHABLE` or `BAD_MESSAGE` at once. */
  request(peerId: string, method: string, data: unknown, timeout: number): Promise<unknown> {
    const session = this.sessions.get(peerId);
    const link = session?.link;
    if (link === undefined) {
      const why = session === undefined ? 'has no session' : 'is not connected';
      throw new SignalError('UNREACHABLE', `cannot send request "${method}": peer "${peerId}" ${why}`);
    }
    return this.requests.send(link, peerId, method, data, timeout);
  }

  /** Close the peer's socket with 4000 and `reason`, and end its session now. False if unknown. */
  kick(peerId: string, reason: string): boolean {
    const session = this.sessions.get(peerId);
    if (session === undefined) return false;
    this.trust.revoke(peerId, this.env.now());
    if (session.link !== undefined) this.drop(session.link, CloseCode.KICKED, reason);
    this.endSession(session);
    return true;
  }

  /**
   * Close every socket with 1001 and end every session. Settles once the sockets are
   * closed; those still open after a grace period are cut off.
   */
  close(): Promise<void> {
    const closing = this.closeLinks();
    for (const session of [...this.sessions.values()]) this.endSession(session);
    return closing;
  }

  protected onRequest(link: Link, frame: RequestFrame, now: number): void {
    serveRequest(link.session as Session, link, frame, now, this.handlers.get(frame.method), this.serveContext);
  }

  protected onAck(link: Link, seq: number): void {
    (link.session as Session).outbox.ack(seq);
  }

  private endSession(session: Session): void {
    if (this.sessions.get(session.id) !== session) return;
    this.sessions.delete(session.id);
    session.cancelExpiry();
    this.trust.ended(session.id, session.dedupe, this.env.now());
    this.onSessionEnd(session.id);
    this.dropWarnings.end(session.id);
    this.fire('session-end', { peerId: session.id });
  }

  protected open(link: Link, hello: HelloFrame): void {
    const resume = hello.resume;
    const now = this.env.now();
    const found = resume === undefined ? undefined : this.sessions.get(resume.peer);
    const resumed = found !== undefined && found.ownedBy(resume!.secret);
    let session: Session;
    if (resumed) {
      session = found;
      if (session.link !== undefined) this.drop(session.link, CloseCode.REPLACED, 'session resumed on another socket');
      session.cancelExpiry();
      if (hello.ack !== undefined) session.outbox.ack(hello.ack);
    } else {
      // An unknown or mismatched resume silently starts a new session (PROTOCOL.md). After a
      // restart or failover the old id is free: it is kept if the secret proves it (secrets
      // are derived from ids under the server's key), so the peer's id, the routing of its
      // calls' signals and its request de-duplication survive. Otherwise a fresh id.
      const claim = this.trust.claim(resume, found !== undefined, now);
      session = new Session(claim.id, claim.secret, this.options, this.env, claim.dedupe);
      this.sessions.set(session.id, session);
    }
    link.session = session;
    session.link = link;
    const { id: peer, secret } = session;
    this.welcome(link, { peer, secret, resumed, lost: resumed ? session.outbox.takeLost() : undefined });
    for (const text of session.outbox.pending()) link.send(text);
    // A resume that replays an outbox larger than maxSocketBuffer may have closed it already.
    if (link.state === 'open') this.fire('connection', { peerId: peer, resumed, auth: link.auth });
  }

  /** The socket is gone: start its session's expiry. */
  protected detached(link: Link, code: number, reason: string): void {
    const session = link.session as Session | undefined;
    if (session === undefined || session.link !== link) return;
    session.link = undefined;
    this.fire('disconnect', { peerId: session.id, code, reason });
    if (code === CLOSED_BY_CLIENT) this.endSession(session); // the server itself never closes with 1000
    else if (this.running) session.expireIn(this.options.sessionTtl, () => this.endSession(session));
  }

  private deliver(session: Session, note: EncodedNotification): void {
    const { text, dropped, overflow } = session.outbox.push(note);
    if (overflow !== undefined) this.dropped(session.id, dropped, overflow);
    session.link?.send(text);
  }

  private readonly onHandlerFailure = (session: Session, method: string, error: unknown): void => this.handlerFailed(session.id, method, error);
}
