import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { EventEmitter } from 'eventemitter3';
import { WebSocketServer } from 'ws';
import { CloseCode } from '../protocol/close-codes.js';
import { MAX_TIMER_DELAY, validDelay } from '../protocol/codec.js';
import { ClusterHub } from './cluster/cluster-hub.js';
import { Hub } from './hub.js';
import type { Fire } from './sockets.js';
import { normalizeOptions, type NormalizedOptions, type SignalingServerOptions } from './options.js';
import { ROOM_METHODS, RoomDirectory } from './room-directory.js';
import type { HandlerContext, RequestHandler, RequestOptions, SignalingServerEvents } from './types.js';
import type { AnyContract, ContractShape, RequestData, RequestMethod, RequestResult } from '../contract.js';
import { validated, type MethodSchemas } from './contract.js';
import type * as z from 'zod/mini';
import { refusedOriginBody } from './origins.js';

/**
 * The resignal reference server: sessions that survive reconnects, requests that run
 * exactly once, notifications kept until acknowledged. See PROTOCOL.md.
 */
export class SignalingServer<C extends ContractShape = AnyContract> extends EventEmitter<SignalingServerEvents> {
  private readonly options: NormalizedOptions;
  private readonly hub: Hub | ClusterHub;
  private readonly rooms: RoomDirectory | undefined;
  private state: 'new' | 'listening' | 'closing' = 'new';
  private wss: WebSocketServer | undefined;
  /** The HTTP server this instance created (and must close), when not given one. */
  private ownHttp: HttpServer | undefined;
  private closing: Promise<void> | undefined;
  /** Pending while our own HTTP server binds, so close() can wait for it. */
  private binding: Promise<void> | undefined;

  constructor(options: SignalingServerOptions = {}) {
    super();
    this.options = normalizeOptions(options);
    const { rooms, store } = this.options;
    const report = (error: unknown) => this.report(error);
    if (store !== undefined) {
      // Rooms live in the store too; the cluster hub serves them itself.
      this.hub = new ClusterHub(this.options, this.fire, report);
      this.rooms = undefined;
    } else {
      const hub = new Hub(this.options, this.fire, report, (peerId) => this.rooms?.leaveAll(peerId));
      this.hub = hub;
      this.rooms = rooms === false ? undefined : new RoomDirectory(rooms, (peerIds, method, data, origin) => hub.notifyAll(peerIds, method, data, origin), (peerId) => hub.hasSession(peerId));
      for (const [method, handler] of Object.entries(this.rooms?.handlers ?? {})) hub.handle(method, handler);
    }
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
    const { store } = this.options;
    if (store !== undefined && this.hub instanceof ClusterHub) {
      try {
        await this.hub.start(store);
      } catch (error) {
        this.state = 'new';
        throw new Error(`SignalingServer: cannot join the cluster: the store is unreachable (${error instanceof Error ? error.message : String(error)}); check it runs, then call listen() again`, { cause: error });
      }
    }
    const { server, port, host, path, maxPayload, perMessageDeflate, allowOrigins } = this.options;
    const http = server ?? (this.ownHttp = createServer(upgradeRequired));
    const wss = new WebSocketServer({
      server: http,
      path,
      maxPayload,
      clientTracking: false,
      perMessageDeflate,
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
      wss.close();
      this.wss = this.ownHttp = undefined;
      this.state = 'new';
      throw error;
    }
  }

  /** Register the handler of a request method. Returns a function that removes it. */
  handle<M extends RequestMethod<C>>(method: M, handler: (data: RequestData<C, M>, ctx: HandlerContext) => RequestResult<C, M> | Promise<RequestResult<C, M>>): () => void;
  /**
   * The same, with the request's data checked against a zod schema first: invalid data is
   * answered with `BAD_REQUEST` listing every issue (the handler does not run, the link stays
   * up), and the handler gets the schema's output.
   */
  handle<M extends RequestMethod<C>, S extends z.core.$ZodType<RequestData<C, M>>>(
    method: M,
    schemas: MethodSchemas<S>,
    handler: (data: z.output<S>, ctx: HandlerContext) => RequestResult<C, M> | Promise<RequestResult<C, M>>,
  ): () => void;
  handle(method: string, handlerOrSchemas: RequestHandler | MethodSchemas, schemaHandler?: RequestHandler): () => void {
    const handler = typeof handlerOrSchemas === 'function' ? handlerOrSchemas : withSchemas(method, handlerOrSchemas, schemaHandler);
    if (this.options.rooms !== false && ROOM_METHODS.includes(method)) {
      throw new Error(`SignalingServer: "${method}" is a built-in rooms method; pick another name, or turn rooms off with \`rooms: false\``);
    }
    return this.hub.handle(method, handler);
  }

  /**
   * Send a notification. It is kept until the peer acknowledges it and resent after a
   * resume, so it may be sent while the peer is disconnected. Returns false when no
   * session has that id. Throws a `BAD_MESSAGE` SignalError if `data` is not JSON.
   * With a `store`, it reaches the peer on whichever node holds its session; it then returns
   * true once handed to the store (false only while the store is unreachable), and a
   * notification for an id with no session anywhere is dropped.
   */
  notify(peerId: string, method: string, data?: unknown): boolean {
    checkMethod(method);
    return this.hub.notify(peerId, method, data);
  }

  /**
   * Send a request to a connected peer; resolves with its response data. Rejects with a
   * SignalError: `UNREACHABLE` (unknown or disconnected peer), `CLOSED` (the link dropped
   * first: server requests are never replayed), `TIMEOUT`, `REMOTE` (the peer answered
   * with an error, see `remoteCode`) or `BAD_MESSAGE` (data is not JSON). With a `store`,
   * only peers whose socket is on this node are reachable.
   */
  request(peerId: string, method: string, data?: unknown, options: RequestOptions = {}): Promise<unknown> {
    try {
      checkMethod(method);
      const timeout = options.timeout === undefined ? this.options.requestTimeout : requestTimeout(options.timeout);
      return this.hub.request(peerId, method, data, timeout);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Close the peer's socket with 4000 and `reason`, delete its session now, and revoke its
   * secret (for `revocationTtl`, on this process): a client coming back with the old id and
   * secret gets a fresh id, after `authenticate` again. False if unknown. With a `store`, it
   * works on whichever node holds the session, revokes the id cluster-wide, and returns true
   * once handed to the store (false while the store is unreachable).
   */
  kick(peerId: string, reason = 'kicked by the server'): boolean {
    return this.hub.kick(peerId, reason);
  }

  /**
   * Ids of the sessions held: connected, or disconnected and still resumable. With a
   * `store`, those whose socket is on this node.
   */
  peers(): string[] {
    return this.hub.peerIds();
  }

  /** Close every socket with 1001, end every session, stop listening. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.state = 'closing';
    this.rooms?.clear(); // sessions end below; nobody is left to tell
    const sockets = this.hub.close();
    this.wss?.close();
    await sockets;
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

function withSchemas(method: string, schemas: MethodSchemas, handler: RequestHandler | undefined): RequestHandler {
  if (typeof schemas?.data?._zod !== 'object' || typeof handler !== 'function') {
    throw new TypeError(`SignalingServer: handle("${method}", { data: schema }, handler) needs a zod schema as \`data\` and a handler function`);
  }
  return validated(method, schemas, handler);
}
