import type { AckOptions } from './acks.js';
import { defaultEnv, type Env, type WebSocketCtor } from './env.js';
import { MAX_TIMER_DELAY } from './protocol/codec.js';
import type { TransportFactory } from './transport/transport.js';

export interface BackoffOptions {
  /** Waits (ms) between failed attempts before the first successful open; the last one repeats. @default [200, 400, 600] */
  connect?: readonly number[];
  /** Waits (ms) between attempts after an established link dropped; the last one repeats. @default [2000, 4000, 6000] */
  reconnect?: readonly number[];
  /** Each wait is multiplied by a random factor in [1 - jitter, 1 + jitter], so clients don't stampede a restarted server. @default 0.2 */
  jitter?: number;
  /** Consecutive failed attempts before the Peer gives up with `UNREACHABLE`. @default Infinity */
  maxAttempts?: number;
}

export interface HeartbeatOptions {
  /** Ping period (ms) while open. Also how long a link must stay open before the backoff resets. @default 5000 */
  interval?: number;
  /** Consecutive silent intervals after which the link is declared dead. @default 3 */
  maxMissed?: number;
}

export interface SendBufferOptions {
  /** Messages held at once (queued plus requests awaiting a response). @default 1000 */
  maxMessages?: number;
  /** Encoded bytes held at once. @default 1048576 */
  maxBytes?: number;
}

export type TokenSource = string | (() => string | Promise<string>);

export interface PeerOptions {
  /** Server URLs (`ws:` or `wss:`), in order of preference. */
  urls: string | readonly string[];
  backoff?: BackoffOptions;
  heartbeat?: HeartbeatOptions;
  /** How long (ms) one attempt may take from socket creation to `welcome`. @default 5000 */
  connectTimeout?: number;
  /** Default per-request timeout (ms), counted from the `request()` call. @default 15000 */
  requestTimeout?: number;
  sendBuffer?: SendBufferOptions;
  /**
   * Largest frame (bytes, UTF-8) written to the server: keep it at or below the server's
   * `maxPayload`. A bigger message is sent as chunks when the server takes them (resignal
   * servers do), up to `maxSignalBytes`; to a server that does not, it rejects with `TOO_LARGE`.
   * @default 65536
   */
  maxMessageBytes?: number;
  /**
   * Largest whole message (bytes, UTF-8 of its encoded frame) sent or received, chunked or
   * not. Bigger ones reject with `TOO_LARGE` (the server's own limit, announced in `welcome`,
   * applies too when lower). A bigger one received is dropped and reported as an `error` event.
   * @default 1048576 (1 MiB), or `maxMessageBytes` when that is larger
   */
  maxSignalBytes?: number;
  /**
   * Largest frame (bytes) accepted from the server, in Node (`ws`); a bigger one closes the link
   * with 1009 and the Peer reconnects. Browsers have no such setting and ignore it. Keep it above
   * the server's `maxPayload` (64 KiB in the reference server). @default 4194304 (4 MiB)
   */
  maxInboundBytes?: number;
  /** When to acknowledge notifications between pings (see AckOptions). @default { every: 64, delay: 250 } */
  acks?: AckOptions;
  /**
   * Sent in `hello`; a function is called again before every attempt (so it can refresh). When
   * the server closes with 4505 (token expired), the Peer calls it and resumes the session at once.
   * @default undefined
   */
  token?: TokenSource;
  /** WebSocket implementation. @default the browser's WebSocket, or `ws` in Node (via isomorphic-ws) */
  WebSocket?: WebSocketCtor;
  /**
   * Opens the link of each attempt (a WebTransport, an in-memory pair in tests...). With it,
   * `urls` may use any scheme the transport understands, and `WebSocket` is not used.
   * @default a WebSocket transport over `WebSocket`
   */
  transport?: TransportFactory;
  /** Replace parts of the runtime (clock, timers, random, network events). Mostly for tests. @default the real runtime */
  env?: Partial<Env>;
}

export interface NormalizedOptions {
  urls: readonly string[];
  backoff: Required<BackoffOptions>;
  heartbeat: Required<HeartbeatOptions>;
  connectTimeout: number;
  requestTimeout: number;
  sendBuffer: Required<SendBufferOptions>;
  maxMessageBytes: number;
  maxSignalBytes: number;
  maxInboundBytes: number;
  acks: Required<AckOptions>;
  token: TokenSource | undefined;
  /** Undefined: the WebSocket transport over `env.WebSocket`. */
  transport: TransportFactory | undefined;
  env: Env;
}

