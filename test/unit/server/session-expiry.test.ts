import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connect, FakeServerSocket, resumeHello, welcomeOf } from '../../support/fake-server-socket.js';
import { hubOnFakeTime } from './harness.js';

const TTL = 30_000;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('server sessions on fake time', () => {
  it('outlive a dropped socket for exactly sessionTtl, then end once', () => {
    const { hub, events } = hubOnFakeTime({ sessionTtl: TTL });
    const socket = connect(hub);
    const { peer, resumed } = welcomeOf(socket);
    expect(resumed).toBe(false);
    socket.drop(1006);
    expect(events('disconnect')).toEqual([{ peerId: peer, code: 1006, reason: '' }]);
    vi.advanceTimersByTime(TTL - 1);
    expect(hub.peerIds()).toEqual([peer]);
    expect(events('session-end')).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(hub.peerIds()).toEqual([]);
    vi.advanceTimersByTime(10 * TTL);
    expect(events('session-end')).toEqual([{ peerId: peer }]);
  });

  it('a resume within sessionTtl keeps the session, cancels its expiry and restarts it on the next drop', () => {
    const { hub, events } = hubOnFakeTime({ sessionTtl: TTL });
    const first = connect(hub);
    const { peer } = welcomeOf(first);
    first.drop(1006);
    vi.advanceTimersByTime(TTL - 1);
    const second = connect(hub, resumeHello(first));
    expect(welcomeOf(second)).toMatchObject({ peer, resumed: true });
    expect(events('connection')).toEqual([
      { peerId: peer, resumed: false },
      { peerId: peer, resumed: true },
    ]);
    vi.advanceTimersByTime(10 * TTL);
    expect(events('session-end')).toEqual([]);
    // The second drop gets a whole sessionTtl of its own.
    second.drop(1001);
    vi.advanceTimersByTime(TTL - 1);
    expect(hub.peerIds()).toEqual([peer]);
    vi.advanceTimersByTime(1);
    expect(events('session-end')).toEqual([{ peerId: peer }]);
  });

  it('a resume on a second socket replaces the first (4501) without ending the session', async () => {
    const { hub, events } = hubOnFakeTime({ sessionTtl: TTL });
    const first = connect(hub);
    const second = connect(hub, resumeHello(first));
    expect(first.closedWith?.code).toBe(4501);
    expect(welcomeOf(second).resumed).toBe(true);
    await vi.advanceTimersByTimeAsync(10 * TTL);
    expect(events('session-end')).toEqual([]);
    expect(hub.peerIds()).toEqual([welcomeOf(first).peer]);
  });

  it('a client that closes with 1000 ends its session at once', () => {
    const { hub, events } = hubOnFakeTime({ sessionTtl: TTL });
    const socket = connect(hub);
    socket.drop(1000, 'bye');
    expect(events('session-end')).toEqual([{ peerId: welcomeOf(socket).peer }]);
    expect(hub.peerIds()).toEqual([]);
  });

  it('after expiry, a resume starts a new session under the same id and secret (they have the issued shape)', () => {
    const { hub, events } = hubOnFakeTime({ sessionTtl: TTL });
    const first = connect(hub);
    first.drop(1006);
    vi.advanceTimersByTime(TTL);
    const second = connect(hub, resumeHello(first));
    expect(welcomeOf(second)).toEqual({ ...welcomeOf(first), resumed: false });
    expect(events('connection').map((event) => event.resumed)).toEqual([false, false]);
  });

  it('session ids come from the injected env; secrets are derived from them, not drawn', () => {
    const { hub } = hubOnFakeTime();
    const first = welcomeOf(connect(hub));
    const second = welcomeOf(connect(hub));
    expect([first.peer, second.peer]).toEqual(['id0000000000000000001', 'id0000000000000000002']);
    expect(first.secret).not.toBe(second.secret);
    expect(first.secret).not.toMatch(/^id0/);
  });

  it('kick closes the socket with 4000 and ends the session now; an unknown peer is false', () => {
    const { hub, events } = hubOnFakeTime({ sessionTtl: TTL });
    const socket = connect(hub);
    const { peer } = welcomeOf(socket);
    expect(hub.kick(peer, 'go away')).toBe(true);
    expect(socket.closedWith).toEqual({ code: 4000, reason: 'go away' });
    expect(events('session-end')).toEqual([{ peerId: peer }]);
    expect(hub.kick(peer, 'again')).toBe(false);
  });

  it('close() ends every session, also those waiting for a resume, and cuts off sockets that do not finish closing', async () => {
    const { hub, events } = hubOnFakeTime({ sessionTtl: TTL });
    const away = connect(hub);
    away.drop(1006);
    const stuck = connect(hub, { type: 'hello', version: 1 }, new FakeServerSocket(true));
    let closed = false;
    const closing = hub.close().then(() => (closed = true));
    expect(stuck.closedWith?.code).toBe(1001);
    expect(events('session-end')).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await closing;
    expect(stuck.terminated).toBe(true);
  });
});
