import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { MAX_TIMER_DELAY } from '../protocol/codec.js';
import type { HelloFrame } from '../protocol/frames.js';
import { normalizeServerEnv, type ServerEnv } from './env.js';
import { normalizeRoomsOptions, type NormalizedRoomsOptions, type RoomsOptions } from './room-directory.js';
import type { PerMessageDeflateOptions } from 'ws';
import { deflateSettings, type CompressionOptions } from './compression.js';
import type { IceServersHook } from './ice.js';
import type { Store } from './store/store.js';
import { originCheck, type AllowOrigins, type OriginCheck } from './origins.js';

/**
 * What `authenticate` may return to accept a connection and say more about it.
 */
export interface Accepted {
  /**
   * Anything you want to know about this connection later (the user it belongs to, its
   * claims): handed to `rooms.authorize`, to handlers as `ctx.auth` and to the `connection`
   * event. A resume on a new socket carries the `auth` of that socket's token.
   */
  auth?: unknown;
  /**
   * When the token expires, in ms since the epoch. The server then closes the socket with
   * 4505 (TOKEN_EXPIRED); the client gets a fresh token and resumes the same session.
   * A time already past refuses the connection (4001).
   */
  expiresAt?: number;
}

/**
 * Decides whether a `hello` may open a session. Return `true` or an `Accepted` object to
 * accept. Return `false`, a string (used as the close reason) or throw (its message is the
 * reason) to refuse: the socket is closed with 4001, which the client treats as final.
 */
export type AuthenticateResult = boolean | string | Accepted;
export type Authenticate = (hello: HelloFrame, req: IncomingMessage) => AuthenticateResult | Promise<AuthenticateResult>;

export interface RateLimit {
  /** Frames a socket may send per window. */
  messages: number;
  /** Window length in milliseconds. */
  perMs: number;
}

