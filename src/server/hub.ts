import type { IncomingMessage } from 'node:http';
import type { RawData, WebSocket } from 'ws';
import type { TimerHandle } from '../env.js';
import { SignalError } from '../errors.js';
import { CloseCode } from '../protocol/close-codes.js';
import { encodeFrame } from '../protocol/codec.js';
import { readFrame } from './chunking.js';
import { PROTOCOL_VERSION, type HelloFrame } from '../protocol/frames.js';
import type { ServerEnv } from './env.js';
import { iceServersFor } from './ice.js';
import { Link } from './link.js';
import type { NormalizedOptions } from './options.js';
import { DropWarnings } from './drop-warnings.js';
import { encodeNotification, type EncodedNotification, type NotificationOrigin } from './outbox.js';
import { ServerRequests } from './requests.js';
import { messageOf } from './responses.js';
import { serveRequest, type ServeContext } from './serve.js';
import { Session } from './session.js';
import { Trust } from './trust.js';
import type { RequestHandler, SignalingServerEvents } from './types.js';
import { expireAt, readVerdict } from './verdict.js';

export type Fire = <E extends Exclude<keyof SignalingServerEvents, 'error'>>(
  event: E,
  payload: Parameters<SignalingServerEvents[E]>[0],
) => void;

const INTERNAL_ERROR = 1011;
/** A client closing with 1000 (`peer.close()`) is done: its session ends now, not after sessionTtl. */
const CLOSED_BY_CLIENT = 1000;
/** Sockets still open this long after `close()` sent 1001 are cut off. */
const CLOSE_GRACE_MS = 2_000;

/**
 * Sockets and sessions: the handshake, frame dispatch, notifications, server requests and
 * every close. Knows nothing about HTTP or listening; SignalingServer feeds it accepted
 * sockets and calls its methods.
 */
export class Hub {
  private readonly sessions = new Map<string, Session>();
  private readonly links = new Set<Link>();
  private readonly handlers = new Map<string, RequestHandler>();
  private readonly requests: ServerRequests;
  private readonly env: ServerEnv;
  /** False once the server shuts down: sessions then end instead of waiting for a resume. */
  private running = true;
  /** The idle check, started with the first socket. */
  private idleTimer: TimerHandle | undefined;
  private readonly serveContext: ServeContext;
  /** Secrets, kick revocations and the caches of ended sessions. */
  private readonly trust: Trust;
  private readonly dropWarnings: DropWarnings;

  constructor(
    private readonly options: NormalizedOptions,
    private readonly fire: Fire,
    private readonly report: (error: unknown) => void,
    /** Called as a session ends, before `session-end` is emitted (rooms: the peer leaves them). */
    private readonly onSessionEnd: (peerId: string) => void,
  ) {
    this.env = options.env;
    this.requests = new ServerRequests(this.env);
    this.serveContext = { now: () => this.env.now(), onFailure: this.onHandlerFailure };
    this.trust = new Trust(options, () => this.env.id());
    this.dropWarnings = new DropWarnings(this.env, (peerId, count, why) => {
      const message = `peer "${peerId}" has over ${why}; dropped ${count} (reported once per second at most)`;
      this.fire('warning', { code: 'NOTIFICATIONS_DROPPED', message, peerId, count });
    });
  }

  /** Register the handler of a request method. Returns a function that removes it. */
  handle(method: string, handler: RequestHandler): () => void {
    const { handlers } = this;
    if (handlers.has(method)) throw new Error(`SignalingServer: method "${method}" already has a handler`);
    handlers.set(method, handler);
    return () => {
      if (handlers.get(method) === handler) handlers.delete(method);
    };
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
    this.running = false;
    this.dropWarnings.clear();
    if (this.idleTimer !== undefined) this.env.clearInterval(this.idleTimer);
    for (const link of this.links) this.drop(link, CloseCode.GOING_AWAY, 'server is shutting down');
    for (const session of [...this.sessions.values()]) this.endSession(session);
    const closing = [...this.links].map((link) => link.closed);
    if (closing.length === 0) return Promise.resolve();
    const grace = this.env.setTimeout(() => this.links.forEach((link) => link.terminate()), CLOSE_GRACE_MS);
    return Promise.all(closing).then(() => this.env.clearTimeout(grace));
  }

