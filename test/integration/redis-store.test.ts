// The Redis store against a private redis-server (one per file): the store contract with a
// fresh prefix per test, then what only Redis can do wrong: outages, a restart that loses
// the data, a hung server, a dropped subscriber, and keys that must not outlive their use.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore, RedisStoreError, type RedisStoreOptions } from '../../src/redis/index.js';
import { ledgerKeys, sessionKeys } from '../../src/redis/keys.js';
import type { StoreConnection } from '../../src/server/store/store.js';
import { LIMITS, note, RecordedHints, storeContract } from '../support/store/contract.js';
import { startRedis, type TestRedis } from '../support/redis.js';

let redis: TestRedis;
let prefixes = 0;
const freshPrefix = () => `t${++prefixes}-${process.pid}:`;
const T0 = 1_700_000_000_000;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

storeContract('RedisStore', async () => ({ store: new RedisStore({ url: redis.url, prefix: freshPrefix() }), dispose: async () => {} }));

/** Polls `check` until it holds: a bound on waiting for real events (reconnects), not a speed requirement. */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const healthOf = (hints: RecordedHints) => hints.log.filter((e) => e[0] === 'health').map((e) => e[1]);

async function failure(promise: Promise<unknown>): Promise<RedisStoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RedisStoreError);
  return error as RedisStoreError;
}