export interface SignalingServerOptions {
  /**
   * Port to listen on; 0 picks a free one (read it from `server.port` after `listen()`).
   * Ignored when `server` is given.
   * @default 0
   */
  port?: number;
  /**
   * Interface to bind. Ignored when `server` is given.
   * @default undefined (every interface)
   */
  host?: string;
  /**
   * Only upgrade requests for this path are accepted; others get HTTP 400.
   * @default undefined (any path)
   */
  path?: string;
  /**
   * An existing HTTP(S) server to attach to instead of listening on `port`. The caller
   * owns it: `listen()` does not start it and `close()` does not stop it.
   * @default undefined
   */
  server?: HttpServer;
  /**
   * Largest frame a client may send, in bytes. Larger frames close the socket with 1009.
   * @default 65_536
   */
  maxPayload?: number;
  /**
   * Largest whole message a client may send, in bytes (UTF-8 of its encoded frame). A message
   * over `maxPayload` travels as chunks (PROTOCOL.md, "Chunked messages"); one over this
   * limit closes the socket with 1009. Announced in `welcome`, so resignal clients refuse such
   * a message with `TOO_LARGE` before sending it. Each socket holds at most this much (plus
   * 64 KiB) of incomplete chunked messages.
   * @default 1_048_576 (1 MiB), or `maxPayload` when that is larger
   */
  maxSignalBytes?: number;
  /**
   * How long a session outlives its socket, in ms, waiting for a `hello` that resumes it.
   * @default 30_000
   */
  sessionTtl?: number;
  /**
   * How long an answered request id is remembered per session, in ms, so a replay gets
   * the cached response instead of running the handler again.
   * @default 60_000
   */
  dedupeWindow?: number;
  /**
   * Most answered request ids remembered per session; the oldest are forgotten first.
   * @default 1_000
   */
  dedupeLimit?: number;
  /**
   * Most bytes of answers remembered per session (UTF-8 of the encoded responses, plus
   * ~160 B per id); the oldest are forgotten first, but never the answer just given nor a
   * handler still running. A replay of a forgotten id runs its handler again.
   * @default 1_048_576 (1 MiB)
   */
  dedupeMaxBytes?: number;
  /**
   * Bytes of de-duplication caches kept, across all sessions that ended (expired, closed),
   * so a request id stays de-duplicated for `dedupeWindow` even when its session did not
   * live: a client that comes back under the same id gets its cache back. The oldest go
   * first past this limit.
   * @default 67_108_864 (64 MiB)
   */
  endedDedupeMaxBytes?: number;
  /**
   * The key that session secrets are derived from (HMAC-SHA256 of the peer id). Give every
   * node of a cluster the same key, and keep it across restarts: a client then keeps its
   * peer id after a restart or failover, and nobody can claim an id without its secret.
   * Without it, each process draws a random key and a client returning after a restart gets
   * a fresh id. Keep it secret; at least 32 random bytes.
   * @default undefined (a random key per process)
   */
  secretKey?: string | Buffer;
  /**
   * How long `kick()` revokes the kicked peer id's secret, in ms: a client returning with it
   * gets a fresh id. At most 10,000 revocations are kept (the oldest go first).
   * @default 86_400_000 (24 h)
   */
  revocationTtl?: number;
  /**
   * Browser origins allowed to connect, checked at the HTTP upgrade: a list of exact
   * origins (`https://app.example.com`) or a function. Others get HTTP 403. Requests without
   * an Origin header (non-browser clients) pass the list; the function gets `undefined`.
   * @default undefined (any origin)
   */
  allowOrigins?: AllowOrigins;
  /**
   * A socket that has not been welcomed this long after connecting (no `hello`, or
   * `authenticate` still running) is closed with 4500, in ms.
   * @default 10_000
   */
  helloTimeout?: number;
  /**
   * A welcomed socket that sends nothing for this long is closed with 4502, in ms.
   * 0 disables the check. Checked on one server-wide timer, so a close may come up to
   * a quarter of this (at most 5 s) late.
   * @default 60_000
   */
  idleTimeout?: number;
  /**
   * Default timeout of `server.request()`, in ms.
   * @default 10_000
   */
  requestTimeout?: number;
  /**
   * Unacknowledged notifications kept per session for resends after a resume. On
   * overflow the oldest is dropped and a `warning` is emitted.
   * @default 1_000
   */
  maxBufferedNotifications?: number;
  /**
   * Bytes of unacknowledged notifications (encoded frames, UTF-8) kept per session, so a
   * peer that stays away for `sessionTtl` cannot make the server hold unbounded memory.
   * On overflow the oldest are dropped and a `warning` is emitted, as with
   * `maxBufferedNotifications`; the newest is always kept.
   * @default 1_048_576 (1 MiB)
   */
  maxBufferedBytes?: number;
  /**
   * Bytes a connected socket may have waiting to be written (`ws.bufferedAmount`). A client
   * that reads slower than the server writes to it is closed with 4503 when the server next
   * writes to it past this limit; it reconnects, resumes and gets its unacknowledged
   * notifications again. Keep it above `maxBufferedBytes`: a resume writes the whole outbox.
   * @default 4_194_304 (4 MiB)
   */
  maxSocketBuffer?: number;
  /**
   * Frames a socket may send per window (a fixed window, counted from the first frame
   * of each window); exceeding it closes the socket with 4004. `false` disables it.
   * The default sits above the client's default send buffer (1,000 messages), so a
   * client replaying a full buffer after a reconnect is never mistaken for a flood.
   * @default { messages: 2_000, perMs: 1_000 }
   */
  rateLimit?: RateLimit | false;
  /**
   * Called with every `hello` (new sessions and resumes) before `welcome` is sent.
   * `hello.resume.peer` is the peer id the client asks for: after a restart or failover
   * the server reuses it when no session holds it, so refuse here if it is not this
   * client's to claim (PROTOCOL.md, "Sessions").
   * @default undefined (everyone is accepted)
   */
  authenticate?: Authenticate;
  /**
   * The built-in rooms (`join`, `leave`, `signal`, `broadcast`; PROTOCOL.md, "Rooms") and
   * their limits. `false` turns them off and frees those method names for `handle()`.
   * @default {} (rooms on, with the defaults of RoomsOptions)
   */
  rooms?: RoomsOptions | false;
  /**
   * Replace parts of the runtime: the clock, timers and id generation. Mostly for tests
   * (fake timers); parts left out are the runtime's own.
   * @default the runtime's (Date.now, Node's timers, nanoid)
   */
  env?: Partial<ServerEnv>;
  /**
   * WebSocket per-message compression (permessage-deflate), when the client offers it
   * (browsers and the Node client do). Frames under `threshold` bytes stay uncompressed.
   * Each compressing socket holds zlib memory: see the README, "Compression".
   * @default false
   */
  perMessageDeflate?: boolean | CompressionOptions;
  /**
   * ICE servers for each peer, sent in every `welcome` (`peer.iceServers` on the client), e.g.
   * `({ peerId }) => [turnCredentials({ secret, urls, peerId })]`. A throwing hook is reported
   * as a warning and the peer gets none.
   * @default undefined (no iceServers in welcome)
   */
  iceServers?: IceServersHook;
  /**
   * Where sessions, notifications, request de-duplication and rooms live. Give every node
   * of a cluster the same store (a `RedisStore` from `resignal/redis`, or one `MemoryStore`
   * shared by servers in one process) and the same `secretKey`: a client then fails over
   * to any node and resumes its session there (README, "Several nodes").
   * @default undefined (this server's own memory, on a faster synchronous path)
   */
  store?: Store;
  /**
   * This node's name in the cluster (with `store`). Unique per running process.
   * @default a random id
   */
  nodeId?: string;
  /**
   * With `store`: how long a node may go silent (crashed, paused, cut off from the store)
   * before the cluster treats its sockets as closed and reruns its unfinished handlers
   * elsewhere, in ms. Nodes beat every third of it.
   * @default 5_000
   */
  nodeTimeout?: number;
}