  accept(ws: WebSocket, req: IncomingMessage): void {
    const link = new Link(ws, req, this.env, this.options.maxSocketBuffer, this.onSlow);
    this.links.add(link);
    const { helloTimeout, idleTimeout } = this.options;
    link.awaitHello(helloTimeout, () => {
      this.drop(link, CloseCode.HELLO_TIMEOUT, `not welcomed within ${helloTimeout} ms of connecting (send hello first)`);
    });
    if (idleTimeout > 0 && this.idleTimer === undefined && this.running) {
      // One timer for all sockets rather than one per socket reset on every frame.
      const every = Math.max(10, Math.min(idleTimeout / 4, 5_000));
      this.idleTimer = this.env.setInterval(() => this.closeIdle(this.env.now()), every);
    }
    ws.on('message', (data, isBinary) => {
      try {
        this.receive(link, data, isBinary);
      } catch (error) {
        this.fail(link, error); // a bug here must cost one socket, not the process
      }
    });
    ws.on('close', (code, reason) => {
      this.links.delete(link);
      if (link.state !== 'closed') this.detach(link, code, reason.toString());
      link.released();
    });
    // ws reports bad frames (too large, bad UTF-8) here, then closes the socket itself.
    ws.on('error', () => {});
  }

  /** Close a socket on the server's initiative; its session's bookkeeping happens now. */
  private drop(link: Link, code: number, reason: string): void {
    if (link.state === 'closed') return;
    link.close(code, reason);
    this.detach(link, code, reason);
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

  /** Close welcomed sockets that have sent nothing for `idleTimeout`. */
  private closeIdle(now: number): void {
    const { idleTimeout } = this.options;
    for (const link of this.links) {
      if (link.state === 'open' && now - link.lastSeen >= idleTimeout) {
        this.drop(link, CloseCode.IDLE_TIMEOUT, `idle: no frame received for ${idleTimeout} ms`);
      }
    }
  }

  private receive(link: Link, data: RawData, isBinary: boolean): void {
    if (link.state === 'closed') return;
    const now = this.env.now();
    link.lastSeen = now;
    const { rateLimit } = this.options;
    if (rateLimit !== false && !link.hit(now, rateLimit)) {
      const reason = `rate limited: more than ${rateLimit.messages} frames in ${rateLimit.perMs} ms`;
      return this.drop(link, CloseCode.RATE_LIMITED, reason);
    }
    // decodeFrame turns a binary frame (a Buffer, not a string) into a BAD_MESSAGE too.
    const decoded = readFrame(link, isBinary ? data : data.toString(), this.options.maxSignalBytes);
    if (decoded === undefined) return; // a chunk of a message not complete yet
    if (!decoded.ok) return this.protocolError(link, decoded.message, decoded.code);
    const frame = decoded.frame;
    const session = link.session;
    if (link.state !== 'open' || session === undefined) {
      if (link.state === 'hello' && frame.type === 'hello') {
        this.greet(link, frame).catch((error: unknown) => this.fail(link, error));
        return;
      }
      const expected = link.state === 'hello' ? 'expected "hello" as the first frame' : 'sent before "welcome"';
      return this.protocolError(link, `received "${frame.type}": ${expected}`);
    }
    switch (frame.type) {
      case 'request':
        return serveRequest(session, link, frame, now, this.handlers.get(frame.method), this.serveContext);
      case 'response':
        return this.requests.settle(link, frame);
      case 'ping':
        if (frame.ack !== undefined) session.outbox.ack(frame.ack);
        return link.send(`{"type":"pong","id":${frame.id}}`);
      case 'ack':
        return session.outbox.ack(frame.seq);
      case 'notification':
        return this.fire('notification', { peerId: session.id, method: frame.method, data: frame.data });
      case 'hello':
        return this.protocolError(link, 'received a second "hello" on a welcomed socket');
    }
  }

  /** Check the version, authenticate, then attach the socket to a new or resumed session. */
  private async greet(link: Link, hello: HelloFrame): Promise<void> {
    if (hello.version !== PROTOCOL_VERSION) {
      const reason = `protocol version ${hello.version} is not supported; this server speaks ${PROTOCOL_VERSION}`;
      return this.drop(link, CloseCode.UNSUPPORTED_VERSION, reason);
    }
    const { authenticate } = this.options;
    if (authenticate !== undefined) {
      link.state = 'auth';
      let answer: unknown;
      try {
        answer = await authenticate(hello, link.req);
      } catch (error) {
        answer = messageOf(error);
      }
      if (link.state !== 'auth') return; // closed meanwhile: hello timeout, shutdown
      const verdict = readVerdict(answer, this.env.now());
      if (!verdict.accepted) return this.drop(link, CloseCode.UNAUTHORIZED, verdict.reason);
      link.auth = verdict.auth;
      if (verdict.expiresAt !== undefined) this.expireToken(link, verdict.expiresAt);
    }
    this.open(link, hello);
  }

  /** Close the link with 4505 when its token expires; the session stays, for a resume with a fresh token. */
  private expireToken(link: Link, expiresAt: number): void {
    const onExpire = () => this.drop(link, CloseCode.TOKEN_EXPIRED, 'token expired: reconnect with a fresh token to resume the session');
    link.expiryTimer = expireAt(expiresAt, this.env, onExpire, (timer) => (link.expiryTimer = timer));
  }

  private open(link: Link, hello: HelloFrame): void {
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
    link.welcomed();
    if (hello.chunks) link.chunkAt = this.options.maxPayload;
    link.session = session;
    session.link = link;
    const { id: peer, secret } = session;
    const iceServers = iceServersFor(this.options.iceServers, { peerId: peer, req: link.req }, (error) =>
      this.fire('warning', { code: 'HANDLER_FAILED', message: `the iceServers hook failed for peer "${peer}": ${messageOf(error)}; welcomed without ICE servers`, peerId: peer, cause: error }),
    );
    const lost = resumed ? session.outbox.takeLost() : undefined;
    link.send(encodeFrame({ type: 'welcome', version: PROTOCOL_VERSION, peer, secret, resumed, ...(lost && { lost }), ...(iceServers && { iceServers }), chunks: this.options.maxSignalBytes }));
    for (const text of session.outbox.pending()) link.send(text);
    // A resume that replays an outbox larger than maxSocketBuffer may have closed it already.
    if (link.state === 'open') this.fire('connection', { peerId: peer, resumed, auth: link.auth });
  }

  /** The socket is gone: fail its server requests and start its session's expiry. */
  private detach(link: Link, code: number, reason: string): void {
    link.state = 'closed';
    this.requests.failLink(link, new SignalError('CLOSED', `the link closed (${code}) before the response`, { closeCode: code }));
    const session = link.session;
    if (session === undefined || session.link !== link) return;
    session.link = undefined;
    this.fire('disconnect', { peerId: session.id, code, reason });
    if (code === CLOSED_BY_CLIENT) this.endSession(session); // the server itself never closes with 1000
    else if (this.running) session.expireIn(this.options.sessionTtl, () => this.endSession(session));
  }

  private deliver(session: Session, note: EncodedNotification): void {
    const { text, dropped, overflow } = session.outbox.push(note);
    if (overflow !== undefined) {
      const { maxBufferedNotifications, maxBufferedBytes } = this.options;
      const over = overflow === 'count' ? `${maxBufferedNotifications} unacknowledged notifications` : `${maxBufferedBytes} bytes of unacknowledged notifications`;
      this.dropWarnings.dropped(session.id, dropped, over);
    }
    session.link?.send(text);
  }

  private protocolError(link: Link, message: string, code: number = CloseCode.PROTOCOL_ERROR): void {
    this.fire('warning', { code: 'PROTOCOL_ERROR', message, peerId: link.session?.id });
    this.drop(link, code, message);
  }

  private fail(link: Link, error: unknown): void {
    this.report(error);
    this.drop(link, INTERNAL_ERROR, 'internal server error');
  }

  /** The client does not read what it is sent: close it (4503) before its buffer grows further. */
  private readonly onSlow = (link: Link, buffered: number): void => {
    const message = `slow consumer: ${buffered} bytes not yet written to the socket, over maxSocketBuffer (${this.options.maxSocketBuffer})`;
    this.fire('warning', { code: 'SLOW_CONSUMER', message, peerId: link.session?.id });
    this.drop(link, CloseCode.SLOW_CONSUMER, message);
  };

  private readonly onHandlerFailure = (session: Session, method: string, error: unknown): void => {
    const message = `handler of "${method}" threw: ${messageOf(error)}`;
    this.fire('warning', { code: 'HANDLER_FAILED', message, peerId: session.id, cause: error });
  };
}
