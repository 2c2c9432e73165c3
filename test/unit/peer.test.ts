/**
 * The Peer through its public API only, over a fake WebSocket, with fake time.
 * Every wait is checked in fake milliseconds; nothing here depends on the wall clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Peer, SignalError, type PeerEvents, type PeerOptions, type PeerState } from '../../src/index.js';
import { fakeWebSocket, type FakeSocket, type FakeSocketOptions } from '../support/fake-socket.js';
import { track } from '../support/track.js';

const A = 'ws://a.test/rtc';
const B = 'ws://b.test/rtc';
const C = 'ws://c.test/rtc';
const INTERVAL = 1000;

type EventName = keyof PeerEvents;
type EventArg<K extends EventName> = Parameters<PeerEvents[K]>[0];
const EVENT_NAMES: EventName[] = ['state', 'open', 'close', 'reconnecting', 'exhausted', 'notification', 'error'];

function setup(options: Partial<PeerOptions> = {}, fake: FakeSocketOptions = {}) {
  const ws = fakeWebSocket(fake);
  const reported: unknown[] = [];
  const peer = new Peer({
    urls: [A],
    heartbeat: { interval: INTERVAL },
    WebSocket: ws.WebSocket,
    ...options,
    backoff: { jitter: 0, ...options.backoff },
    env: { random: () => 0.5, reportError: (error) => reported.push(error), ...options.env },
  });
  const log: Array<{ event: EventName; arg: unknown; at: number }> = [];
  for (const event of EVENT_NAMES) peer.on(event, (arg: unknown) => log.push({ event, arg, at: Date.now() }));
  return {
    peer,
    ws,
    reported,
    log,
    /** Every emitted event of one kind, in order. */
    of<K extends EventName>(event: K): Array<EventArg<K>> {
      return log.filter((entry) => entry.event === event).map((entry) => entry.arg as EventArg<K>);
    },
    /** The sequence of states entered. */
    states(): PeerState[] {
      return log.filter((entry) => entry.event === 'state').map((entry) => (entry.arg as EventArg<'state'>).to);
    },
    socket(index: number): FakeSocket {
      const socket = ws.sockets[index];
      if (!socket) throw new Error(`socket ${index} was not created (${ws.sockets.length} so far)`);
      return socket;
    },
  };
}

/** Let fake time pass, running timers and the promise callbacks between them. */
const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);
const flush = () => vi.advanceTimersByTimeAsync(0);

/** The socket connects and the server welcomes the peer. */
function accept(socket: FakeSocket, peer = 'p1', resumed = false, secret = `s-${peer}`) {
  socket.open();
  socket.welcome(peer, resumed, secret);
}

/** Connect and open the first socket. */
async function connected(options: Partial<PeerOptions> = {}, fake: FakeSocketOptions = {}) {
  const t = setup(options, fake);
  const ready = track(t.peer.connect());
  await flush();
  accept(t.socket(0));
  await flush();
  expect(ready.settled).toBe(true);
  return t;
}

/** Answer every ping the socket has not answered yet. */
function answerPings(socket: FakeSocket, answered: Set<unknown>) {
  for (const ping of socket.sentOfType('ping')) {
    if (answered.has(ping.id)) continue;
    answered.add(ping.id);
    socket.receive({ type: 'pong', id: ping.id });
  }
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Peer: connecting', () => {
  it('goes idle -> connecting -> open, says hello only after the socket opens, and resolves connect() on welcome', async () => {
    const t = setup();
    expect(t.peer.state).toBe('idle');
    expect(t.ws.sockets).toHaveLength(0); // nothing happens before connect()
    const ready = track(t.peer.connect());
    expect(t.peer.state).toBe('connecting');
    expect(t.ws.sockets.map((s) => s.url)).toEqual([A]);
    expect(t.peer.url).toBe(A);
    const socket = t.socket(0);
    await flush();
    expect(socket.sent).toEqual([]);
    socket.open();
    expect(socket.sent).toEqual([{ type: 'hello', version: 1, chunks: 1_048_576, heartbeat: 1_000 }]);
    expect(t.peer.state).toBe('connecting'); // not open until welcome
    expect(ready.settled).toBe(false);
    socket.welcome('peer-1', false);
    await flush();
    expect(ready).toMatchObject({ settled: true, value: undefined });
    expect(t.peer.state).toBe('open');
    expect(t.peer.id).toBe('peer-1');
    expect(t.log.map((e) => e.event)).toEqual(['state', 'state', 'open']);
    expect(t.of('state')).toEqual([
      { from: 'idle', to: 'connecting' },
      { from: 'connecting', to: 'open' },
    ]);
    expect(t.of('open')).toEqual([{ url: A, resumed: false, peerId: 'peer-1' }]);
  });

  it('connect() while connecting or open joins the same connection', async () => {
    const t = setup();
    const first = track(t.peer.connect());
    const second = track(t.peer.connect());
    accept(t.socket(0));
    await flush();
    expect(first.settled && second.settled).toBe(true);
    const third = track(t.peer.connect());
    await flush();
    expect(third.settled).toBe(true);
    expect(t.ws.sockets).toHaveLength(1);
  });

  it('sends requests and notifications made before the link is open only after welcome, in order', async () => {
    const t = setup();
    const r = track(t.peer.request('early', 1));
    t.peer.notify('note', 2);
    track(t.peer.connect());
    const socket = t.socket(0);
    socket.open();
    expect(socket.sent.map((f) => f.type)).toEqual(['hello']);
    socket.welcome('p1');
    // The opening ping is written first, before the send buffer flushes.
    expect(socket.sent.map((f) => f.type)).toEqual(['hello', 'ping', 'request', 'notification']);
    const request = socket.sent[2]!;
    expect(request).toMatchObject({ method: 'early', data: 1 });
    expect(request.replay).toBeUndefined();
    socket.receive({ type: 'response', id: request.id, ok: true, data: 'answer' });
    await flush();
    expect(r.value).toBe('answer');
  });

  it('a connect timeout gives up on a socket that never opens and tries again on schedule', async () => {
    const t = setup({ connectTimeout: 3000 });
    track(t.peer.connect());
    const hung = t.socket(0);
    await advance(2999);
    expect(hung.terminated).toBe(false);
    expect(t.of('reconnecting')).toEqual([]);
    await advance(1);
    expect(hung.terminated).toBe(true);
    expect(t.of('reconnecting')).toEqual([{ attempt: 2, delay: 200, url: A, reason: 'connect-timeout' }]);
    expect(t.peer.state).toBe('connecting');
    await advance(200);
    expect(t.ws.sockets).toHaveLength(2);
    expect(t.socket(1).createdAt).toBe(3200);
  });

  it('a connect timeout also covers a socket that opens but never gets welcome', async () => {
    const t = setup({ connectTimeout: 3000 });
    track(t.peer.connect());
    t.socket(0).open();
    await advance(3000);
    expect(t.socket(0).terminated).toBe(true);
    expect(t.of('reconnecting')).toMatchObject([{ reason: 'connect-timeout' }]);
  });

  it('a welcome that arrives in time cancels the connect timeout', async () => {
    const t = await connected({ connectTimeout: 3000 });
    const answered = new Set();
    for (let i = 0; i < 10; i++) {
      await advance(INTERVAL);
      answerPings(t.socket(0), answered);
    }
    expect(t.peer.state).toBe('open');
    expect(t.ws.sockets).toHaveLength(1);
  });

  it('a WebSocket constructor that throws (malformed url) is a failed attempt: error UNREACHABLE, then the next url', async () => {
    const t = setup({ urls: [A, B] }, { refuse: (url) => url === A });
    const ready = track(t.peer.connect());
    expect(t.ws.sockets).toHaveLength(0);
    expect(t.of('error')).toMatchObject([{ code: 'UNREACHABLE' }]);
    expect(t.of('reconnecting')).toEqual([{ attempt: 2, delay: 200, url: B, reason: 'connect-failed' }]);
    await advance(200);
    accept(t.socket(0));
    await flush();
    expect(ready.settled).toBe(true);
    expect(t.peer.url).toBe(B);
  });
});

