// The server's heartbeats for idle clients (hello.heartbeat), through the Hub on fake time:
// when they go out, which sockets get none, when a beat asks for an answer (a ping rather than
// a pong), and that the idle timeout still closes a client that does not answer.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PING_TICK_MS, answerAfter, pingAfter } from '../../../src/server/ping-wheel.js';
import { connect, resumeHello, welcomeOf, type FakeServerSocket } from '../../support/fake-server-socket.js';
import { hubOnFakeTime } from './harness.js';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
});
afterEach(() => {
  vi.useRealTimers();
});

const hello = (heartbeat?: number) => ({ type: 'hello', version: 1, ...(heartbeat !== undefined && { heartbeat }) });

/** The server's heartbeats to `socket`: pongs that answer no ping (these tests' clients send none), and pings. */
const beats = (socket: FakeServerSocket) => socket.sent.filter((frame) => frame.type === 'pong' || frame.type === 'ping');

/** Run fake time for `ms` in 10 ms steps; the times (from now) at which `socket` was sent a heartbeat. */
function pingTimes(socket: FakeServerSocket, ms: number, each?: (at: number) => void): number[] {
  const start = Date.now();
  const times: number[] = [];
  for (let at = 10; at <= ms; at += 10) {
    const before = beats(socket).length;
    vi.advanceTimersByTime(10);
    each?.(at);
    if (beats(socket).length > before) times.push(Date.now() - start);
  }
  return times;
}

