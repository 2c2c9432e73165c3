import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { EventEmitter } from 'eventemitter3';
import { WebSocketServer } from 'ws';
import { SignalError } from '../errors.js';
import { CloseCode } from '../protocol/close-codes.js';
import { encodeFrame, MAX_TIMER_DELAY, validDelay } from '../protocol/codec.js';
import { Hub, type Fire } from './hub.js';
import { normalizeOptions, type NormalizedOptions, type SignalingServerOptions } from './options.js';
import { DropWarnings } from './drop-warnings.js';
import { refusedOriginBody } from './origins.js';
import { encodeNotification, type EncodedNotification, type NotificationOrigin } from './outbox.js';
import { ROOM_METHODS, Rooms } from './rooms.js';
import type { Session } from './session.js';
import type { RequestHandler, RequestOptions, SignalingServerEvents } from './types.js';

/** Sockets still open this long after `close()` sent 1001 are cut off. */
const CLOSE_GRACE_MS = 2_000;

/**
 * The resignal reference server: sessions that survive reconnects, requests that run
 * exactly once, notifications kept until acknowledged. See PROTOCOL.md.
 */
export class SignalingServer extends EventEmitter<SignalingServerEvents> {
  private readonly options: NormalizedOptions;
  private readonly hub: Hub;
  private readonly rooms: Rooms | undefined;
  private state: 'new' | 'listening' | 'closing' = 'new';
  private wss: WebSocketServer | undefined;
  /** The HTTP server this instance created (and must close), when not given one. */
  private ownHttp: HttpServer | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  /** Pending while our own HTTP server binds, so close() can wait for it. */
  private binding: Promise<void> | undefined;
  private lastRequestId = 0;
  private readonly dropWarnings: DropWarnings;