describe('Peer: staged backoff', () => {
  it('first connect: attempts at once, then waits 200/400/600/600 ms after failures', async () => {
    const t = setup();
    track(t.peer.connect());
    for (const wait of [200, 400, 600, 600]) {
      const count = t.ws.sockets.length;
      t.ws.last().drop(1006);
      await advance(wait - 1);
      expect(t.ws.sockets).toHaveLength(count);
      await advance(1);
      expect(t.ws.sockets).toHaveLength(count + 1);
    }
    expect(t.ws.sockets.map((s) => s.createdAt)).toEqual([0, 200, 600, 1200, 1800]);
    expect(t.of('reconnecting')).toEqual([
      { attempt: 2, delay: 200, url: A, reason: 'connect-failed' },
      { attempt: 3, delay: 400, url: A, reason: 'connect-failed' },
      { attempt: 4, delay: 600, url: A, reason: 'connect-failed' },
      { attempt: 5, delay: 600, url: A, reason: 'connect-failed' },
    ]);
    expect(t.peer.state).toBe('connecting'); // never opened: still the first connect
  });

  it('after an established link drops: waits 2000/4000/6000/6000 ms, in state reconnecting', async () => {
    const t = await connected();
    await advance(INTERVAL); // the link has been stable
    answerPings(t.socket(0), new Set());
    t.socket(0).drop(1006);
    expect(t.peer.state).toBe('reconnecting');
    expect(t.of('close')).toEqual([{ code: 1006, reason: '', willReconnect: true, cause: 'closed' }]);
    const droppedAt = Date.now();
    for (const wait of [2000, 4000, 6000, 6000]) {
      const count = t.ws.sockets.length;
      await advance(wait - 1);
      expect(t.ws.sockets).toHaveLength(count);
      await advance(1);
      expect(t.ws.sockets).toHaveLength(count + 1);
      t.ws.last().drop(1006);
    }
    expect(t.ws.sockets.slice(1).map((s) => s.createdAt - droppedAt)).toEqual([2000, 6000, 12000, 18000]);
    expect(t.of('reconnecting').map((e) => [e.attempt, e.delay, e.reason])).toEqual([
      [1, 2000, 'closed'],
      [2, 4000, 'connect-failed'],
      [3, 6000, 'connect-failed'],
      [4, 6000, 'connect-failed'],
      [5, 6000, 'connect-failed'],
    ]);
    expect(t.states()).toEqual(['connecting', 'open', 'reconnecting']);
  });

  it('an open that drops before one heartbeat interval does not reset the schedule; one that stays open does', async () => {
    const t = await connected();
    await advance(INTERVAL);
    t.socket(0).drop(1006);
    expect(t.of('reconnecting').at(-1)?.delay).toBe(2000);
    await advance(2000);
    accept(t.socket(1));
    await advance(INTERVAL - 1); // accepted, then dropped at once: a flapping server
    t.socket(1).drop(1006);
    expect(t.of('reconnecting').at(-1)?.delay).toBe(4000);
    await advance(4000);
    accept(t.socket(2));
    await advance(INTERVAL); // this one stays up long enough
    answerPings(t.socket(2), new Set());
    t.socket(2).drop(1006);
    expect(t.of('reconnecting').at(-1)).toMatchObject({ attempt: 1, delay: 2000 });
  });

  it('applies jitter from the injected random', async () => {
    const t = setup({ backoff: { jitter: 0.5 }, env: { random: () => 0 } });
    track(t.peer.connect());
    t.socket(0).drop(1006);
    expect(t.of('reconnecting')[0]?.delay).toBe(100);
    await advance(99);
    expect(t.ws.sockets).toHaveLength(1);
    await advance(1);
    expect(t.ws.sockets).toHaveLength(2);
  });

  it.each([1006, 1001, 1000, 1011, 4500, 4501, 4999])('reconnects after close code %i', async (code) => {
    const t = await connected();
    t.socket(0).drop(code, 'bye');
    expect(t.peer.state).toBe('reconnecting');
    expect(t.of('close')).toEqual([{ code, reason: 'bye', willReconnect: true, cause: 'closed' }]);
    expect(t.of('reconnecting')).toMatchObject([{ reason: 'closed', url: A }]);
    await advance(2000);
    expect(t.ws.sockets).toHaveLength(2);
  });

  it('a lost link changes the state to reconnecting before close (willReconnect: true), then emits reconnecting', async () => {
    const t = await connected();
    const seen: string[] = [];
    t.peer.on('close', () => seen.push(t.peer.state));
    const before = t.log.length;
    t.socket(0).drop(1006);
    expect(seen).toEqual(['reconnecting']);
    expect(t.log.slice(before).map((e) => e.event)).toEqual(['state', 'close', 'reconnecting']);
    expect(t.of('state').at(-1)).toEqual({ from: 'open', to: 'reconnecting' });
  });

  it('a dead link also reads reconnecting inside the close listener', async () => {
    const t = await connected();
    const seen: string[] = [];
    t.peer.on('close', () => seen.push(t.peer.state));
    const before = t.log.length;
    await advance(3 * INTERVAL);
    expect(seen).toEqual(['reconnecting']);
    expect(t.log.slice(before).map((e) => e.event)).toEqual(['state', 'close', 'reconnecting']);
  });

  it('maxAttempts: gives up with UNREACHABLE, rejects everything pending, creates no more sockets', async () => {
    const t = setup({ backoff: { maxAttempts: 3 } });
    const ready = track(t.peer.connect());
    const pending = track(t.peer.request('q'));
    t.socket(0).drop(1006);
    await advance(200);
    t.socket(1).drop(1006);
    await advance(400);
    t.socket(2).drop(1006);
    await flush();
    expect(t.peer.state).toBe('closed');
    expect(ready.error?.code).toBe('UNREACHABLE');
    expect(pending.error?.code).toBe('UNREACHABLE');
    expect(t.of('error')).toMatchObject([{ code: 'UNREACHABLE' }]);
    expect(t.of('close')).toEqual([{ code: 1006, reason: 'unreachable', willReconnect: false, cause: 'unreachable' }]);
    // Shut down first, then the error: state closed -> close -> error.
    expect(t.log.slice(-3).map((e) => e.event)).toEqual(['state', 'close', 'error']);
    await advance(60_000);
    expect(t.ws.sockets).toHaveLength(3);
  });

  it('maxAttempts after a link was open: one close with willReconnect: false for giving up', async () => {
    const t = await connected({ backoff: { maxAttempts: 2 } });
    await advance(INTERVAL); // stable: the drop starts a fresh count of attempts
    answerPings(t.socket(0), new Set());
    t.socket(0).drop(1006);
    await advance(2000);
    t.socket(1).drop(1006);
    await advance(4000);
    t.socket(2).drop(1006);
    await flush();
    expect(t.peer.state).toBe('closed');
    expect(t.of('close')).toEqual([
      { code: 1006, reason: '', willReconnect: true, cause: 'closed' },
      { code: 1006, reason: 'unreachable', willReconnect: false, cause: 'unreachable' },
    ]);
    expect(t.states()).toEqual(['connecting', 'open', 'reconnecting', 'closed']);
  });

  it('UNREACHABLE: an error listener sees the Peer already closed, everything pending rejected, and close() there is a no-op', async () => {
    const t = setup({ backoff: { maxAttempts: 1 } });
    const ready = track(t.peer.connect());
    const pending = track(t.peer.request('q'));
    const seen: Array<{ state: string; closes: number }> = [];
    t.peer.on('error', () => {
      seen.push({ state: t.peer.state, closes: t.of('close').length });
      t.peer.close();
    });
    t.socket(0).drop(1006);
    await flush();
    expect(seen).toEqual([{ state: 'closed', closes: 1 }]);
    expect(ready.error?.code).toBe('UNREACHABLE');
    expect(pending.error?.code).toBe('UNREACHABLE');
    expect(t.of('close')).toEqual([{ code: 1006, reason: 'unreachable', willReconnect: false, cause: 'unreachable' }]);
    expect(t.states()).toEqual(['connecting', 'closed']);
  });
});

