/**
 * The Peer with a server that pings idle clients (welcome.heartbeat), over a fake WebSocket
 * with fake time: it asks for pings in hello, answers each with a pong carrying its ack, and
 * sends no ping of its own while the server's keep coming; without welcome.heartbeat it
 * pings every interval as before.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Peer } from '../../src/index.js';
import { fakeWebSocket, type FakeSocket } from '../support/fake-socket.js';

const INTERVAL = 1000;

async function connected(welcome: Record<string, unknown>) {
  const ws = fakeWebSocket();
  const peer = new Peer({ urls: ['ws://a.test/rtc'], heartbeat: { interval: INTERVAL, maxMissed: 3 }, WebSocket: ws.WebSocket, backoff: { jitter: 0 }, env: { random: () => 0.5 } });
  const closes: string[] = [];
  peer.on('close', ({ cause }) => closes.push(cause));
  void peer.connect();
  await vi.advanceTimersByTimeAsync(0);
  const socket: FakeSocket = ws.sockets[0]!;
  socket.open();
  socket.receive({ type: 'welcome', version: 1, peer: 'p1', secret: 's-p1', resumed: false, ...welcome });
  await vi.advanceTimersByTimeAsync(0);
  return { peer, socket, closes };
}

/** Fake time passes for `ms`; the server pings every `every` ms (and the Peer's pongs go out). */
async function serverPingsFor(socket: FakeSocket, ms: number, every: number) {
  for (let at = every; at <= ms; at += every) {
    await vi.advanceTimersByTimeAsync(every);
    socket.receive({ type: 'ping', id: 0 });
  }
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Peer with server pings', () => {
  it('sends its heartbeat interval in hello', async () => {
    const { socket } = await connected({ heartbeat: 500 });
    expect(socket.sentOfType('hello')[0]).toMatchObject({ heartbeat: INTERVAL });
  });

  it('answers each server ping with a pong, and pings only at open while they keep coming', async () => {
    const { peer, socket, closes } = await connected({ heartbeat: 500 });
    await serverPingsFor(socket, 20 * INTERVAL, 500);
    expect(socket.sentOfType('ping')).toEqual([{ type: 'ping', id: 1 }]); // the opening ping
    expect(socket.sentOfType('pong')).toHaveLength(40);
    expect(socket.sentOfType('pong')[0]).toEqual({ type: 'pong', id: 0 });
    expect(peer.state).toBe('open');
    expect(closes).toEqual([]);
  });

  it('a server beat (a pong that answers no ping) keeps the link alive and gets no answer', async () => {
    const { peer, socket, closes } = await connected({ heartbeat: 500 });
    for (let at = 500; at <= 20 * INTERVAL; at += 500) {
      await vi.advanceTimersByTimeAsync(500);
      socket.receive({ type: 'pong', id: 0 });
    }
    expect(socket.sent.map((frame) => frame.type)).toEqual(['hello', 'ping']); // nothing after the opening ping
    expect(peer.state).toBe('open');
    expect(closes).toEqual([]);
  });

  it('a pong carries the highest seq received, as a ping does', async () => {
    const { socket } = await connected({ heartbeat: 500 });
    for (let seq = 1; seq <= 3; seq++) socket.receive({ type: 'notification', method: 'n', data: seq, seq });
    socket.receive({ type: 'ping', id: 7 });
    expect(socket.sentOfType('pong').at(-1)).toEqual({ type: 'pong', id: 7, ack: 3 });
    // The ack went out with the pong: the ack schedule has nothing left to send.
    await vi.advanceTimersByTimeAsync(300);
    expect(socket.sentOfType('ack')).toEqual([]);
  });

  it('when the server pings stop, pings again after one silent interval and is dead maxMissed intervals after the last frame', async () => {
    const { socket, closes } = await connected({ heartbeat: 500 });
    await serverPingsFor(socket, 3 * INTERVAL, 500); // the last frame at 3000
    const pings = socket.sentOfType('ping').length;
    await vi.advanceTimersByTimeAsync(INTERVAL - 1);
    expect(socket.sentOfType('ping')).toHaveLength(pings);
    await vi.advanceTimersByTimeAsync(1);
    expect(socket.sentOfType('ping')).toHaveLength(pings + 1); // at 4000
    await vi.advanceTimersByTimeAsync(2 * INTERVAL - 1);
    expect(closes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(closes).toEqual(['dead']); // at 6000, 3 × 1000 after the last frame
  });

  it('without welcome.heartbeat (an older server) pings every interval, frames or not', async () => {
    const { socket } = await connected({});
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(INTERVAL / 2);
      socket.receive({ type: 'pong', id: 999 });
    }
    expect(socket.sentOfType('ping').map((ping) => ping.id)).toEqual([1, 2, 3, 4, 5, 6]); // at 0, 1000, ..., 5000
  });
});
