import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeNotification, Outbox } from '../../../src/server/outbox.js';
import { connect, resumeHello, welcomeOf } from '../../support/fake-server-socket.js';
import { hubOnFakeTime } from './harness.js';

const TTL = 30_000;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const seqs = (frames: Array<Record<string, unknown>>) => frames.map((frame) => frame.seq);

describe('the notification outbox through the Hub, on fake time', () => {
  it('what is sent while the peer is away is resent on its resume, in order, from just after its ack', () => {
    const { hub } = hubOnFakeTime({ sessionTtl: TTL });
    const first = connect(hub);
    const { peer } = welcomeOf(first);
    hub.notify(peer, 'n', 1);
    hub.notify(peer, 'n', 2);
    first.drop(1006);
    hub.notify(peer, 'n', 3);
    hub.notifyAll([peer, 'nobody'], 'n', 4, { sender: 'someone', bulk: true, room: 'lobby' });
    vi.advanceTimersByTime(TTL - 1);
    const second = connect(hub, resumeHello(first, 1));
    expect(second.frames('notification')).toEqual([
      { type: 'notification', method: 'n', data: 2, seq: 2 },
      { type: 'notification', method: 'n', data: 3, seq: 3 },
      { type: 'notification', method: 'n', data: 4, seq: 4 },
    ]);
  });

  it('ack frames and ping acks trim it: a later resume resends only what is still unacknowledged', () => {
    const { hub } = hubOnFakeTime({ sessionTtl: TTL });
    const first = connect(hub);
    const { peer } = welcomeOf(first);
    for (let i = 1; i <= 5; i++) hub.notify(peer, 'n', i);
    first.receive({ type: 'ack', seq: 2 });
    const second = connect(hub, resumeHello(first));
    expect(seqs(second.frames('notification'))).toEqual([3, 4, 5]);
    second.receive({ type: 'ping', id: 1, ack: 4 });
    expect(second.frames('pong')).toEqual([{ type: 'pong', id: 1 }]);
    const third = connect(hub, resumeHello(first));
    expect(seqs(third.frames('notification'))).toEqual([5]);
  });

  it('the session expiring discards the outbox: the next session numbers from 1 again', () => {
    const { hub } = hubOnFakeTime({ sessionTtl: TTL });
    const first = connect(hub);
    const { peer } = welcomeOf(first);
    first.drop(1006);
    hub.notify(peer, 'n', 'lost');
    vi.advanceTimersByTime(TTL);
    expect(hub.notify(peer, 'n', 'nobody')).toBe(false);
    const second = connect(hub, resumeHello(first));
    expect(second.frames('notification')).toEqual([]);
    hub.notify(peer, 'n', 'fresh');
    expect(seqs(second.frames('notification'))).toEqual([1]);
  });

  it('over maxBufferedNotifications the oldest are dropped; warnings come at once, then at most one per second with the count', () => {
    const { hub, events } = hubOnFakeTime({ sessionTtl: TTL, maxBufferedNotifications: 3 });
    const first = connect(hub);
    const { peer } = welcomeOf(first);
    first.drop(1006);
    for (let i = 1; i <= 5; i++) hub.notify(peer, 'n', i);
    const warning = (count: number) => ({ code: 'NOTIFICATIONS_DROPPED', message: `peer "${peer}" has over 3 unacknowledged notifications; dropped ${count} (reported once per second at most)`, peerId: peer, count });
    expect(events('warning')).toEqual([warning(1)]);
    vi.advanceTimersByTime(1_000);
    expect(events('warning')).toEqual([warning(1), warning(1)]);
    const second = connect(hub, resumeHello(first));
    expect(seqs(second.frames('notification'))).toEqual([3, 4, 5]);
    expect((second.frames('welcome')[0] as { lost?: unknown }).lost).toEqual({ count: 2, rooms: {} });
  });

  it('over maxBufferedBytes the oldest are dropped, but the newest is kept even when it alone is larger', () => {
    const { hub, events } = hubOnFakeTime({ sessionTtl: TTL, maxBufferedBytes: 200 });
    const first = connect(hub);
    const { peer } = welcomeOf(first);
    first.drop(1006);
    hub.notify(peer, 'n', 'a'.repeat(40));
    hub.notify(peer, 'n', 'b'.repeat(40));
    hub.notify(peer, 'n', 'c'.repeat(500));
    expect(events('warning').map((warning) => warning.message)).toEqual([
      `peer "${peer}" has over 200 bytes of unacknowledged notifications; dropped 2 (reported once per second at most)`,
    ]);
    const second = connect(hub, resumeHello(first));
    expect(second.frames('notification')).toEqual([{ type: 'notification', method: 'n', data: 'c'.repeat(500), seq: 3 }]);
  });
});

describe('Outbox', () => {
  it('numbers from 1, frames byte-identical to JSON.stringify, and counts the bytes it holds', () => {
    const outbox = new Outbox(10, 10_000);
    const note = encodeNotification('hi', { text: 'é' });
    const { text, dropped, overflow } = outbox.push(note);
    expect(text).toBe(JSON.stringify({ type: 'notification', method: 'hi', data: { text: 'é' }, seq: 1 }));
    expect([dropped, overflow]).toEqual([0, undefined]);
    expect(outbox.pendingBytes).toBe(Buffer.byteLength(text));
    outbox.push(encodeNotification('bye', undefined));
    expect(outbox.pending().map((frame) => JSON.parse(frame) as unknown)).toEqual([
      { type: 'notification', method: 'hi', data: { text: 'é' }, seq: 1 },
      { type: 'notification', method: 'bye', seq: 2 },
    ]);
  });

  it('an ack forgets up to and including its seq; an old or repeated ack changes nothing', () => {
    const outbox = new Outbox(100, 100_000);
    for (let i = 0; i < 5; i++) outbox.push(encodeNotification('n', i));
    outbox.ack(3);
    outbox.ack(1);
    expect(outbox.pending().map((frame) => (JSON.parse(frame) as { seq: number }).seq)).toEqual([4, 5]);
    outbox.ack(99);
    expect(outbox.pending()).toEqual([]);
    expect(outbox.pendingBytes).toBe(0);
  });

  it('stays bounded over many pushes and acks (the consumed front is released)', () => {
    const outbox = new Outbox(50, 1_000_000);
    let dropped = 0;
    for (let i = 1; i <= 10_000; i++) {
      dropped += outbox.push(encodeNotification('n', i)).dropped;
      if (i % 200 === 0) outbox.ack(i - 10);
    }
    expect(outbox.pending().length).toBeLessThanOrEqual(50);
    expect(dropped).toBeGreaterThan(0);
    expect((JSON.parse(outbox.pending().at(-1)!) as { seq: number }).seq).toBe(10_000);
  });
});
