/**
 * When acks go out: after `every` notifications or `delay` ms, whichever first, and never when
 * nothing new arrived. AckSchedule on its own, then through a Peer over a fake WebSocket.
 * Fake time only.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AckSchedule } from '../../src/acks.js';
import { Peer } from '../../src/index.js';
import { fakeWebSocket } from '../support/fake-socket.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const timers = { setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>) };

function schedule(every = 4, delay = 100) {
  const sends: number[] = [];
  const acks = new AckSchedule(timers, { every, delay }, () => sends.push(Date.now()));
  return { acks, sends };
}

describe('AckSchedule', () => {
  it('acks after `every` notifications without waiting for the delay', () => {
    const { acks, sends } = schedule(4, 100);
    for (let i = 0; i < 11; i++) acks.received();
    expect(sends).toHaveLength(2); // after the 4th and the 8th
    vi.advanceTimersByTime(100);
    expect(sends).toHaveLength(3); // the 3 left over, once the delay passed
  });

  it('acks `delay` ms after the first unacknowledged notification, once', () => {
    const { acks, sends } = schedule(64, 100);
    const start = Date.now();
    acks.received();
    vi.advanceTimersByTime(60);
    acks.received();
    vi.advanceTimersByTime(39);
    expect(sends).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sends).toEqual([start + 100]);
    vi.advanceTimersByTime(1000);
    expect(sends).toHaveLength(1); // nothing new arrived: no more acks
  });

  it('arms at most one timer per delay window, however many notifications arrive', () => {
    const { acks } = schedule(1000, 100);
    for (let i = 0; i < 500; i++) acks.received();
    expect(vi.getTimerCount()).toBe(1);
  });

  it('sends nothing after a ping carried the ack, or after stop()', () => {
    const { acks, sends } = schedule(4, 100);
    acks.received();
    acks.sent(); // a ping went out with the ack
    vi.advanceTimersByTime(100);
    expect(sends).toEqual([]);
    acks.received();
    acks.stop();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(1000);
    expect(sends).toEqual([]);
  });
});

describe('Peer: acks between pings', () => {
  async function connected(acks?: { every?: number; delay?: number }) {
    const ws = fakeWebSocket();
    const peer = new Peer({ urls: 'ws://a.test/rtc', WebSocket: ws.WebSocket, heartbeat: { interval: 5000 }, ...(acks && { acks }), env: { random: () => 0.5 } });
    void peer.connect();
    await vi.advanceTimersByTimeAsync(0);
    const socket = ws.last();
    socket.welcome('p1');
    await vi.advanceTimersByTimeAsync(0);
    return { peer, socket };
  }

  it('acks the highest seq after `every` notifications and after the delay, never for nothing new', async () => {
    const { peer, socket } = await connected({ every: 3, delay: 200 });
    for (let seq = 1; seq <= 7; seq++) socket.receive({ type: 'notification', method: 'm', seq });
    expect(socket.sentOfType('ack')).toEqual([
      { type: 'ack', seq: 3 },
      { type: 'ack', seq: 6 },
    ]);
    await vi.advanceTimersByTimeAsync(200);
    expect(socket.sentOfType('ack').at(-1)).toEqual({ type: 'ack', seq: 7 });
    socket.receive({ type: 'notification', method: 'm', seq: 7 }); // a resend: already seen
    socket.receive({ type: 'notification', method: 'm' }); // no seq: nothing to ack
    await vi.advanceTimersByTimeAsync(1000);
    expect(socket.sentOfType('ack')).toHaveLength(3);
    peer.close();
  });

  it('defaults to 64 notifications or 250 ms', async () => {
    const { peer, socket } = await connected();
    for (let seq = 1; seq <= 64; seq++) socket.receive({ type: 'notification', method: 'm', seq });
    expect(socket.sentOfType('ack')).toEqual([{ type: 'ack', seq: 64 }]);
    socket.receive({ type: 'notification', method: 'm', seq: 65 });
    await vi.advanceTimersByTimeAsync(249);
    expect(socket.sentOfType('ack')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(socket.sentOfType('ack').at(-1)).toEqual({ type: 'ack', seq: 65 });
    peer.close();
  });

  it('sends no ack frame after the link dropped; the next hello carries it', async () => {
    const { peer, socket } = await connected({ every: 100, delay: 200 });
    socket.receive({ type: 'notification', method: 'm', seq: 1 });
    socket.drop();
    await vi.advanceTimersByTimeAsync(200);
    expect(socket.sentOfType('ack')).toEqual([]);
    peer.close();
  });

  it('refuses a bad option with a clear message', () => {
    expect(() => new Peer({ urls: 'ws://a.test', acks: { every: 0 } })).toThrow(/`acks.every` must be a number above 0/);
    expect(() => new Peer({ urls: 'ws://a.test', acks: { delay: -1 } })).toThrow(/`acks.delay` must be a number above 0/);
    expect(() => new Peer({ urls: 'ws://a.test', maxInboundBytes: Number.NaN })).toThrow(/`maxInboundBytes` must be a number above 0/);
  });
});
