import type { IncomingMessage } from 'node:http';
import type { RawData, WebSocket } from 'ws';
import type { TimerHandle } from '../env.js';
import { SignalError } from '../errors.js';
import { CloseCode } from '../protocol/close-codes.js';
import { encodeFrame } from '../protocol/codec.js';
import { PROTOCOL_VERSION, type HelloFrame, type RequestFrame, type WelcomeFrame } from '../protocol/frames.js';
import { readFrame } from './chunking.js';
import { DropWarnings } from './drop-warnings.js';
import type { ServerEnv } from './env.js';
import { iceServersFor } from './ice.js';
import { Link } from './link.js';
import type { NormalizedOptions } from './options.js';
import { ServerRequests } from './requests.js';
import { PingWheel, answerAfter, pingAfter } from './ping-wheel.js';
import { messageOf } from './responses.js';
import type { RequestHandler, SignalingServerEvents } from './types.js';
import { expireAt, readVerdict } from './verdict.js';

export type Fire = <E extends Exclude<keyof SignalingServerEvents, 'error'>>(
  event: E,
  payload: Parameters<SignalingServerEvents[E]>[0],
) => void;

const INTERNAL_ERROR = 1011;
/** Sockets still open this long after `close()` sent 1001 are cut off. */
const CLOSE_GRACE_MS = 2_000;

/**
 * The sockets' side of a server: the handshake up to `welcome`, frame decoding and
 * dispatch, rate and idle limits, server→client requests and every close. Where sessions
 * live is the subclass's business: in this process (Hub) or in a shared store (ClusterHub).
 */
export abstract class SocketHub {
  protected readonly links = new Set<Link>();
  protected readonly handlers = new Map<string, RequestHandler>();
  protected readonly requests: ServerRequests;
  protected readonly env: ServerEnv;
  /** False once the server shuts down: sessions then end instead of waiting for a resume. */
  protected running = true;
  /** The idle check, started with the first socket. */
  private idleTimer: TimerHandle | undefined;
  /** NOTIFICATIONS_DROPPED warnings, aggregated per session. */
  protected readonly dropWarnings: DropWarnings;
  /** Pings the idle sockets of clients that asked for them (`hello.heartbeat`). */
  private readonly pings: PingWheel;

  constructor(
    protected readonly options: NormalizedOptions,
    protected readonly fire: Fire,
    protected readonly report: (error: unknown) => void,
  ) {
    this.env = options.env;
    this.requests = new ServerRequests(this.env);
    this.pings = new PingWheel(this.env, answerAfter(options.idleTimeout));
    this.dropWarnings = new DropWarnings(this.env, (peerId, count, why) => {
      const message = `peer "${peerId}" has over ${why}; dropped ${count} (reported once per second at most)`;
      this.fire('warning', { code: 'NOTIFICATIONS_DROPPED', message, peerId, count });
    });
  }

  /** A session's buffer overflowed (`overflow` names the limit) and dropped `dropped` notifications. */
  protected dropped(peerId: string, dropped: number, overflow: 'count' | 'bytes'): void {
    const { maxBufferedNotifications, maxBufferedBytes } = this.options;
    const over = overflow === 'count' ? `${maxBufferedNotifications} unacknowledged notifications` : `${maxBufferedBytes} bytes of unacknowledged notifications`;
    this.dropWarnings.dropped(peerId, dropped, over);
  }

  protected handlerFailed(peerId: string, method: string, error: unknown): void {
    this.fire('warning', { code: 'HANDLER_FAILED', message: `handler of "${method}" threw: ${messageOf(error)}`, peerId, cause: error });
  }