export interface NormalizedOptions {
  port: number;
  host: string | undefined;
  path: string | undefined;
  server: HttpServer | undefined;
  maxPayload: number;
  maxSignalBytes: number;
  sessionTtl: number;
  dedupeWindow: number;
  dedupeLimit: number;
  dedupeMaxBytes: number;
  endedDedupeMaxBytes: number;
  secretKey: string | Buffer | undefined;
  revocationTtl: number;
  allowOrigins: OriginCheck | undefined;
  helloTimeout: number;
  idleTimeout: number;
  requestTimeout: number;
  maxBufferedNotifications: number;
  maxBufferedBytes: number;
  maxSocketBuffer: number;
  rateLimit: RateLimit | false;
  authenticate: Authenticate | undefined;
  rooms: NormalizedRoomsOptions | false;
  env: ServerEnv;
  perMessageDeflate: false | PerMessageDeflateOptions;
  iceServers: IceServersHook | undefined;
  store: Store | undefined;
  nodeId: string;
  nodeTimeout: number;
}

/** Fill in defaults and reject values that would make the server misbehave silently. */
export function normalizeOptions(options: SignalingServerOptions = {}): NormalizedOptions {
  const rateLimit = options.rateLimit ?? { messages: 2_000, perMs: 1_000 };
  if (rateLimit !== false) {
    positive('rateLimit.messages', rateLimit.messages);
    positive('rateLimit.perMs', rateLimit.perMs);
  }
  if (options.authenticate !== undefined && typeof options.authenticate !== 'function') {
    throw new TypeError('SignalingServer: option "authenticate" must be a function');
  }
  const env = normalizeServerEnv(options.env);
  const store = options.store;
  if (store !== undefined && typeof store?.connect !== 'function') {
    throw new TypeError('SignalingServer: option "store" must be a Store (a RedisStore from "resignal/redis", or a MemoryStore)');
  }
  if (store !== undefined && options.secretKey === undefined) {
    throw new TypeError('SignalingServer: with a "store", give every node the same "secretKey", so a session resumed on another node is proven to be its owner\'s');
  }
  // Drawn only for a cluster: a lone server's first id stays its first session's.
  const nodeId = options.nodeId ?? (store === undefined ? 'local' : env.id());
  if (typeof nodeId !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(nodeId)) {
    throw new TypeError(`SignalingServer: option "nodeId" must be 1-64 characters of A-Za-z0-9_.:-, got ${JSON.stringify(nodeId)}`);
  }
  const maxPayload = positive('maxPayload', options.maxPayload ?? 64 * 1024);
  return {
    port: integer('port', options.port ?? 0, 0),
    host: options.host,
    path: options.path,
    server: options.server,
    maxPayload,
    maxSignalBytes: positive('maxSignalBytes', options.maxSignalBytes ?? Math.max(1_048_576, maxPayload)),
    sessionTtl: delay('sessionTtl', options.sessionTtl ?? 30_000, 0),
    dedupeWindow: delay('dedupeWindow', options.dedupeWindow ?? 60_000, 1),
    dedupeLimit: positive('dedupeLimit', options.dedupeLimit ?? 1_000),
    dedupeMaxBytes: positive('dedupeMaxBytes', options.dedupeMaxBytes ?? 1_048_576),
    endedDedupeMaxBytes: integer('endedDedupeMaxBytes', options.endedDedupeMaxBytes ?? 64 * 1_048_576, 0),
    secretKey: secretKey(options.secretKey),
    revocationTtl: delay('revocationTtl', options.revocationTtl ?? 86_400_000, 1),
    allowOrigins: originCheck(options.allowOrigins),
    helloTimeout: delay('helloTimeout', options.helloTimeout ?? 10_000, 1),
    idleTimeout: delay('idleTimeout', options.idleTimeout ?? 60_000, 0),
    requestTimeout: delay('requestTimeout', options.requestTimeout ?? 10_000, 1),
    maxBufferedNotifications: positive('maxBufferedNotifications', options.maxBufferedNotifications ?? 1_000),
    maxBufferedBytes: positive('maxBufferedBytes', options.maxBufferedBytes ?? 1_048_576),
    maxSocketBuffer: positive('maxSocketBuffer', options.maxSocketBuffer ?? 4_194_304),
    rateLimit,
    authenticate: options.authenticate,
    rooms: normalizeRoomsOptions(options.rooms),
    env,
    perMessageDeflate: deflateSettings(options.perMessageDeflate),
    iceServers: iceServersHook(options.iceServers),
    store,
    nodeId,
    nodeTimeout: delay('nodeTimeout', options.nodeTimeout ?? 5_000, 30),
  };
}