describe('Peer: failover', () => {
  it('starts at urls[0], goes round-robin on failures, emits exhausted after a full pass and keeps trying', async () => {
    const t = setup({ urls: [A, B, C] });
    track(t.peer.connect());
    t.socket(0).drop(1006);
    await advance(200);
    t.socket(1).drop(1006);
    await advance(400);
    expect(t.of('exhausted')).toEqual([]);
    t.socket(2).drop(1006);
    expect(t.of('exhausted')).toEqual([{ attempts: 3, urls: [A, B, C] }]);
    await advance(600);
    expect(t.ws.sockets.map((s) => s.url)).toEqual([A, B, C, A]);
    expect(t.of('reconnecting').map((e) => e.url)).toEqual([B, C, A]);
    // exhausted comes before the reconnecting event of the next pass
    const order = t.log.filter((e) => e.event === 'exhausted' || e.event === 'reconnecting').map((e) => e.event);
    expect(order).toEqual(['reconnecting', 'reconnecting', 'exhausted', 'reconnecting']);
  });

  it('fails over from a dead url to a live one, and after a drop goes on to the next url', async () => {
    const t = setup({ urls: [A, B, C] });
    track(t.peer.connect());
    t.socket(0).drop(1006); // A is down
    await advance(200);
    accept(t.socket(1)); // B works
    await flush();
    expect(t.peer.url).toBe(B);
    expect(t.of('open')).toMatchObject([{ url: B }]);
    t.socket(1).drop(1001);
    // Dropped before it was stable: the schedule goes on from the failed first attempt (4000, not 2000).
    expect(t.of('reconnecting').at(-1)).toMatchObject({ url: C, reason: 'closed', delay: 4000 });
    await advance(4000);
    expect(t.socket(2).url).toBe(C);
  });
});

describe('Peer: terminal closes', () => {
  it.each([4000, 4001, 4003, 4499])('close code %i: state closed, pending rejected KICKED with code and reason, no further sockets', async (code) => {
    const t = await connected();
    const pending = track(t.peer.request('offer', 'sdp'));
    t.peer.notify('n'); // written: gone already
    const written = t.socket(0).sent.length;
    t.socket(0).drop(code, 'go away');
    await flush();
    expect(t.peer.state).toBe('closed');
    expect(pending.error).toBeInstanceOf(SignalError);
    expect(pending.error).toMatchObject({ code: 'KICKED', closeCode: code, closeReason: 'go away' });
    expect(t.of('error')).toMatchObject([{ code: 'KICKED', closeCode: code, closeReason: 'go away' }]);
    expect(t.of('close')).toEqual([{ code, reason: 'go away', willReconnect: false, cause: 'kicked' }]);
    // Shut down first, then the error: state closed -> close -> error.
    expect(t.log.slice(-3).map((e) => e.event)).toEqual(['state', 'close', 'error']);
    expect(t.of('reconnecting')).toEqual([]);
    expect(t.peer.stats().buffered).toBe(0);
    await advance(120_000);
    expect(t.ws.sockets).toHaveLength(1);
    // Nothing is written after the kick: no more pings.
    expect(t.socket(0).sent).toHaveLength(written);
    expect(t.socket(0).sentAfterClose).toBe(0);
  });

  it('close() from an error listener on a kick is a no-op: pending requests still get KICKED, one close event', async () => {
    const t = await connected();
    const pending = track(t.peer.request('q'));
    const seen: Array<{ state: string; closes: number }> = [];
    t.peer.on('error', () => {
      seen.push({ state: t.peer.state, closes: t.of('close').length });
      t.peer.close();
    });
    t.socket(0).drop(4001, 'kicked');
    await flush();
    expect(seen).toEqual([{ state: 'closed', closes: 1 }]);
    expect(pending.error).toMatchObject({ code: 'KICKED', closeCode: 4001 });
    expect(t.of('close')).toEqual([{ code: 4001, reason: 'kicked', willReconnect: false, cause: 'kicked' }]);
    expect(t.states()).toEqual(['connecting', 'open', 'closed']);
  });

  it('a terminal close before welcome (auth refused) rejects connect() with KICKED', async () => {
    const t = setup();
    const ready = track(t.peer.connect());
    const queued = track(t.peer.request('q'));
    t.socket(0).open();
    t.socket(0).drop(4001, 'bad token');
    await flush();
    expect(ready.error).toMatchObject({ code: 'KICKED', closeCode: 4001, closeReason: 'bad token' });
    expect(queued.error?.code).toBe('KICKED');
    expect(t.states()).toEqual(['connecting', 'closed']);
    expect(t.of('close')).toEqual([{ code: 4001, reason: 'bad token', willReconnect: false, cause: 'kicked' }]);
    await advance(60_000);
    expect(t.ws.sockets).toHaveLength(1);
  });

  it('a terminal close during reconnecting stops the retries', async () => {
    const t = await connected();
    t.socket(0).drop(1006);
    await advance(2000);
    t.socket(1).open();
    t.socket(1).drop(4001, 'token expired');
    await advance(60_000);
    expect(t.peer.state).toBe('closed');
    expect(t.ws.sockets).toHaveLength(2);
    expect(t.of('close')).toEqual([
      { code: 1006, reason: '', willReconnect: true, cause: 'closed' },
      { code: 4001, reason: 'token expired', willReconnect: false, cause: 'kicked' },
    ]);
  });
});