describe('RedisStore against a real redis-server', () => {
  const open: StoreConnection[] = [];
  afterEach(async () => {
    redis.kill('SIGCONT');
    await Promise.all(open.splice(0).map((c) => c.disconnect()));
  });

  async function node(name = 'node-a', options: RedisStoreOptions = {}) {
    const prefix = options.prefix ?? freshPrefix();
    const hints = new RecordedHints();
    const conn = await new RedisStore({ url: redis.url, prefix, ...options }).connect(name, hints, LIMITS);
    open.push(conn);
    return { conn, hints, prefix };
  }

  it('rejects connect() with CONNECT_FAILED, saying what to check, when no Redis listens', async () => {
    const store = new RedisStore({ url: 'redis://127.0.0.1:1', connectTimeout: 300 });
    const error = await failure(store.connect('n', new RecordedHints(), LIMITS));
    expect(error.code).toBe('CONNECT_FAILED');
    expect(error.message).toMatch(/redis-server/);
  });

  it('validates its options once, with a clear error', () => {
    expect(() => new RedisStore({ commandTimeout: 0 })).toThrow(/commandTimeout must be a positive number/);
  });

  it('drops the connections: fails closed at once, reports down, then up, and resyncs hints', async () => {
    const { conn, hints } = await node();
    await conn.open({ peerId: 'p1', create: true, ack: undefined, now: T0 });
    await redis.command(['CLIENT', 'KILL', 'TYPE', 'normal']);
    await redis.command(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    await until('health down', () => healthOf(hints).includes('down'));
    await until('health up', () => healthOf(hints).includes('up'));
    expect(healthOf(hints)).toEqual(['down', 'up']);
    await until('resync', () => hints.log.some((e) => e[0] === 'resync'));
    // The data survived: the session is still there, under the same scope.
    expect(await conn.has('p1')).toBe(true);
  });

  it('SIGKILL: commands reject as unavailable (no queue, no wait for a timeout); a restart without data is a reset with a new scope', async () => {
    const { conn, hints, prefix } = await node('node-a', { commandTimeout: 30_000 });
    const { conn: other, hints: otherHints } = await node('node-b', { prefix, commandTimeout: 30_000 });
    const scope = conn.scope;
    await conn.open({ peerId: 'p1', create: true, ack: undefined, now: T0 });
    redis.kill('SIGKILL');
    await until('health down', () => healthOf(hints).includes('down'));
    // With a 30 s command timeout, only failing closed makes these reject before the test times out.
    const errors = await Promise.all([conn.push(['p1'], note(1)), conn.claim('p1', 'r1', T0), other.has('p1')].map(failure));
    expect(errors.map((e) => e.code)).toEqual(['UNAVAILABLE', 'UNAVAILABLE', 'UNAVAILABLE']);
    await redis.restart();
    await until('health reset', () => healthOf(hints).includes('reset') && healthOf(otherHints).includes('reset'));
    expect(healthOf(hints)).toEqual(['down', 'reset']);
    expect(conn.scope).not.toBe(scope);
    expect(other.scope).toBe(conn.scope);
    // Nothing of the old scope is resumed: the session is new.
    expect(await conn.open({ peerId: 'p1', create: false, ack: undefined, now: T0 })).toBeUndefined();
    expect((await other.open({ peerId: 'p1', create: true, ack: undefined, now: T0 }))?.resumed).toBe(false);
  });

  it('a flush behind its back is detected by the next script, which changes nothing and reports a reset', async () => {
    const { conn, hints } = await node();
    const scope = conn.scope;
    await conn.open({ peerId: 'p1', create: true, ack: undefined, now: T0 });
    await redis.command(['FLUSHALL']);
    expect((await failure(conn.push(['p1'], note(1)))).code).toBe('RESET');
    await until('health reset', () => healthOf(hints).includes('reset'));
    expect(conn.scope).not.toBe(scope);
    expect(await conn.has('p1')).toBe(false);
    expect(Number(await redis.command(['DBSIZE']))).toBe(1); // only the new epoch: the failed script wrote nothing
  });

  it('SIGSTOP for 3 s: commands fail within the command timeout, Redis counts as down, then up again after SIGCONT', async () => {
    const { conn, hints } = await node('node-a', { commandTimeout: 500 });
    await conn.open({ peerId: 'p1', create: true, ack: undefined, now: T0 });
    redis.kill('SIGSTOP');
    const stopped = Date.now();
    const error = await failure(conn.push(['p1'], note(1)));
    expect(error.code).toBe('TIMEOUT');
    expect(healthOf(hints)).toEqual(['down']);
    // While it hangs, commands fail at once instead of each waiting for its own timeout.
    expect((await failure(conn.has('p1'))).code).toBe('UNAVAILABLE');
    await new Promise((r) => setTimeout(r, Math.max(0, 3_000 - (Date.now() - stopped))));
    redis.kill('SIGCONT');
    // The late reply of the timed-out push arrives and is dropped; new commands get their own replies.
    await until('commands work again', async () => {
      try {
        return (await conn.has('p1')) === true;
      } catch {
        return false;
      }
    });
    await until('health up', () => healthOf(hints).includes('up'));
    expect(healthOf(hints)).toEqual(['down', 'up']);
    const [delivery] = await conn.push(['p1'], note(2));
    // The push that timed out may have run (it reached Redis): seq says whether it did, and nothing ran twice.
    const frames = await conn.read('p1', 0);
    expect(frames.map((f) => f.seq)).toEqual(frames.length === 2 ? [1, 2] : [1]);
    expect(delivery!.seq).toBe(frames.length);
  });

  it("a detached session's keys expire with it, and an ended session's keys are gone (its ledger stays for the dedupe window)", async () => {
    const { conn, prefix } = await node();
    const opened = await conn.open({ peerId: 'p1', create: true, ack: undefined, now: T0 });
    await conn.push(['p1'], note(1, { room: 'r' }));
    const claim = await conn.claim('p1', 'q1', T0);
    if (claim.kind !== 'run') throw new Error('expected run');
    await conn.finish('p1', 'q1', claim.fence, 'answer', T0);
    const pttl = async (key: string) => Number(await redis.command(['PTTL', key]));
    for (const key of [...sessionKeys(prefix, 'p1'), ...ledgerKeys(prefix, 'p1')]) {
      if ((await redis.command(['EXISTS', key])) === 1) expect(await pttl(key), key).toBe(-1); // attached: no expiry
    }
    await conn.detach('p1', opened!.fence, T0, 10_000);
    // Pushed after the detach: the new keys follow the session's expiry too.
    await conn.push(['p1'], note(2, { bulk: true, room: 'r' }));
    for (const key of sessionKeys(prefix, 'p1')) {
      if ((await redis.command(['EXISTS', key])) === 0) continue;
      const ms = await pttl(key);
      expect(ms, key).toBeGreaterThan(0);
      expect(ms, key).toBeLessThanOrEqual(10_000 + 60_000);
    }
    expect((await conn.sweep(T0 + 10_000)).peerIds).toEqual(['p1']);
    for (const key of sessionKeys(prefix, 'p1')) expect(await redis.command(['EXISTS', key]), key).toBe(0);
    for (const key of ledgerKeys(prefix, 'p1')) {
      const ms = await pttl(key);
      expect(ms, key).toBeGreaterThan(0);
      expect(ms, key).toBeLessThanOrEqual(LIMITS.dedupeWindow + LIMITS.leaseMs + 60_000);
    }
    // Nothing else of the session is left: the keys that remain are the cluster's own and the ledger.
    const keys = ((await redis.command(['KEYS', `${prefix}*`])) as string[]).map((k) => k.slice(prefix.length)).sort();
    expect(keys).toEqual(['d:p1', 'do:p1', 'epoch', 'fence']);
  });

  it('a room member whose keys expired unswept leaves the room at the next room request, and the others are told', async () => {
    const { conn, hints, prefix } = await node();
    const join = (peerId: string, requestId: string) =>
      conn.room({ op: 'join', peerId, requestId, room: 'r', member: JSON.stringify({ id: peerId }), note: note('joined', { sender: peerId, room: 'r' }), answer: ['[', ']'], now: T0 });
    for (const p of ['p1', 'p2', 'p3']) await conn.open({ peerId: p, create: true, ack: undefined, now: T0 });
    for (const p of ['p1', 'p2', 'p3']) await join(p, `j-${p}`);
    // What expiry does when no node swept for longer than the margin: the session's keys vanish.
    await redis.command(['DEL', ...sessionKeys(prefix, 'p3')]);
    const cast = await conn.room({ op: 'broadcast', peerId: 'p1', requestId: 'b1', room: 'r', note: note('hi', { sender: 'p1', bulk: true, room: 'r' }), answer: 'ok', now: T0 });
    expect('deliveries' in cast && cast.deliveries.map((d) => d.peerId)).toEqual(['p2']);
    // p1 and p2 (both held by this node) got p3's peer-left, as a hint since the answer carries only the broadcast.
    await until('peer-left hints', () => hints.log.filter((e) => e[0] === 'notes').length === 2);
    const left = (await conn.read('p2', 0)).map((f) => JSON.parse(f.text) as { method: string; data: unknown });
    expect(left.filter((n) => n.method === 'peer-left').map((n) => n.data)).toEqual([{ room: 'r', peerId: 'p3', reason: 'session-end' }]);
    expect(await join('p1', 'j-again')).toEqual({ answer: `[${JSON.stringify({ id: 'p2' })}]`, deliveries: [] });
  });

  it('stays bounded under a flood: pushes to one session and requests of one peer', async () => {
    const { conn, prefix } = await node();
    await conn.open({ peerId: 'p1', create: true, ack: undefined, now: T0 });
    const rooms = ['a', 'b', 'c'];
    for (let i = 0; i < 1_000; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => conn.push(['p1'], note({ i: i + j, pad: 'x'.repeat(100) }, { room: rooms[(i + j) % 3], bulk: j % 2 === 0 }))));
    }
    for (let i = 0; i < 200; i++) {
      const claim = await conn.claim('p1', `r${i}`, T0);
      if (claim.kind !== 'run') throw new Error('expected run');
      await conn.finish('p1', `r${i}`, claim.fence, 'x'.repeat(50), T0);
    }
    const count = async (...args: string[]) => Number(await redis.command(args));
    expect(await count('ZCARD', `${prefix}q:p1`)).toBe(LIMITS.maxBufferedNotifications);
    expect(await count('HLEN', `${prefix}n:p1`)).toBeLessThanOrEqual(3 * LIMITS.maxBufferedNotifications); // head, lane, room
    expect(await count('ZCARD', `${prefix}lx:p1`)).toBe(LIMITS.maxBufferedNotifications);
    expect(await count('ZCARD', `${prefix}l:p1`)).toBeLessThanOrEqual(256);
    expect(await count('ZCARD', `${prefix}do:p1`)).toBe(LIMITS.dedupeLimit);
    expect(await count('HLEN', `${prefix}d:p1`)).toBe(LIMITS.dedupeLimit + 2); // entries, bytes, age counter
    // The cluster's keys plus one session's: nothing grows with the number of pushes or requests.
    expect(((await redis.command(['KEYS', `${prefix}*`])) as string[]).length).toBeLessThanOrEqual(4 + 11);
    // The 996 drops are reported once, by room, on the next resume.
    const resumed = await conn.open({ peerId: 'p1', create: false, ack: 0, now: T0 });
    expect(resumed!.lost!.count).toBe(1_000 - LIMITS.maxBufferedNotifications);
    expect(Object.values(resumed!.lost!.rooms!).reduce((a, b) => a + b, 0)).toBe(1_000 - LIMITS.maxBufferedNotifications);
    expect(await count('EXISTS', `${prefix}l:p1`, `${prefix}lf:p1`)).toBe(0);
  });
});
