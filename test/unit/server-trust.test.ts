// The pieces of the reference server's trust logic that run on time or counts alone: the
// drop-warning aggregation (fake timers), the lost-notification log, the outbox eviction
// policy, revocations, and the secrets. The behaviour over real sockets is covered in
// test/integration/server-trust.test.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DedupeCache } from '../../src/server/dedupe.js';
import { DropWarnings } from '../../src/server/drop-warnings.js';
import { LostLog } from '../../src/server/lost.js';
import { encodeNotification, Outbox } from '../../src/server/outbox.js';
import { Revocations } from '../../src/server/revocations.js';
import { Secrets } from '../../src/server/secrets.js';

describe('DropWarnings', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());
  const timers = { setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (t: unknown) => clearTimeout(t as NodeJS.Timeout) };

  it('reports the first drop at once and the rest of a burst once per interval, with counts', () => {
    const seen: Array<[string, number]> = [];
    const warnings = new DropWarnings(timers, (peer, count) => seen.push([peer, count]), 1_000);
    for (let i = 0; i < 500; i++) warnings.dropped('a', 1, 'count');
    warnings.dropped('b', 3, 'bytes');
    expect(seen).toEqual([['a', 1], ['b', 3]]);
    vi.advanceTimersByTime(1_000);
    expect(seen).toEqual([['a', 1], ['b', 3], ['a', 499]]);
    vi.advanceTimersByTime(5_000); // the burst is over: nothing more, and no timer left
    expect(seen).toHaveLength(3);
    expect(vi.getTimerCount()).toBe(0);
    warnings.dropped('a', 2, 'count'); // a new burst reports at once again
    expect(seen.at(-1)).toEqual(['a', 2]);
  });

  it('reports what is counted when the session ends, and clear() stops every timer', () => {
    const seen: number[] = [];
    const warnings = new DropWarnings(timers, (_peer, count) => seen.push(count), 1_000);
    warnings.dropped('a', 1, 'count');
    warnings.dropped('a', 7, 'count');
    warnings.end('a');
    expect(seen).toEqual([1, 7]);
    expect(vi.getTimerCount()).toBe(0);
    warnings.dropped('b', 1, 'count');
    warnings.clear();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('LostLog', () => {
  it('forgets drops the client acknowledged and reports each drop once, by room', () => {
    const log = new LostLog();
    log.add(2, 'r');
    log.add(5, 'r');
    log.add(6, undefined);
    log.add(9, 's');
    log.ack(5);
    expect(log.take()).toEqual({ count: 2, rooms: { s: 1 } });
    expect(log.take()).toBeUndefined();
  });

  it('stays small however many are dropped, and never undercounts', () => {
    const log = new LostLog();
    for (let seq = 1; seq <= 100_000; seq++) log.add(seq, `room-${seq % 1_000}`);
    const report = log.take()!;
    expect(report.count).toBe(100_000);
    // Too many rooms to name them all: it names none, so the client assumes every room lost some.
    expect(report.rooms).toBeUndefined();
  });

  it('names the rooms exactly when it can, with {} when no room notification was lost', () => {
    const log = new LostLog();
    for (let seq = 1; seq <= 1_000; seq++) log.add(seq, seq % 2 === 0 ? `room-${seq % 10}` : undefined);
    expect(log.take()).toEqual({ count: 1_000, rooms: { 'room-0': 100, 'room-2': 100, 'room-4': 100, 'room-6': 100, 'room-8': 100 } });
    log.add(1_001, undefined);
    expect(log.take()).toEqual({ count: 1, rooms: {} });
  });
});

describe('Outbox eviction', () => {
  const note = (sender: string, bulk: boolean, data: unknown = 'x') => encodeNotification(bulk ? 'broadcast' : 'signal', data, { sender, bulk, room: 'r' });

  it('evicts broadcasts before signals, then the heaviest sender, and never the newest signal', () => {
    const outbox = new Outbox(3, Infinity);
    outbox.push(note('bob', false, 'bob-1'));
    outbox.push(note('carol', true, 'c-b1'));
    outbox.push(note('carol', false, 'c-s1'));
    outbox.push(note('carol', false, 'c-s2')); // over 3: the broadcast goes
    expect(outbox.pending().map((t) => JSON.parse(t).data)).toEqual(['bob-1', 'c-s1', 'c-s2']);
    outbox.push(note('carol', false, 'c-s3')); // carol holds most: her oldest goes
    expect(outbox.pending().map((t) => JSON.parse(t).data)).toEqual(['bob-1', 'c-s2', 'c-s3']);
    outbox.push(note('bob', false, 'bob-2')); // a tie: the sender holding the oldest loses it
    expect(outbox.pending().map((t) => JSON.parse(t).data)).toEqual(['c-s2', 'c-s3', 'bob-2']);
    expect(outbox.takeLost()).toEqual({ count: 3, rooms: { r: 3 } });
  });

  it('drops a new broadcast itself when only signals are held', () => {
    const outbox = new Outbox(2, Infinity);
    outbox.push(note('a', false));
    outbox.push(note('b', false));
    expect(outbox.push(note('c', true))).toMatchObject({ dropped: 1, overflow: 'count' });
    expect(outbox.pendingCount).toBe(2);
  });

  it('counts bytes, and acknowledged entries leave the count and the lanes', () => {
    const outbox = new Outbox(1_000, 200);
    for (let i = 0; i < 10; i++) outbox.push(note('a', false, 'y'.repeat(50)));
    expect(outbox.pendingBytes).toBeLessThanOrEqual(200);
    outbox.ack(10);
    expect(outbox.pendingCount).toBe(0);
    expect(outbox.pendingBytes).toBe(0);
    expect(outbox.takeLost()).toBeUndefined(); // every drop was acknowledged after all
  });
});

describe('DedupeCache bytes', () => {
  it('charges answers in UTF-8 bytes and forgets the oldest answered past the limit, never a running one', () => {
    const cache = new DedupeCache(60_000, 1_000, 2_000);
    cache.start('running', 0);
    for (let i = 0; i < 10; i++) {
      cache.start(`a${i}`, 0);
      cache.finish(`a${i}`, 'é'.repeat(300), 0); // 600 bytes each
    }
    expect(cache.bytes).toBeLessThanOrEqual(2_000 + 600);
    expect(cache.get('running', 0)).toMatchObject({ response: undefined });
    expect(cache.get('a9', 0)).toBeDefined();
    expect(cache.get('a0', 0)).toBeUndefined();
    expect(cache.running).toBe(1);
  });
});

describe('Revocations and Secrets', () => {
  it('bounds revocations in time and count', () => {
    const revocations = new Revocations(1_000, 3);
    for (const id of ['a', 'b', 'c', 'd']) revocations.revoke(id, 0);
    expect(['a', 'b', 'c', 'd'].map((id) => revocations.revoked(id, 10))).toEqual([false, true, true, true]);
    expect(revocations.revoked('d', 1_000)).toBe(false);
    revocations.revoke('e', 2_000);
    expect(revocations.size).toBe(1);
  });

  it('derives the same secret from the same key, another from another key', () => {
    const a = new Secrets('key-one-key-one-key-one');
    expect(a.verify('peer', new Secrets('key-one-key-one-key-one').of('peer'))).toBe(true);
    expect(a.verify('peer', new Secrets('key-two-key-two-key-two').of('peer'))).toBe(false);
    expect(a.verify('peer', '')).toBe(false);
    expect(new Secrets(undefined, () => Buffer.alloc(32, 1)).of('p')).toBe(new Secrets(Buffer.alloc(32, 1)).of('p'));
  });
});
