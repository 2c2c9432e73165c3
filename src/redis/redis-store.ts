import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { Store, StoreConnection, StoreHints, StoreLimits } from '../server/store/store.js';
import { RedisStoreError } from './errors.js';
import { HintChannel } from './hints.js';
import { nodeChannel } from './keys.js';
import { RedisConnection, type Commands } from './redis-connection.js';
import { ROOM_SCRIPT } from './room-script.js';
import { scriptSources } from './scripts.js';

export interface RedisStoreOptions {
  /**
   * Where Redis listens: `redis://[user:password@]host:port[/db]`, `rediss://` for TLS, or
   * `unix:///path/to/redis.sock`. Ignored when `redis` is a factory.
   * @default 'redis://127.0.0.1:6379'
   */
  url?: string;
  /**
   * Starts every key and channel this store uses, so several clusters (or apps) can
   * share one Redis.
   * @default 'resignal:'
   */
  prefix?: string;
  /**
   * ioredis options (e.g. Sentinel: `{ sentinels, name }`), or a factory returning a new,
   * unconnected-or-connecting client for each role; the store calls it twice per node. The
   * store always sets the fail-closed options on clients it builds (`enableOfflineQueue:
   * false`, `maxRetriesPerRequest: 0`, no resend of unanswered commands): a factory must
   * do the same, or commands queue while Redis is down.
   * @default {}
   */
  redis?: RedisOptions | ((role: 'command' | 'subscriber') => Redis);
  /**
   * Milliseconds a command may wait for its reply before it fails (a Redis that hangs,
   * e.g. SIGSTOP, or a network partition that leaves the socket open).
   * @default 2000
   */
  commandTimeout?: number;
  /**
   * Milliseconds `connect()` waits for Redis before it rejects with `CONNECT_FAILED`.
   * @default 10000
   */
  connectTimeout?: number;
  /**
   * Most sessions one `sweep` call ends (and most sessions of one dead node it detaches):
   * each script stays short, and the next sweep continues.
   * @default 500
   */
  sweepBatch?: number;
}

interface Normalized {
  url: string;
  prefix: string;
  client: (role: 'command' | 'subscriber') => Redis;
  commandTimeout: number;
  connectTimeout: number;
  sweepBatch: number;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const n = value ?? fallback;
  if (!Number.isFinite(n) || n <= 0) throw new TypeError(`RedisStore: ${name} must be a positive number of milliseconds or items, got ${String(value)}`);
  return n;
}

function normalize(options: RedisStoreOptions): Normalized {
  const url = options.url ?? 'redis://127.0.0.1:6379';
  const prefix = options.prefix ?? 'resignal:';
  if (typeof prefix !== 'string') throw new TypeError('RedisStore: prefix must be a string, e.g. "myapp:"');
  const commandTimeout = positive('commandTimeout', options.commandTimeout, 2_000);
  const given = options.redis;
  const client =
    typeof given === 'function'
      ? given
      : (role: 'command' | 'subscriber') =>
          new Redis(url, {
            ...given,
            // Fail closed: no queue while Redis is down, and a command whose connection
            // dropped is failed, never resent (a script that ran may not run twice).
            enableOfflineQueue: false,
            maxRetriesPerRequest: 0,
            autoResendUnfulfilledCommands: false,
            autoResubscribe: false, // HintChannel subscribes again itself, then asks for a resync
            commandTimeout: role === 'command' ? commandTimeout : undefined,
            retryStrategy: given?.retryStrategy ?? ((attempt: number) => Math.min(attempt * 50, 1_000)),
            connectionName: `resignal-${role}`,
          });
  return {
    url,
    prefix,
    client,
    commandTimeout,
    connectTimeout: positive('connectTimeout', options.connectTimeout, 10_000),
    sweepBatch: Math.floor(positive('sweepBatch', options.sweepBatch, 500)),
  };
}

/**
 * The store contract over one Redis primary (≥ 6.2, or Valkey; optionally behind Sentinel):
 * server nodes on several machines share sessions, notifications, rooms and exactly-once
 * requests. Every operation is one Lua script, so it is atomic across nodes. Redis Cluster
 * is not supported: a room operation touches several sessions' keys.
 *
 * Fails closed: while Redis is unreachable every operation rejects at once
 * (`RedisStoreError`), and the nodes are told (`hints.health`).
 */
export class RedisStore implements Store {
  private readonly options: Normalized;

  constructor(options: RedisStoreOptions = {}) {
    this.options = normalize(options);
  }

  async connect(node: string, hints: StoreHints, limits: StoreLimits): Promise<StoreConnection> {
    const { prefix, connectTimeout } = this.options;
    const cmd = this.options.client('command');
    const sub = this.options.client('subscriber');
    // Connection errors also surface as 'close' and failed commands; without a listener
    // ioredis would print each one.
    cmd.on('error', () => {});
    sub.on('error', () => {});
    try {
      await Promise.all([ready(cmd, connectTimeout, this.options.url), ready(sub, connectTimeout, this.options.url)]);
      const sources = scriptSources(ROOM_SCRIPT);
      for (const [name, lua] of Object.entries(sources)) cmd.defineCommand(name, { numberOfKeys: 0, lua });
      await cmd.set(`${prefix}epoch`, newEpoch(), 'NX');
      const epoch = await cmd.get(`${prefix}epoch`);
      if (epoch === null) throw new RedisStoreError('RESET', 'RedisStore: the epoch key vanished while connecting (Redis flushed?); connect again');
      const channel = new HintChannel(sub, nodeChannel(prefix, node), hints);
      await channel.start();
      return new RedisConnection({ cmd: cmd as unknown as Commands, sub, channel, prefix, node, hints, limits, epoch, newEpoch, sweepBatch: this.options.sweepBatch });
    } catch (error) {
      cmd.disconnect();
      sub.disconnect();
      throw error;
    }
  }
}

function newEpoch(): string {
  return randomBytes(9).toString('base64url');
}

/** Resolves once the client is ready; rejects after `ms` with a message saying what to check. */
function ready(client: Redis, ms: number, url: string): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      if (error) reject(error);
      else resolve();
    };
    const onReady = () => done();
    const timer = setTimeout(
      () => done(new RedisStoreError('CONNECT_FAILED', `RedisStore: no Redis ready at ${url} within ${ms} ms; start redis-server there, or pass the right url`)),
      ms,
    );
    client.on('ready', onReady);
  });
}