describe('server heartbeats (hello.heartbeat)', () => {
  it('pingAfter leaves two ticks before the interval ends, half of it for short ones, and raises intervals under 1 s', () => {
    expect(pingAfter(5_000)).toBe(5_000 - 2 * PING_TICK_MS);
    expect(pingAfter(1_000)).toBe(500);
    expect(pingAfter(10)).toBe(500);
    expect(pingAfter(0)).toBe(500);
    expect(answerAfter(60_000)).toBe(30_000);
    expect(answerAfter(0)).toBe(30_000);
  });

  it('welcome says when the server beats; an idle socket gets one beat per period, never later than the interval, and a ping when unheard for long', () => {
    const { hub } = hubOnFakeTime(); // no idle timeout: a ping after 30 s unheard
    const socket = connect(hub, hello(5_000));
    expect(socket.frames('welcome')[0]).toMatchObject({ heartbeat: 4_500 });
    let answered = 0;
    const times = pingTimes(socket, 45_000, () => {
      // The client answers each ping at once (and never a pong).
      for (const ping of socket.frames('ping').slice(answered)) socket.receive({ type: 'pong', id: ping.id });
      answered = socket.frames('ping').length;
    });
    expect(times.length).toBeGreaterThanOrEqual(9);
    expect(times.length).toBeLessThanOrEqual(11);
    expect(socket.frames('pong')[0]).toEqual({ type: 'pong', id: 0 });
    // Heard from at connect (hello), then only when asked: the first beat after 30 s is the ping.
    expect(socket.frames('ping')).toEqual([{ type: 'ping', id: 0 }]);
    const pingAt = times[beats(socket).findIndex((frame) => frame.type === 'ping')]!;
    expect(pingAt).toBeGreaterThanOrEqual(30_000);
    expect(pingAt).toBeLessThan(30_000 + 4_500 + PING_TICK_MS);
    const gaps = times.map((at, i) => at - (i === 0 ? 0 : times[i - 1]!));
    for (const gap of gaps) {
      expect(gap).toBeGreaterThan(4_500 - PING_TICK_MS);
      expect(gap).toBeLessThan(5_000);
    }
    expect(socket.closedWith).toBeUndefined();
  });

  it('beats for the sockets due in the same tick go out together, from one timer', () => {
    const { hub } = hubOnFakeTime();
    const setInterval = vi.spyOn(globalThis, 'setInterval');
    const sockets = Array.from({ length: 20 }, () => connect(hub, hello(2_000)));
    expect(setInterval).toHaveBeenCalledTimes(1); // one wheel; the idle check is off in this harness
    vi.advanceTimersByTime(1_500 + PING_TICK_MS);
    expect(sockets.map((s) => beats(s).length)).toEqual(sockets.map(() => 1));
    setInterval.mockRestore();
  });

  it('a socket that is sent something within every period gets no heartbeat', () => {
    const { hub } = hubOnFakeTime();
    const busy = connect(hub, hello(5_000));
    const idle = connect(hub, hello(5_000));
    const { peer } = welcomeOf(busy);
    const times = pingTimes(busy, 30_000, (at) => {
      if (at % 3_000 === 0) hub.notify(peer, 'tick', at);
    });
    expect(times).toEqual([]);
    expect(busy.frames('notification')).toHaveLength(10);
    expect(beats(idle).length).toBeGreaterThanOrEqual(6); // the wheel did run
  });

  it('the heartbeat comes one period after the last frame the socket was sent, not on a fixed grid', () => {
    const { hub } = hubOnFakeTime();
    const socket = connect(hub, hello(5_000));
    const { peer } = welcomeOf(socket);
    vi.advanceTimersByTime(3_000);
    hub.notify(peer, 'n', 1); // at 3000: the ping due at 4500 moves to about 7500
    const times = pingTimes(socket, 7_000);
    expect(times).toHaveLength(1);
    expect(times[0]! + 3_000).toBeGreaterThan(7_500 - PING_TICK_MS);
    expect(times[0]! + 3_000).toBeLessThan(7_500 + PING_TICK_MS);
  });

  it('a client without hello.heartbeat (an older one) is never pinged and its welcome has no heartbeat', () => {
    const { hub } = hubOnFakeTime();
    const socket = connect(hub, hello());
    expect(socket.frames('welcome')[0]).not.toHaveProperty('heartbeat');
    vi.advanceTimersByTime(60_000);
    expect(beats(socket)).toEqual([]);
  });

  it('a client that does not answer is closed by idleTimeout as before; one that answers with pong stays', () => {
    const { hub, events } = hubOnFakeTime({ idleTimeout: 8_000 });
    const silent = connect(hub, hello(1_000));
    const answering = connect(hub, hello(1_000));
    let answered = 0;
    for (let t = 0; t < 300; t++) {
      vi.advanceTimersByTime(100);
      for (const ping of answering.frames('ping').slice(answered)) answering.receive({ type: 'pong', id: ping.id });
      answered = answering.frames('ping').length;
    }
    // Beats, then pings once unheard for half of idleTimeout, until it was closed.
    expect(beats(silent).length).toBeGreaterThanOrEqual(10);
    expect(silent.frames('ping').length).toBeGreaterThanOrEqual(5); // from 4 s on, every 500 ms
    expect(silent.closedWith).toEqual({ code: 4502, reason: 'idle: no frame received for 8000 ms' });
    expect(answering.closedWith).toBeUndefined();
    expect(answered).toBeGreaterThanOrEqual(6); // asked about every half of idleTimeout
    expect(answering.frames('pong').length).toBeGreaterThan(answered); // the beats in between
    expect(events('disconnect').map((event) => event.code)).toEqual([4502]);
  });

  it('the ack on a pong frees the notifications it covers: a resume gets none of them again', async () => {
    const { hub } = hubOnFakeTime({ idleTimeout: 900 }); // the first beat (at 500) asks for an answer
    const socket = connect(hub, hello(1_000));
    const { peer } = welcomeOf(socket);
    for (let i = 0; i < 3; i++) hub.notify(peer, 'n', i);
    vi.advanceTimersByTime(600); // pinged 500 ms after the notifications
    expect(socket.frames('ping')).toHaveLength(1);
    socket.receive({ type: 'pong', id: 0, ack: 3 });
    socket.drop(1006);
    await vi.advanceTimersByTimeAsync(0);
    const again = connect(hub, resumeHello(socket));
    await vi.advanceTimersByTimeAsync(0);
    expect(welcomeOf(again).resumed).toBe(true);
    expect(again.frames('notification')).toEqual([]);
  });

  it('a pong without an ack resends everything on resume (the control for the test above)', async () => {
    const { hub } = hubOnFakeTime({ idleTimeout: 900 });
    const socket = connect(hub, hello(1_000));
    const { peer } = welcomeOf(socket);
    for (let i = 0; i < 3; i++) hub.notify(peer, 'n', i);
    vi.advanceTimersByTime(600);
    expect(socket.frames('ping')).toHaveLength(1);
    socket.receive({ type: 'pong', id: 0 });
    socket.drop(1006);
    await vi.advanceTimersByTimeAsync(0);
    const again = connect(hub, resumeHello(socket));
    await vi.advanceTimersByTimeAsync(0);
    expect(again.frames('notification')).toHaveLength(3);
  });

  it('stops once the server closes', async () => {
    const { hub } = hubOnFakeTime();
    const socket = connect(hub, hello(1_000));
    const closing = hub.close();
    await vi.advanceTimersByTimeAsync(5_000);
    await closing;
    expect(beats(socket)).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