describe('Peer: close()', () => {
  it('is terminal and idempotent: one state change, pending rejected with CLOSED, the socket closed with 1000', async () => {
    const t = await connected();
    const pending = track(t.peer.request('q'));
    const written = t.socket(0).sent.length;
    t.peer.close();
    t.peer.close();
    await flush();
    expect(t.peer.state).toBe('closed');
    expect(t.states()).toEqual(['connecting', 'open', 'closed']);
    expect(pending.error).toMatchObject({ code: 'CLOSED' });
    expect(t.of('close')).toEqual([{ code: 1000, reason: 'closed by client', willReconnect: false, cause: 'client' }]);
    expect(t.socket(0).closeCalls).toEqual([{ code: 1000, reason: 'closed by client' }]);
    await advance(120_000);
    expect(t.ws.sockets).toHaveLength(1);
    expect(t.socket(0).sent).toHaveLength(written); // no more pings after close()
    expect(t.socket(0).sentAfterClose).toBe(0);
  });

  it('after close(), request() rejects, notify() throws and connect() rejects, all with CLOSED', async () => {
    const t = await connected();
    t.peer.close();
    const request = track(t.peer.request('q'));
    const connect = track(t.peer.connect());
    await flush();
    expect(request.error?.code).toBe('CLOSED');
    expect(connect.error?.code).toBe('CLOSED');
    expect(() => t.peer.notify('n')).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    expect(t.socket(0).sent.map((f) => f.type)).toEqual(['hello', 'ping']);
  });

  it('before the first open: rejects connect() with CLOSED, abandons the attempt and emits one close', async () => {
    const t = setup();
    const ready = track(t.peer.connect());
    t.peer.close();
    await flush();
    expect(ready.error?.code).toBe('CLOSED');
    expect(t.of('close')).toEqual([{ code: 1000, reason: 'closed by client', willReconnect: false, cause: 'client' }]);
    await advance(60_000);
    expect(t.ws.sockets).toHaveLength(1);
    expect(t.of('close')).toHaveLength(1); // the abandoned socket's own close is not reported again
  });

  it('during a backoff wait: no further attempt', async () => {
    const t = await connected();
    t.socket(0).drop(1006);
    t.peer.close();
    await advance(60_000);
    expect(t.ws.sockets).toHaveLength(1);
    expect(t.peer.state).toBe('closed');
    expect(t.of('close')).toEqual([
      { code: 1006, reason: '', willReconnect: true, cause: 'closed' },
      { code: 1000, reason: 'closed by client', willReconnect: false, cause: 'client' },
    ]);
  });

  it('during a backoff wait of the first connect: one close with willReconnect: false', async () => {
    const t = setup();
    track(t.peer.connect());
    t.socket(0).drop(1006);
    expect(t.peer.state).toBe('connecting');
    t.peer.close();
    await advance(60_000);
    expect(t.of('close')).toEqual([{ code: 1000, reason: 'closed by client', willReconnect: false, cause: 'client' }]);
    expect(t.ws.sockets).toHaveLength(1);
  });

  it('on an idle Peer: closed, no close event, and connect() rejects', async () => {
    const t = setup();
    t.peer.close();
    expect(t.states()).toEqual(['closed']);
    expect(t.of('close')).toEqual([]); // it never started
    const ready = track(t.peer.connect());
    await flush();
    expect(ready.error?.code).toBe('CLOSED');
    expect(t.ws.sockets).toHaveLength(0);
  });
});

describe('Peer: token', () => {
  it('calls a token function again before every attempt and sends its value in hello', async () => {
    let calls = 0;
    const t = setup({ token: async () => `token-${++calls}` });
    track(t.peer.connect());
    await flush();
    t.socket(0).open();
    expect(t.socket(0).sent[0]).toEqual({ type: 'hello', version: 1, token: 'token-1', chunks: 1_048_576, heartbeat: 1_000 });
    t.socket(0).drop(1006);
    await advance(200);
    t.socket(1).open();
    expect(t.socket(1).sent[0]).toMatchObject({ type: 'hello', token: 'token-2' });
    t.socket(1).welcome('p1');
    t.socket(1).drop(1006);
    await advance(4000); // not stable: the schedule was not reset
    t.socket(2).open();
    expect(t.socket(2).sent[0]).toMatchObject({ type: 'hello', token: 'token-3' });
    expect(calls).toBe(3);
  });

  it('sends a string token in hello', async () => {
    const t = setup({ token: 'static' });
    track(t.peer.connect());
    t.socket(0).open();
    expect(t.socket(0).sent[0]).toEqual({ type: 'hello', version: 1, token: 'static', chunks: 1_048_576, heartbeat: 1_000 });
  });

  it('a token function that fails is a failed attempt: error, then retry with backoff', async () => {
    let calls = 0;
    const t = setup({
      token: () => {
        if (++calls === 1) throw new Error('auth server down');
        return 'ok';
      },
    });
    track(t.peer.connect());
    await flush();
    expect(t.ws.sockets).toHaveLength(0);
    expect(t.of('error')).toMatchObject([{ code: 'UNREACHABLE' }]);
    expect(t.of('reconnecting')).toEqual([{ attempt: 2, delay: 200, url: A, reason: 'token-failed' }]);
    await advance(200);
    t.socket(0).open();
    expect(t.socket(0).sent[0]).toMatchObject({ token: 'ok' });
  });

  it('a token function that never settles is cut off by the connect timeout', async () => {
    let calls = 0;
    const t = setup({ connectTimeout: 3000, token: () => (++calls === 1 ? new Promise<string>(() => {}) : 'ok') });
    track(t.peer.connect());
    await advance(3000);
    expect(t.ws.sockets).toHaveLength(0);
    expect(t.of('reconnecting')).toMatchObject([{ reason: 'connect-timeout' }]);
    await advance(200);
    expect(t.ws.sockets).toHaveLength(1);
  });
});

describe('Peer: inbound validation', () => {
  it('a bad frame emits error BAD_MESSAGE, is dropped, and the Peer keeps working', async () => {
    const t = await connected();
    const pending = track(t.peer.request('q'));
    const socket = t.socket(0);
    socket.receive('not json {');
    socket.receive({ type: 'response', id: 42, ok: 'yes' });
    socket.receive(new ArrayBuffer(8));
    expect(t.of('error').map((e) => e.code)).toEqual(['BAD_MESSAGE', 'BAD_MESSAGE', 'BAD_MESSAGE']);
    expect(t.of('error').every((e) => e instanceof SignalError)).toBe(true);
    expect(t.peer.state).toBe('open');
    expect(socket.terminated).toBe(false);
    expect(socket.closeCalls).toEqual([]);
    socket.receive({ type: 'response', id: socket.sentOfType('request')[0]!.id, ok: true, data: 'fine' });
    await flush();
    expect(pending.value).toBe('fine');
  });

  it('ignores responses to unknown ids', async () => {
    const t = await connected();
    const pending = track(t.peer.request('q'));
    t.socket(0).receive({ type: 'response', id: 'nobody', ok: true, data: 1 });
    t.socket(0).receive({ type: 'response', id: 'nobody', ok: false, error: { code: 'X', message: 'y' } });
    await flush();
    expect(t.of('error')).toEqual([]);
    expect(pending.settled).toBe(false);
    expect(t.peer.state).toBe('open');
  });

  it('an error response rejects with REMOTE carrying the server code and message', async () => {
    const t = await connected();
    const pending = track(t.peer.request('q'));
    const id = t.socket(0).sentOfType('request')[0]!.id;
    t.socket(0).receive({ type: 'response', id, ok: false, error: { code: 'NOT_FOUND', message: 'no handler for "q"' } });
    await flush();
    expect(pending.error).toMatchObject({ code: 'REMOTE', remoteCode: 'NOT_FOUND' });
    expect(pending.error?.message).toContain('no handler for "q"');
  });

  it('TOO_LARGE: an outbound message over maxMessageBytes (in UTF-8 bytes) is refused and never sent', async () => {
    const t = await connected({ maxMessageBytes: 200 });
    const big = track(t.peer.request('big', 'x'.repeat(300)));
    await flush();
    expect(big.error?.code).toBe('TOO_LARGE');
    t.peer.notify('fits', 'x'.repeat(100));
    // 100 characters again, but 200 bytes in UTF-8: over the limit with the envelope.
    expect(() => t.peer.notify('fits', 'é'.repeat(100))).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
    expect(t.socket(0).sent.map((f) => f.type)).toEqual(['hello', 'ping', 'notification']);
    expect(t.peer.stats().buffered).toBe(0);
  });

  it('TOO_LARGE leaves room for the replay mark: no request is accepted whose replay would exceed maxMessageBytes', async () => {
    const limit = 300;
    const mark = ',"replay":true'.length;
    const t = await connected({ maxMessageBytes: limit });
    track(t.peer.request('m', ''));
    await flush();
    const emptyFrame = Buffer.byteLength(JSON.stringify(t.socket(0).sent.at(-1))); // ids of the next requests have the same length
    const tooClose = track(t.peer.request('m', 'y'.repeat(limit - 5 - emptyFrame)));
    const fits = track(t.peer.request('m', 'y'.repeat(limit - mark - emptyFrame)));
    await flush();
    expect(tooClose.error?.code).toBe('TOO_LARGE');
    expect(fits.error).toBeUndefined();
    expect(Buffer.byteLength(JSON.stringify(t.socket(0).sent.at(-1))) + mark).toBe(limit);
  });

  it('data that cannot be JSON is refused with BAD_MESSAGE', async () => {
    const t = await connected();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const r = track(t.peer.request('q', cyclic));
    await flush();
    expect(r.error?.code).toBe('BAD_MESSAGE');
    expect(() => t.peer.notify('n', 1n)).toThrow(expect.objectContaining({ code: 'BAD_MESSAGE' }));
  });
});