function iceServersHook(hook: IceServersHook | undefined): IceServersHook | undefined {
  if (hook !== undefined && typeof hook !== 'function') throw new TypeError('SignalingServer: option "iceServers" must be a function ({ peerId, req }) => RTCIceServer[]');
  return hook;
}

function secretKey(key: string | Buffer | undefined): string | Buffer | undefined {
  if (key === undefined) return undefined;
  if ((typeof key !== 'string' && !Buffer.isBuffer(key)) || key.length < 16) {
    throw new TypeError('SignalingServer: option "secretKey" must be a string or Buffer of at least 16 characters/bytes (use 32 random bytes, e.g. from `openssl rand -base64 32`)');
  }
  return key;
}

function positive(name: string, value: number): number {
  return integer(name, value, 1);
}

/**
 * A delay in ms, as an integer from `min` to MAX_TIMER_DELAY: Node fires a setTimeout of
 * more than 2^31-1 ms after ~1 ms, which would expire sessions or time out requests at once.
 */
export function delay(name: string, value: number, min: number): number {
  integer(name, value, min);
  if (value > MAX_TIMER_DELAY) {
    throw new TypeError(`SignalingServer: option "${name}" must be at most ${MAX_TIMER_DELAY} ms (2^31-1, the longest timer delay), got ${String(value)}`);
  }
  return value;
}

function integer(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new TypeError(`SignalingServer: option "${name}" must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}
