import type { IncomingMessage } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WebSocket } from 'ws';
import type { SignalError } from '../../../src/errors.js';
import { connect, FakeServerSocket, welcomeOf } from '../../support/fake-server-socket.js';
import { hubOnFakeTime } from './harness.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Settle `promise` into a value a test can inspect synchronously later. */
function track(promise: Promise<unknown>) {
  const state: { value?: unknown; error?: SignalError } = {};
  promise.then(
    (value) => (state.value = value),
    (error: SignalError) => (state.error = error),
  );
  return state;
}

describe('server -> client requests through the Hub, on fake time', () => {
  it('resolve with the response that comes back on the same socket', async () => {
    const { hub } = hubOnFakeTime();
    const socket = connect(hub);
    const result = track(hub.request(welcomeOf(socket).peer, 'offer', { sdp: 'x' }, 10_000));
    const [sent] = socket.frames('request');
    expect(sent).toEqual({ type: 'request', id: 's1', method: 'offer', data: { sdp: 'x' } });
    socket.receive({ type: 'response', id: 's1', ok: true, data: 'answer' });
    await vi.advanceTimersByTimeAsync(0);
    expect(result).toEqual({ value: 'answer' });
  });

  it('time out after exactly their timeout; a late response is ignored', async () => {
    const { hub } = hubOnFakeTime();
    const socket = connect(hub);
    const { peer } = welcomeOf(socket);
    const result = track(hub.request(peer, 'offer', null, 5_000));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(result).toEqual({});
    await vi.advanceTimersByTimeAsync(1);
    expect(result.error?.code).toBe('TIMEOUT');
    expect(result.error?.message).toBe(`request "offer" to peer "${peer}" got no response in 5000 ms`);
    socket.receive({ type: 'response', id: 's1', ok: true, data: 'late' });
    expect(socket.closedWith).toBeUndefined();
  });

  it('fail with CLOSED, oldest first, when their socket closes, and never time out afterwards', async () => {
    const { hub } = hubOnFakeTime();
    const socket = connect(hub);
    const other = connect(hub);
    const { peer } = welcomeOf(socket);
    const order: string[] = [];
    const first = hub.request(peer, 'a', null, 5_000).catch((error: SignalError) => order.push(`a:${error.code}:${error.closeCode}`));
    const second = hub.request(peer, 'b', null, 5_000).catch((error: SignalError) => order.push(`b:${error.code}:${error.closeCode}`));
    const bystander = track(hub.request(welcomeOf(other).peer, 'c', null, 5_000));
    socket.drop(1006);
    await Promise.all([first, second]);
    expect(order).toEqual(['a:CLOSED:1006', 'b:CLOSED:1006']);
    other.receive({ type: 'response', id: 's3', ok: true, data: 'still here' });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(bystander).toEqual({ value: 'still here' });
    expect(vi.getTimerCount()).toBe(1); // only the dropped session's expiry
  });

  it('only the socket a request went out on can answer it', async () => {
    const { hub } = hubOnFakeTime();
    const target = connect(hub);
    const intruder = connect(hub);
    const result = track(hub.request(welcomeOf(target).peer, 'offer', null, 5_000));
    intruder.receive({ type: 'response', id: 's1', ok: true, data: 'forged' });
    await vi.advanceTimersByTimeAsync(0);
    expect(result).toEqual({});
    target.receive({ type: 'response', id: 's1', ok: false, error: { code: 'busy', message: 'in a call' } });
    await vi.advanceTimersByTimeAsync(0);
    expect(result.error?.code).toBe('REMOTE');
    expect(result.error?.remoteCode).toBe('busy');
  });

  it('to an unknown or disconnected peer throw UNREACHABLE at once', () => {
    const { hub } = hubOnFakeTime();
    const socket = connect(hub);
    const { peer } = welcomeOf(socket);
    socket.drop(1006);
    expect(() => hub.request(peer, 'offer', null, 1_000)).toThrow(expect.objectContaining({ code: 'UNREACHABLE', message: `cannot send request "offer": peer "${peer}" is not connected` }));
    expect(() => hub.request('nobody', 'offer', null, 1_000)).toThrow(expect.objectContaining({ code: 'UNREACHABLE', message: 'cannot send request "offer": peer "nobody" has no session' }));
  });
});

describe('socket timers on fake time', () => {
  it('a socket that sends no hello is closed with 4500 at exactly helloTimeout; a welcomed one never is', () => {
    const { hub } = hubOnFakeTime({ helloTimeout: 10_000 });
    const silent = new FakeServerSocket();
    hub.accept(silent as unknown as WebSocket, {} as IncomingMessage);
    const welcomed = connect(hub);
    vi.advanceTimersByTime(9_999);
    expect(silent.closedWith).toBeUndefined();
    vi.advanceTimersByTime(1);
    expect(silent.closedWith).toEqual({ code: 4500, reason: 'not welcomed within 10000 ms of connecting (send hello first)' });
    vi.advanceTimersByTime(60_000);
    expect(welcomed.closedWith).toBeUndefined();
  });

  it('a welcomed socket silent for idleTimeout is closed with 4502; one that keeps sending stays', () => {
    const { hub, events } = hubOnFakeTime({ idleTimeout: 8_000 });
    const idle = connect(hub);
    const chatty = connect(hub);
    for (let t = 0; t < 20; t++) {
      vi.advanceTimersByTime(1_000);
      chatty.receive({ type: 'ping', id: t });
    }
    expect(idle.closedWith).toEqual({ code: 4502, reason: 'idle: no frame received for 8000 ms' });
    expect(chatty.closedWith).toBeUndefined();
    expect(events('disconnect').map((event) => event.code)).toEqual([4502]);
  });
});