  constructor(options: SignalingServerOptions = {}) {
    super();
    this.options = normalizeOptions(options);
    const { rooms } = this.options;
    this.rooms = rooms === false ? undefined : new Rooms(rooms, (peerIds, method, data, origin) => this.notifyAll(peerIds, method, data, origin), (peerId) => this.hub.sessions.has(peerId));
    this.dropWarnings = new DropWarnings({ setTimeout, clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout) }, (peerId, count, why) => {
      const message = `peer "${peerId}" has over ${why}; dropped ${count} (reported once per second at most)`;
      this.fire('warning', { code: 'NOTIFICATIONS_DROPPED', message, peerId, count });
    });
    this.hub = new Hub(this.options, this.fire, (error) => this.report(error), (peerId) => {
      this.rooms?.leaveAll(peerId);
      this.dropWarnings.end(peerId);
    });
    for (const [method, handler] of Object.entries(this.rooms?.handlers ?? {})) this.hub.handlers.set(method, handler);
  }

  /** The bound port. Throws until the server listens. */
  get port(): number {
    const address = (this.options.server ?? this.ownHttp)?.address();
    if (address === null || address === undefined || typeof address === 'string') {
      throw new Error('SignalingServer: the port is known once listen() has resolved');
    }
    return address.port;
  }

  /** Start accepting sockets. With the `server` option, attaches to it without starting it. */
  async listen(): Promise<void> {
    if (this.state === 'closing') throw new Error('SignalingServer: listen() after close()');
    if (this.state === 'listening') return;
    this.state = 'listening';
    const { server, port, host, path, maxPayload, idleTimeout } = this.options;
    const http = server ?? (this.ownHttp = createServer(upgradeRequired));
    const { allowOrigins } = this.options;
    const wss = new WebSocketServer({
      server: http,
      path,
      maxPayload,
      clientTracking: false,
      perMessageDeflate: false,
      // Refused origins get HTTP 403 before any WebSocket exists.
      ...(allowOrigins && {
        verifyClient: ({ origin }: { origin: string | undefined }, done: (ok: boolean, code?: number, body?: string, headers?: Record<string, string>) => void) =>
          allowOrigins(origin) ? done(true) : done(false, 403, refusedOriginBody(origin), { 'Content-Type': 'text/plain; charset=utf-8' }),
      }),
    });
    this.wss = wss;
    wss.on('connection', (ws, req) => {
      if (this.state === 'listening') this.hub.accept(ws, req);
      else ws.close(CloseCode.GOING_AWAY, 'server is shutting down');
    });
    // ws re-emits the HTTP server's errors; until it listens, they reject listen() instead.
    let listening = this.ownHttp === undefined;
    wss.on('error', (error) => listening && this.report(error));
    if (idleTimeout > 0) {
      // One timer for all sockets rather than one per socket reset on every frame.
      const every = Math.max(10, Math.min(idleTimeout / 4, 5_000));
      this.idleTimer = setInterval(() => this.hub.closeIdle(Date.now()), every).unref();
    }
    const own = this.ownHttp;
    if (own === undefined) return;
    this.binding = new Promise<void>((resolve, reject) => {
      own.once('error', reject);
      own.listen(port, host, () => {
        own.off('error', reject);
        resolve();
      });
    });
    try {
      await this.binding;
      listening = true;
    } catch (error) {
      // Back to new, so listen() can be retried (e.g. once the port is free).
      clearInterval(this.idleTimer);
      wss.close();
      this.wss = this.ownHttp = undefined;
      this.state = 'new';
      throw error;
    }
  }

  /** Register the handler of a request method. Returns a function that removes it. */
  handle(method: string, handler: RequestHandler): () => void {
    const { handlers } = this.hub;
    if (this.rooms !== undefined && ROOM_METHODS.includes(method)) {
      throw new Error(`SignalingServer: "${method}" is a built-in rooms method; pick another name, or turn rooms off with \`rooms: false\``);
    }
    if (handlers.has(method)) throw new Error(`SignalingServer: method "${method}" already has a handler`);
    handlers.set(method, handler);
    return () => {
      if (handlers.get(method) === handler) handlers.delete(method);
    };
  }

  /**
   * Send a notification. It is kept until the peer acknowledges it and resent after a
   * resume, so it may be sent while the peer is disconnected. Returns false when no
   * session has that id. Throws a `BAD_MESSAGE` SignalError if `data` is not JSON.
   */
  notify(peerId: string, method: string, data?: unknown): boolean {
    checkMethod(method);
    const session = this.hub.sessions.get(peerId);
    if (session === undefined) return false;
    this.deliver(session, encodeNotification(method, data));
    return true;
  }

  /** `notify` to many peers (a room): the data is encoded once, only `seq` differs per peer. */
  private notifyAll(peerIds: Iterable<string>, method: string, data: unknown, origin: NotificationOrigin): void {
    let note: EncodedNotification | undefined;
    for (const peerId of peerIds) {
      const session = this.hub.sessions.get(peerId);
      if (session === undefined) continue;
      note ??= encodeNotification(method, data, origin);
      this.deliver(session, note);
    }
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

  /**
   * Send a request to a connected peer; resolves with its response data. Rejects with a
   * SignalError: `UNREACHABLE` (unknown or disconnected peer), `CLOSED` (the link dropped
   * first: server requests are never replayed), `TIMEOUT`, `REMOTE` (the peer answered
   * with an error, see `remoteCode`) or `BAD_MESSAGE` (data is not JSON).
   */
  request(peerId: string, method: string, data?: unknown, options: RequestOptions = {}): Promise<unknown> {
    try {
      checkMethod(method);
      const timeout = options.timeout === undefined ? this.options.requestTimeout : requestTimeout(options.timeout);
      const link = this.hub.sessions.get(peerId)?.link;
      if (link === undefined) {
        const why = this.hub.sessions.has(peerId) ? 'is not connected' : 'has no session';
        throw new SignalError('UNREACHABLE', `cannot send request "${method}": peer "${peerId}" ${why}`);
      }
      const id = `s${++this.lastRequestId}`;
      const text = encodeFrame({ type: 'request', id, method, data });
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          link.pending.delete(id);
          reject(new SignalError('TIMEOUT', `request "${method}" to peer "${peerId}" got no response in ${timeout} ms`));
        }, timeout);
        link.pending.set(id, { method, resolve, reject, timer });
        link.send(text);
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Close the peer's socket with 4000 and `reason`, delete its session now, and revoke its
   * secret (for `revocationTtl`, on this process): a client coming back with the old id and
   * secret gets a fresh id, after `authenticate` again. False if unknown.
   */
  kick(peerId: string, reason = 'kicked by the server'): boolean {
    const session = this.hub.sessions.get(peerId);
    if (session === undefined) return false;
    this.hub.trust.revoke(peerId, Date.now());
    if (session.link !== undefined) this.hub.drop(session.link, CloseCode.KICKED, reason);
    this.hub.endSession(session);
    return true;
  }

  /** Ids of the sessions held: connected, or disconnected and still resumable. */
  peers(): string[] {
    return [...this.hub.sessions.keys()];
  }

  /** Close every socket with 1001, end every session, stop listening. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.state = 'closing';
    const { hub } = this;
    hub.running = false;
    clearInterval(this.idleTimer);
    this.rooms?.clear(); // sessions end below; nobody is left to tell
    this.dropWarnings.clear();
    for (const link of hub.links) hub.drop(link, CloseCode.GOING_AWAY, 'server is shutting down');
    for (const session of [...hub.sessions.values()]) hub.endSession(session);
    this.wss?.close();
    const closing = [...hub.links].map((link) => link.closed);
    if (closing.length > 0) {
      const grace = setTimeout(() => hub.links.forEach((link) => link.ws.terminate()), CLOSE_GRACE_MS);
      await Promise.all(closing);
      clearTimeout(grace);
    }
    await this.binding?.catch(() => {}); // a close() racing listen() must not leave a bound port
    const own = this.ownHttp;
    if (own?.listening) await new Promise((resolve) => own.close(resolve));
  }

  /** Emit to application listeners; a throwing listener must not break the socket loop. */
  private readonly fire: Fire = (event, payload) => {
    try {
      (this.emit as (event: string, payload: unknown) => boolean)(event, payload);
    } catch (error) {
      this.report(error);
    }
  };

  /** Emit 'error', or print it when nobody listens, since eventemitter3 would drop it. */
  private report(error: unknown): void {
    try {
      if (this.listenerCount('error') > 0) return void this.emit('error', { error });
    } catch (listenerError) {
      error = listenerError;
    }
    console.error('resignal server:', error);
  }
}

function upgradeRequired(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(426, { 'content-type': 'text/plain' }).end('this endpoint speaks WebSocket (resignal)\n');
}

/** A timeout of more than 2^31-1 ms would fire after ~1 ms: refuse it rather than time out at once. */
function requestTimeout(ms: number): number {
  if (validDelay(ms)) return ms;
  throw new TypeError(`SignalingServer.request: option "timeout" must be a number of ms above 0 and at most ${MAX_TIMER_DELAY} (2^31-1, the longest timer delay), got ${String(ms)}`);
}

function checkMethod(method: string): void {
  if (typeof method !== 'string' || method.length < 1 || method.length > 256) {
    throw new TypeError(`SignalingServer: method must be a string of 1-256 characters, got ${JSON.stringify(method)}`);
  }
}