describe('Peer: listeners', () => {
  it('a throwing listener does not break the Peer; its error goes to env.reportError', async () => {
    const t = setup();
    const boom = new Error('listener bug');
    for (const event of ['state', 'open', 'notification'] as const) {
      t.peer.on(event, () => {
        throw boom;
      });
    }
    const ready = track(t.peer.connect());
    accept(t.socket(0));
    await flush();
    expect(ready.settled).toBe(true);
    expect(t.peer.state).toBe('open');
    t.socket(0).receive({ type: 'notification', method: 'n', data: 1, seq: 1 });
    t.socket(0).receive({ type: 'notification', method: 'n', data: 2, seq: 2 });
    expect(t.of('notification')).toEqual([
      { method: 'n', data: 1 },
      { method: 'n', data: 2 },
    ]);
    expect(t.reported).toEqual([boom, boom, boom, boom, boom]); // state x2, open, notification x2
    const pending = track(t.peer.request('q'));
    t.socket(0).receive({ type: 'response', id: t.socket(0).sentOfType('request')[0]!.id, ok: true, data: 'still works' });
    await flush();
    expect(pending.value).toBe('still works');
  });
});

describe('Peer: stale sockets', () => {
  it('events from the socket of an earlier link are ignored after a reconnect', async () => {
    const t = await connected();
    const old = t.socket(0);
    old.drop(1006);
    await advance(2000);
    accept(t.socket(1), 'p1', true);
    await flush();
    const pending = track(t.peer.request('q'));
    const id = t.socket(1).sentOfType('request')[0]!.id;
    // The old socket delivers events the runtime had queued before the Peer let go of it.
    old.lateOpen();
    old.lateMessage({ type: 'response', id, ok: true, data: 'from the old socket' });
    old.lateMessage({ type: 'notification', method: 'stale', data: 1 });
    old.lateMessage({ type: 'welcome', version: 1, peer: 'p2', secret: 's', resumed: false });
    old.lateClose(4000, 'stale kick');
    await flush();
    expect(pending.settled).toBe(false);
    expect(t.of('notification')).toEqual([]);
    expect(t.of('open')).toHaveLength(2);
    expect(t.peer.state).toBe('open');
    expect(t.peer.id).toBe('p1');
    expect(t.socket(1).sentOfType('hello')).toHaveLength(1);
    t.socket(1).receive({ type: 'response', id, ok: true, data: 'fresh' });
    await flush();
    expect(pending.value).toBe('fresh');
  });

  it('a welcome from an attempt that already timed out does not open the Peer', async () => {
    const t = setup({ connectTimeout: 3000 });
    track(t.peer.connect());
    const slow = t.socket(0);
    await advance(3000);
    slow.lateOpen();
    slow.lateMessage({ type: 'welcome', version: 1, peer: 'late', secret: 's', resumed: false });
    await flush();
    expect(t.peer.state).toBe('connecting');
    expect(t.of('open')).toEqual([]);
    await advance(200);
    accept(t.socket(1), 'p1');
    await flush();
    expect(t.peer.id).toBe('p1');
  });
});

describe('Peer: send buffer across reconnects', () => {
  it('replays unanswered requests with the same id and a replay mark, in order, before newer messages; notifications are not resent', async () => {
    const t = await connected();
    const first = t.socket(0);
    const a = track(t.peer.request('a'));
    const b = track(t.peer.request('b'));
    t.peer.notify('sent-note');
    const [idA, idB] = first.sentOfType('request').map((f) => f.id);
    first.receive({ type: 'response', id: idB, ok: true, data: 'B' });
    first.drop(1006);
    t.peer.notify('queued-note');
    const c = track(t.peer.request('c'));
    await advance(2000);
    const second = t.socket(1);
    second.open();
    expect(second.sent.map((f) => f.type)).toEqual(['hello']);
    second.welcome('p1', true);
    expect(second.sent.slice(1)).toEqual([
      { type: 'ping', id: expect.any(Number) }, // the opening ping comes before the replays
      { type: 'request', id: idA, method: 'a', replay: true },
      { type: 'notification', method: 'queued-note' },
      { type: 'request', id: expect.any(String), method: 'c' },
    ]);
    second.receive({ type: 'response', id: idA, ok: true, data: 'A' });
    second.receive({ type: 'response', id: second.sent[4]!.id, ok: true, data: 'C' });
    await flush();
    expect([a.value, b.value, c.value]).toEqual(['A', 'B', 'C']);
  });

  it('a request with replay: false that was sent when the link dropped rejects with NOT_REPLAYED', async () => {
    const t = await connected();
    const once = track(t.peer.request('once', null, { replay: false }));
    t.socket(0).drop(1006);
    await flush();
    expect(once.error?.code).toBe('NOT_REPLAYED');
    await advance(2000);
    accept(t.socket(1));
    expect(t.socket(1).sentOfType('request')).toEqual([]);
  });

  it('a request times out counted from the call, even while offline, and is never sent afterwards', async () => {
    const t = setup({ requestTimeout: 3000 });
    track(t.peer.connect());
    t.socket(0).drop(1006); // first attempt fails
    const r = track(t.peer.request('slow'));
    const custom = track(t.peer.request('custom', null, { timeout: 100 }));
    await advance(100);
    expect(custom.error?.code).toBe('TIMEOUT');
    await advance(2899);
    expect(r.settled).toBe(false);
    await advance(1);
    expect(r.error?.code).toBe('TIMEOUT');
    accept(t.socket(1));
    expect(t.socket(1).sentOfType('request')).toEqual([]);
  });

  it.each([
    ['0', 0],
    ['negative', -1],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['over 2^31-1 ms', 2 ** 31],
  ])('a %s timeout is refused with a TypeError naming the timeout, and nothing is sent', async (_name, timeout) => {
    const t = await connected();
    const r = track(t.peer.request('q', null, { timeout }));
    await flush();
    expect(r.error).toBeInstanceOf(TypeError);
    expect(r.error?.message).toContain('timeout');
    expect(r.error?.message).toContain(String(timeout));
    expect(t.socket(0).sentOfType('request')).toEqual([]);
    expect(t.peer.stats().buffered).toBe(0);
  });

  it('the longest timeout a timer can wait (2^31-1 ms) is accepted', async () => {
    const t = await connected();
    const r = track(t.peer.request('q', null, { timeout: 2 ** 31 - 1 }));
    await flush();
    expect(r.settled).toBe(false);
    expect(t.socket(0).sentOfType('request')).toHaveLength(1);
  });

  it('an aborted request is never sent', async () => {
    const t = setup();
    track(t.peer.connect());
    const controller = new AbortController();
    const r = track(t.peer.request('q', null, { signal: controller.signal }));
    controller.abort();
    accept(t.socket(0));
    await flush();
    expect(r.error?.code).toBe('ABORTED');
    expect(t.socket(0).sentOfType('request')).toEqual([]);
  });

  it('BUFFER_FULL when more messages are held than sendBuffer.maxMessages; nothing already held is dropped', async () => {
    const t = setup({ sendBuffer: { maxMessages: 2 } });
    const r1 = track(t.peer.request('one'));
    t.peer.notify('two');
    const r3 = track(t.peer.request('three'));
    expect(() => t.peer.notify('four')).toThrow(expect.objectContaining({ code: 'BUFFER_FULL' }));
    await flush();
    expect(r3.error?.code).toBe('BUFFER_FULL');
    expect(r1.settled).toBe(false);
    track(t.peer.connect());
    accept(t.socket(0));
    expect(t.socket(0).sent.map((f) => f.type)).toEqual(['hello', 'ping', 'request', 'notification']);
    expect(t.socket(0).sent.slice(2).map((f) => f.method)).toEqual(['one', 'two']);
  });
});