/** Per-request options of `peer.request()`. */
export interface RequestOptions {
  /** ms from this call until the request fails with `TIMEOUT`. @default options.requestTimeout */
  timeout?: number;
  /** Abort the request: it rejects with `ABORTED` and is never sent or replayed afterwards. */
  signal?: AbortSignal;
  /** Send it again after a reconnect if it was already sent. With false it rejects with `NOT_REPLAYED` instead. @default true */
  replay?: boolean;
}

/** Validate options once and fill in every default, so the rest of the code never checks for undefined. */
export function normalizeOptions(options: PeerOptions): NormalizedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('resignal: new Peer(options) needs an options object with `urls`');
  const urls = typeof options.urls === 'string' ? [options.urls] : [...(options.urls ?? [])];
  if (urls.length === 0) throw new TypeError('resignal: `urls` must be a ws:// or wss:// URL or a non-empty array of them');
  const transport = options.transport;
  if (transport !== undefined && typeof transport !== 'function') throw new TypeError('resignal: `transport` must be a function (url, handlers) => Transport');
  for (const url of urls) {
    // A custom transport has its own schemes (https:// for WebTransport...): only the WebSocket one is checked here.
    const ok = typeof url === 'string' && (transport ? url.length > 0 : /^wss?:\/\/./i.test(url));
    if (!ok) throw new TypeError(`resignal: ${JSON.stringify(url)} is not a ${transport ? 'non-empty URL string' : 'ws:// or wss:// URL'}`);
  }
  const backoff = {
    connect: schedule('backoff.connect', options.backoff?.connect ?? [200, 400, 600]),
    reconnect: schedule('backoff.reconnect', options.backoff?.reconnect ?? [2000, 4000, 6000]),
    jitter: inRange('backoff.jitter', options.backoff?.jitter ?? 0.2, 0, 1),
    maxAttempts: positive('backoff.maxAttempts', options.backoff?.maxAttempts ?? Infinity),
  };
  const heartbeat = {
    interval: delay('heartbeat.interval', options.heartbeat?.interval ?? 5000),
    maxMissed: positive('heartbeat.maxMissed', options.heartbeat?.maxMissed ?? 3),
  };
  const env: Env = { ...defaultEnv(), ...options.env };
  if (options.WebSocket) env.WebSocket = options.WebSocket;
  const maxMessageBytes = positive('maxMessageBytes', options.maxMessageBytes ?? 65536);
  const token = options.token;
  if (token !== undefined && typeof token !== 'string' && typeof token !== 'function') throw new TypeError('resignal: `token` must be a string or a function returning one (or a Promise of one)');
  return {
    urls,
    backoff,
    heartbeat,
    connectTimeout: delay('connectTimeout', options.connectTimeout ?? 5000),
    requestTimeout: delay('requestTimeout', options.requestTimeout ?? 15000),
    sendBuffer: {
      maxMessages: positive('sendBuffer.maxMessages', options.sendBuffer?.maxMessages ?? 1000),
      maxBytes: positive('sendBuffer.maxBytes', options.sendBuffer?.maxBytes ?? 1_048_576),
    },
    maxMessageBytes,
    maxSignalBytes: positive('maxSignalBytes', options.maxSignalBytes ?? Math.max(1_048_576, maxMessageBytes)),
    maxInboundBytes: positive('maxInboundBytes', options.maxInboundBytes ?? 4 * 1024 * 1024),
    acks: {
      every: positive('acks.every', options.acks?.every ?? 64),
      delay: delay('acks.delay', options.acks?.delay ?? 250),
    },
    token,
    transport,
    env,
  };
}

function positive(name: string, value: number): number {
  if (typeof value !== 'number' || !(value > 0)) throw new TypeError(`resignal: \`${name}\` must be a number above 0, got ${String(value)}`);
  return value;
}

/** A delay handed to setTimeout: above 0 and no longer than a timer can wait. */
function delay(name: string, value: number): number {
  positive(name, value);
  if (value > MAX_TIMER_DELAY) throw new TypeError(`resignal: \`${name}\` must be at most ${MAX_TIMER_DELAY} ms (the longest a timer can wait), got ${String(value)}`);
  return value;
}

function inRange(name: string, value: number, min: number, max: number): number {
  if (typeof value !== 'number' || !(value >= min && value <= max)) throw new TypeError(`resignal: \`${name}\` must be between ${min} and ${max}, got ${String(value)}`);
  return value;
}

function schedule(name: string, value: readonly number[]): readonly number[] {
  if (!Array.isArray(value) || value.length === 0 || value.some((ms) => typeof ms !== 'number' || !(ms >= 0) || !(ms <= MAX_TIMER_DELAY))) {
    throw new TypeError(`resignal: \`${name}\` must be a non-empty array of delays in ms (0 to ${MAX_TIMER_DELAY}), got ${JSON.stringify(value)}`);
  }
  return [...value];
}