  /** Mark `link` welcomed and send `welcome`, with the ICE servers of the `iceServers` hook. */
  protected welcome(link: Link, frame: Pick<WelcomeFrame, 'peer' | 'secret' | 'resumed' | 'lost' | 'scope'>): void {
    link.welcomed();
    const { peer } = frame;
    const iceServers = iceServersFor(this.options.iceServers, { peerId: peer, req: link.req }, (error) =>
      this.fire('warning', { code: 'HANDLER_FAILED', message: `the iceServers hook failed for peer "${peer}": ${messageOf(error)}; welcomed without ICE servers`, peerId: peer, cause: error }),
    );
    const { secret, resumed, lost, scope } = frame;
    const chunks = this.options.maxSignalBytes;
    const heartbeat = link.pingAfter > 0 ? link.pingAfter : undefined;
    link.send(encodeFrame({ type: 'welcome', version: PROTOCOL_VERSION, peer, secret, resumed, ...(scope !== undefined && { scope }), ...(lost && { lost }), ...(iceServers && { iceServers }), chunks, ...(heartbeat && { heartbeat }) }));
    if (heartbeat && this.running) this.pings.add(link);
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

  /** Welcome `link` (authenticated): attach it to a new or resumed session and send what it missed. */
  protected abstract open(link: Link, hello: HelloFrame): void | Promise<void>;
  /** A request from a welcomed socket. */
  protected abstract onRequest(link: Link, frame: RequestFrame, now: number): void;
  /** The client has every notification up to `seq`. */
  protected abstract onAck(link: Link, seq: number): void;
  /** A welcomed socket is gone (its server requests are failed already). */
  protected abstract detached(link: Link, code: number, reason: string): void;

  /** Stop the idle check and close every socket with 1001; settles once they are closed (or cut off). */
  protected closeLinks(): Promise<void> {
    this.running = false;
    this.dropWarnings.clear();
    if (this.idleTimer !== undefined) this.env.clearInterval(this.idleTimer);
    this.pings.stop();
    for (const link of this.links) this.drop(link, CloseCode.GOING_AWAY, 'server is shutting down');
    const closing = [...this.links].map((link) => link.closed);
    if (closing.length === 0) return Promise.resolve();
    const grace = this.env.setTimeout(() => this.links.forEach((link) => link.terminate()), CLOSE_GRACE_MS);
    return Promise.all(closing).then(() => this.env.clearTimeout(grace));
  }

  /** Close a socket on the server's initiative; its session's bookkeeping happens now. */
  protected drop(link: Link, code: number, reason: string): void {
    if (link.state === 'closed') return;
    link.close(code, reason);
    this.detach(link, code, reason);
  }

  protected fail(link: Link, error: unknown): void {
    this.report(error);
    this.drop(link, INTERNAL_ERROR, 'internal server error');
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
    // A binary frame (a Buffer, not a string) is a protocol error too.
    const decoded = readFrame(link, isBinary ? data : data.toString(), this.options.maxSignalBytes);
    if (decoded === undefined) return; // a chunk of a message not complete yet
    if (!decoded.ok) return this.protocolError(link, decoded.message, decoded.code);
    const frame = decoded.frame;
    if (link.state !== 'open' || link.session === undefined) {
      if (link.state === 'hello' && frame.type === 'hello') {
        this.greet(link, frame).catch((error: unknown) => this.fail(link, error));
        return;
      }
      const expected = link.state === 'hello' ? 'expected "hello" as the first frame' : 'sent before "welcome"';
      return this.protocolError(link, `received "${frame.type}": ${expected}`);
    }
    switch (frame.type) {
      case 'request':
        return this.onRequest(link, frame, now);
      case 'response':
        return this.requests.settle(link, frame);
      case 'ping':
        if (frame.ack !== undefined) this.onAck(link, frame.ack);
        return link.send(`{"type":"pong","id":${frame.id}}`);
      case 'pong': // the answer to the server's ping: its arrival (lastSeen) is all that counts
        if (frame.ack !== undefined) this.onAck(link, frame.ack);
        return;
      case 'ack':
        return this.onAck(link, frame.seq);
      case 'notification':
        return this.fire('notification', { peerId: link.session.id, method: frame.method, data: frame.data });
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
    // A client that reassembles chunked messages gets those over a frame as chunks.
    if (hello.chunks) link.chunkAt = this.options.maxPayload;
    // A client that answers pings is pinged when idle, so it need not ping itself.
    if (hello.heartbeat !== undefined) link.pingAfter = pingAfter(hello.heartbeat);
    await this.open(link, hello);
  }

  /** Close the link with 4505 when its token expires; the session stays, for a resume with a fresh token. */
  private expireToken(link: Link, expiresAt: number): void {
    const onExpire = () => this.drop(link, CloseCode.TOKEN_EXPIRED, 'token expired: reconnect with a fresh token to resume the session');
    link.expiryTimer = expireAt(expiresAt, this.env, onExpire, (timer) => (link.expiryTimer = timer));
  }

  /** The socket is gone: fail its server requests, then the subclass's bookkeeping. */
  private detach(link: Link, code: number, reason: string): void {
    link.state = 'closed';
    this.requests.failLink(link, new SignalError('CLOSED', `the link closed (${code}) before the response`, { closeCode: code }));
    this.detached(link, code, reason);
  }

  protected protocolError(link: Link, message: string, code: number = CloseCode.PROTOCOL_ERROR): void {
    this.fire('warning', { code: 'PROTOCOL_ERROR', message, peerId: link.session?.id });
    this.drop(link, code, message);
  }

  /** The client does not read what it is sent: close it (4503) before its buffer grows further. */
  private readonly onSlow = (link: Link, buffered: number): void => {
    const message = `slow consumer: ${buffered} bytes not yet written to the socket, over maxSocketBuffer (${this.options.maxSocketBuffer})`;
    this.fire('warning', { code: 'SLOW_CONSUMER', message, peerId: link.session?.id });
    this.drop(link, CloseCode.SLOW_CONSUMER, message);
  };
}