describe('Peer: liveness', () => {
  it('pings at once when the link opens, then every interval, and stays open while pongs come back', async () => {
    const t = await connected();
    expect(t.socket(0).sentOfType('ping')).toEqual([{ type: 'ping', id: 1 }]); // sent with the welcome
    const answered = new Set();
    answerPings(t.socket(0), answered);
    for (let i = 0; i < 20; i++) {
      await advance(INTERVAL);
      answerPings(t.socket(0), answered);
    }
    expect(t.socket(0).sentOfType('ping').map((p) => p.id)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(t.peer.state).toBe('open');
    expect(t.of('close')).toEqual([]);
  });

  it('a dead link (missed pongs) is dropped without a close handshake and reconnects with reason dead', async () => {
    const t = await connected();
    await advance(300);
    t.socket(0).receive({ type: 'pong', id: 1 }); // the last frame: then the link goes silent
    // Dead maxMissed (3) intervals after that frame, at 3300: not at the next ping (4000).
    await advance(3 * INTERVAL - 1);
    expect(t.peer.state).toBe('open');
    expect(t.socket(0).sentOfType('ping')).toHaveLength(4); // at 0, 1000, 2000 and 3000
    await advance(1); // 3300
    expect(t.socket(0).terminated).toBe(true);
    expect(t.socket(0).closeCalls).toEqual([]); // no handshake on a dead link
    expect(t.of('close')).toMatchObject([{ code: 1006, willReconnect: true, cause: 'dead' }]);
    expect(t.of('reconnecting')).toEqual([{ attempt: 1, delay: 2000, url: A, reason: 'dead' }]);
    expect(t.peer.state).toBe('reconnecting');
    await advance(2000);
    expect(t.ws.sockets).toHaveLength(2);
  });

  it('any inbound frame counts as proof of life', async () => {
    const t = await connected();
    for (let i = 0; i < 10; i++) {
      await advance(INTERVAL);
      t.socket(0).receive({ type: 'notification', method: 'tick', data: i });
    }
    expect(t.peer.state).toBe('open');
  });

  it('without terminate() (browser sockets) a dead link is closed with a code browsers accept', async () => {
    const t = await connected({}, { terminate: false });
    await advance(3 * INTERVAL);
    expect(t.socket(0).closeCalls).toEqual([{ code: 4999, reason: 'stale link' }]);
    expect(t.of('reconnecting')).toMatchObject([{ reason: 'dead' }]);
  });

  it('measures RTT from ping to pong and counts stats', async () => {
    const t = await connected();
    expect(t.peer.stats().rtt).toBeUndefined();
    await advance(42);
    // The opening ping, sent with the welcome: the RTT is known before the first interval ends.
    t.socket(0).receive({ type: 'pong', id: t.socket(0).sentOfType('ping')[0]!.id });
    track(t.peer.request('q'));
    t.peer.notify('n');
    expect(t.peer.stats()).toMatchObject({ rtt: 42, reconnects: 0, sent: 2, received: 2, buffered: 1 });
    t.socket(0).drop(1006);
    await advance(2000);
    accept(t.socket(1), 'p1', true);
    expect(t.peer.stats()).toMatchObject({ reconnects: 1, sent: 3, buffered: 1 }); // the replay counts as sent
  });
});

describe('Peer: network and visibility events', () => {
  it('online cancels the backoff wait and attempts at once', async () => {
    const network = new EventTarget();
    const t = await connected({ env: { network } });
    t.socket(0).drop(1006);
    await advance(500);
    expect(t.ws.sockets).toHaveLength(1);
    network.dispatchEvent(new Event('online'));
    expect(t.ws.sockets).toHaveLength(2);
    expect(t.socket(1).createdAt).toBe(500);
    await advance(4000); // past the 2000 ms wait, before the new attempt's connect timeout
    expect(t.ws.sockets).toHaveLength(2); // the cancelled wait does not fire later
  });

  it('online during the first connect skips the wait too; online while open does nothing', async () => {
    const network = new EventTarget();
    const t = setup({ env: { network } });
    track(t.peer.connect());
    t.socket(0).drop(1006);
    network.dispatchEvent(new Event('online'));
    expect(t.ws.sockets).toHaveLength(2);
    accept(t.socket(1));
    network.dispatchEvent(new Event('online'));
    expect(t.ws.sockets).toHaveLength(2);
    expect(t.peer.state).toBe('open');
  });

  it('offline sends a probe at once; without an answer the link is dead one interval later', async () => {
    const network = new EventTarget();
    const t = await connected({ env: { network } });
    await advance(300);
    t.socket(0).receive({ type: 'pong', id: 1 }); // the opening ping was answered
    network.dispatchEvent(new Event('offline'));
    expect(t.socket(0).sentOfType('ping')).toHaveLength(2); // the opening ping and the probe
    await advance(INTERVAL - 1);
    expect(t.peer.state).toBe('open');
    await advance(1);
    expect(t.of('reconnecting')).toMatchObject([{ reason: 'dead' }]); // at 1300, not 3300
    expect(t.socket(0).terminated).toBe(true);
  });

  it('offline with an answered probe keeps the link', async () => {
    const network = new EventTarget();
    const t = await connected({ env: { network } });
    network.dispatchEvent(new Event('offline'));
    const probe = t.socket(0).sentOfType('ping').at(-1)!;
    expect(probe.id).toBe(2); // after the opening ping
    t.socket(0).receive({ type: 'pong', id: probe.id });
    await advance(2 * INTERVAL);
    expect(t.peer.state).toBe('open');
  });

  it('stops listening to the network after close()', async () => {
    const network = new EventTarget();
    const t = await connected({ env: { network } });
    t.socket(0).drop(1006);
    t.peer.close();
    network.dispatchEvent(new Event('online'));
    expect(t.ws.sockets).toHaveLength(1);
  });

  it('removes its network and visibility listeners on close() (no leak)', async () => {
    const attached = new Set<string>();
    const events = (prefix: string) => ({
      visibilityState: 'visible',
      addEventListener: (type: string) => void attached.add(`${prefix}:${type}`),
      removeEventListener: (type: string) => void attached.delete(`${prefix}:${type}`),
    });
    const t = await connected({ env: { network: events('network'), visibility: events('page') } });
    expect([...attached].sort()).toEqual(['network:offline', 'network:online', 'page:visibilitychange']);
    t.peer.close();
    expect([...attached]).toEqual([]);
  });

  it('becoming visible with a link silent for over one interval probes at once', async () => {
    const visibility = Object.assign(new EventTarget(), { visibilityState: 'hidden' });
    const t = await connected({ env: { visibility } });
    await advance(1500); // pings at 0 and 1000, no answer
    expect(t.socket(0).sentOfType('ping')).toHaveLength(2);
    visibility.visibilityState = 'visible';
    visibility.dispatchEvent(new Event('visibilitychange'));
    expect(t.socket(0).sentOfType('ping')).toHaveLength(3);
    await advance(INTERVAL - 1);
    expect(t.peer.state).toBe('open');
    await advance(1);
    expect(t.of('reconnecting')).toMatchObject([{ reason: 'dead' }]); // at 2500, not 3000
  });

  it('becoming hidden does not probe', async () => {
    const visibility = Object.assign(new EventTarget(), { visibilityState: 'visible' });
    const t = await connected({ env: { visibility } });
    await advance(1500);
    visibility.visibilityState = 'hidden';
    visibility.dispatchEvent(new Event('visibilitychange'));
    expect(t.socket(0).sentOfType('ping')).toHaveLength(2); // only the regular ones at 0 and 1000
  });

  it('becoming visible with a fresh link does not probe', async () => {
    const visibility = Object.assign(new EventTarget(), { visibilityState: 'visible' });
    const t = await connected({ env: { visibility } });
    await advance(500);
    visibility.dispatchEvent(new Event('visibilitychange'));
    expect(t.socket(0).sentOfType('ping')).toHaveLength(1); // only the opening ping
  });
});

describe('Peer: reconnectNow()', () => {
  it('during a backoff wait: attempts at once', async () => {
    const t = await connected();
    t.socket(0).drop(1006);
    t.peer.reconnectNow();
    expect(t.ws.sockets).toHaveLength(2);
    await advance(4000); // past the 2000 ms wait, before the new attempt's connect timeout
    expect(t.ws.sockets).toHaveLength(2);
  });

  it('while open: replaces the link at once with reason manual', async () => {
    const t = await connected();
    t.peer.reconnectNow();
    expect(t.socket(0).terminated).toBe(true);
    expect(t.of('close')).toEqual([{ code: 1000, reason: 'reconnectNow() called', willReconnect: true, cause: 'manual' }]);
    expect(t.of('reconnecting')).toMatchObject([{ reason: 'manual' }]);
    expect(t.ws.sockets).toHaveLength(2);
    expect(t.socket(1).createdAt).toBe(Date.now());
  });
});

describe('Peer: resume and notifications', () => {
  it('hello carries resume {peer, secret} and ack after a drop; welcome resumed is reported', async () => {
    const t = setup();
    track(t.peer.connect());
    t.socket(0).open();
    expect(t.socket(0).sent[0]).toEqual({ type: 'hello', version: 1, chunks: 1_048_576, heartbeat: 1_000 });
    t.socket(0).welcome('p1', false, 'secret-1');
    t.socket(0).receive({ type: 'notification', method: 'n', data: 1, seq: 1 });
    t.socket(0).receive({ type: 'notification', method: 'n', data: 2, seq: 2 });
    t.socket(0).drop(1006);
    await advance(2000);
    t.socket(1).open();
    expect(t.socket(1).sent[0]).toEqual({ type: 'hello', version: 1, resume: { peer: 'p1', secret: 'secret-1' }, ack: 2, chunks: 1_048_576, heartbeat: 1_000 });
    t.socket(1).welcome('p1', true, 'secret-1');
    expect(t.of('open').at(-1)).toEqual({ url: A, resumed: true, peerId: 'p1' });
    expect(t.peer.id).toBe('p1');
  });

  it('pings acknowledge the highest notification seq received', async () => {
    const t = await connected();
    expect(t.socket(0).sentOfType('ping')).toEqual([{ type: 'ping', id: 1 }]); // nothing to acknowledge yet
    t.socket(0).receive({ type: 'notification', method: 'n', seq: 5 });
    await advance(INTERVAL);
    expect(t.socket(0).sentOfType('ping')[1]).toEqual({ type: 'ping', id: 2, ack: 5 });
  });

  it('the opening ping of a resumed link acknowledges at once what was received before the drop', async () => {
    const t = await connected();
    t.socket(0).receive({ type: 'notification', method: 'n', seq: 3 });
    t.socket(0).drop(1006);
    await advance(2000);
    accept(t.socket(1), 'p1', true);
    expect(t.socket(1).sentOfType('ping')).toEqual([{ type: 'ping', id: expect.any(Number), ack: 3 }]);
  });

  it('delivers a notification seq once, even when the server resends it after a resume', async () => {
    const t = await connected();
    const s0 = t.socket(0);
    s0.receive({ type: 'notification', method: 'n', data: 'a', seq: 1 });
    s0.receive({ type: 'notification', method: 'n', data: 'b', seq: 2 });
    s0.receive({ type: 'notification', method: 'n', data: 'b again', seq: 2 });
    s0.drop(1006);
    await advance(2000);
    accept(t.socket(1), 'p1', true);
    t.socket(1).receive({ type: 'notification', method: 'n', data: 'b resent', seq: 2 });
    t.socket(1).receive({ type: 'notification', method: 'n', data: 'c', seq: 3 });
    t.socket(1).receive({ type: 'notification', method: 'n', data: 'no seq' });
    expect(t.of('notification').map((n) => n.data)).toEqual(['a', 'b', 'c', 'no seq']);
  });

  it.each([
    ['a different peer id', 'p2'],
    ['the same peer id', 'p1'],
  ])('a new session (resumed: false, %s) starts the seq numbering again', async (_name, newId) => {
    const t = await connected();
    t.socket(0).receive({ type: 'notification', method: 'n', data: 'old', seq: 7 });
    t.socket(0).drop(1006);
    await advance(2000);
    t.socket(1).open();
    expect(t.socket(1).sent[0]).toMatchObject({ ack: 7 });
    t.socket(1).welcome(newId, false);
    t.socket(1).receive({ type: 'notification', method: 'n', data: 'new', seq: 1 });
    expect(t.of('notification').map((n) => n.data)).toEqual(['old', 'new']);
    expect(t.peer.id).toBe(newId);
  });
});

describe('Peer: server -> client requests', () => {
  it('answers through the handler registered with peer.handle()', async () => {
    const t = await connected();
    const seen: unknown[] = [];
    t.peer.handle('add', (data, ctx) => {
      seen.push([data, ctx.method, ctx.peer === t.peer]);
      const [x, y] = data as [number, number];
      return x + y;
    });
    t.peer.handle('later', async () => {
      await new Promise((resolve) => setTimeout(resolve, 500));
      return 'done';
    });
    t.socket(0).receive({ type: 'request', id: 'srv-1', method: 'add', data: [2, 3] });
    await flush();
    expect(t.socket(0).lastSent()).toEqual({ type: 'response', id: 'srv-1', ok: true, data: 5 });
    expect(seen).toEqual([[[2, 3], 'add', true]]);
    t.socket(0).receive({ type: 'request', id: 'srv-2', method: 'later' });
    await advance(500);
    expect(t.socket(0).lastSent()).toEqual({ type: 'response', id: 'srv-2', ok: true, data: 'done' });
  });

  it('answers an unknown method with NOT_FOUND', async () => {
    const t = await connected();
    t.socket(0).receive({ type: 'request', id: 'srv-1', method: 'nope' });
    await flush();
    expect(t.socket(0).lastSent()).toMatchObject({ type: 'response', id: 'srv-1', ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('turns a throwing handler into an error response, keeping a string code', async () => {
    const t = await connected();
    t.peer.handle('busy', () => {
      throw Object.assign(new Error('try later'), { code: 'BUSY' });
    });
    t.peer.handle('bug', async () => {
      throw new Error('oops');
    });
    t.socket(0).receive({ type: 'request', id: 'r1', method: 'busy' });
    t.socket(0).receive({ type: 'request', id: 'r2', method: 'bug' });
    await flush();
    expect(t.socket(0).sentOfType('response')).toEqual([
      { type: 'response', id: 'r1', ok: false, error: { code: 'BUSY', message: 'try later' } },
      { type: 'response', id: 'r2', ok: false, error: { code: 'INTERNAL', message: 'oops' } },
    ]);
    expect(t.peer.state).toBe('open');
  });

  it.each<[string, () => unknown, string]>([
    ['cannot be JSON', () => 1n, 'BAD_MESSAGE'],
    ['is over maxMessageBytes', () => 'x'.repeat(1000), 'TOO_LARGE'],
    ['cannot be JSON (async)', async () => ({ big: 1n }), 'BAD_MESSAGE'],
  ])('a handler result that %s still gets exactly one response: INTERNAL, plus a local error', async (_name, handler, localCode) => {
    const t = await connected({ maxMessageBytes: 1000 });
    t.peer.handle('bad', handler);
    t.socket(0).receive({ type: 'request', id: 'r1', method: 'bad' });
    await flush();
    const responses = t.socket(0).sentOfType('response');
    expect(responses).toEqual([{ type: 'response', id: 'r1', ok: false, error: { code: 'INTERNAL', message: expect.any(String) } }]);
    expect(t.socket(0).sentText.at(-1)!.length).toBeLessThanOrEqual(1000); // the error response itself fits
    expect(t.of('error')).toMatchObject([{ code: localCode }]);
    expect((responses[0]!.error as { message: string }).message).toBe(t.of('error')[0]!.message);
    expect(t.peer.state).toBe('open');
    // The Peer keeps answering.
    t.peer.handle('ok', () => 'fine');
    t.socket(0).receive({ type: 'request', id: 'r2', method: 'ok' });
    await flush();
    expect(t.socket(0).lastSent()).toEqual({ type: 'response', id: 'r2', ok: true, data: 'fine' });
  });

  it('drops the answer when the link it came on is gone', async () => {
    const t = await connected();
    t.peer.handle('slow', async () => {
      await new Promise((resolve) => setTimeout(resolve, 5000));
      return 'late';
    });
    t.socket(0).receive({ type: 'request', id: 'r1', method: 'slow' });
    t.socket(0).drop(1006);
    await advance(2000);
    accept(t.socket(1), 'p1', true);
    await advance(3000);
    expect(t.socket(1).sentOfType('response')).toEqual([]);
  });
});

describe('Peer: listeners that call close() or reconnectNow()', () => {
  it('close() from a close listener (willReconnect: true) stops everything', async () => {
    const t = await connected();
    t.peer.on('close', ({ willReconnect }) => {
      if (willReconnect) t.peer.close();
    });
    t.socket(0).drop(1006);
    await advance(60_000);
    expect(t.peer.state).toBe('closed');
    expect(t.ws.sockets).toHaveLength(1);
    expect(t.of('reconnecting')).toEqual([]);
    // The state was already reconnecting when close fired.
    expect(t.states()).toEqual(['connecting', 'open', 'reconnecting', 'closed']);
    expect(t.of('close')).toEqual([
      { code: 1006, reason: '', willReconnect: true, cause: 'closed' },
      { code: 1000, reason: 'closed by client', willReconnect: false, cause: 'client' },
    ]);
  });

  it('close() from a state listener on reconnecting stops everything', async () => {
    const t = await connected();
    t.peer.on('state', ({ to }) => {
      if (to === 'reconnecting') t.peer.close();
    });
    t.socket(0).drop(1006);
    await advance(60_000);
    expect(t.peer.state).toBe('closed');
    expect(t.ws.sockets).toHaveLength(1);
    expect(t.of('reconnecting')).toEqual([]);
  });

  it('close() from a state listener on open leaves the Peer closed', async () => {
    const t = setup();
    t.peer.on('state', ({ to }) => {
      if (to === 'open') t.peer.close();
    });
    const ready = track(t.peer.connect());
    accept(t.socket(0));
    await advance(60_000);
    expect(t.peer.state).toBe('closed');
    expect(ready.error?.code).toBe('CLOSED');
    expect(t.of('open')).toEqual([]);
    expect(t.ws.sockets).toHaveLength(1);
    expect(t.socket(0).sentOfType('ping')).toEqual([]);
    expect(t.states()).toEqual(['connecting', 'open', 'closed']);
  });

  it('close() from a state listener on connecting creates no socket', async () => {
    const t = setup();
    t.peer.on('state', ({ to }) => {
      if (to === 'connecting') t.peer.close();
    });
    const ready = track(t.peer.connect());
    await advance(60_000);
    expect(t.peer.state).toBe('closed');
    expect(ready.error?.code).toBe('CLOSED');
    expect(t.ws.sockets).toHaveLength(0);
  });

  it('close() from an exhausted listener stops the retries', async () => {
    const t = setup();
    t.peer.on('exhausted', () => t.peer.close());
    track(t.peer.connect());
    t.socket(0).drop(1006);
    await advance(60_000);
    expect(t.peer.state).toBe('closed');
    expect(t.ws.sockets).toHaveLength(1);
  });

  it('close() from a reconnecting listener stops the retries', async () => {
    const t = await connected();
    t.peer.on('reconnecting', () => t.peer.close());
    t.socket(0).drop(1006);
    await advance(60_000);
    expect(t.peer.state).toBe('closed');
    expect(t.ws.sockets).toHaveLength(1);
  });

  it('reconnectNow() from a state listener on reconnecting makes exactly one new attempt, at once', async () => {
    const t = await connected();
    t.peer.on('state', ({ to }) => to === 'reconnecting' && t.peer.reconnectNow());
    t.socket(0).drop(1006);
    expect(t.ws.sockets).toHaveLength(2);
    expect(t.socket(1).createdAt).toBe(Date.now());
    await advance(4000); // past the 2000 ms wait, before the new attempt's connect timeout
    expect(t.ws.sockets).toHaveLength(2);
    accept(t.socket(1), 'p1', true);
    expect(t.peer.state).toBe('open');
  });

  it('reconnectNow() from a close listener makes exactly one new attempt, at once', async () => {
    const t = await connected();
    t.peer.once('close', () => t.peer.reconnectNow());
    t.socket(0).drop(1006);
    expect(t.ws.sockets).toHaveLength(2);
    expect(t.socket(1).createdAt).toBe(Date.now());
    expect(t.of('close')).toHaveLength(1);
    await advance(4000); // past the 2000 ms wait, before the new attempt's connect timeout
    expect(t.ws.sockets).toHaveLength(2);
    accept(t.socket(1), 'p1', true);
    expect(t.peer.state).toBe('open');
    expect(t.socket(1).sentOfType('hello')).toHaveLength(1);
    expect(t.socket(0).terminated).toBe(true);
  });

});
