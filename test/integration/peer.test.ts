// The Peer against the real reference server over real sockets on 127.0.0.1, with faults
// injected by a real TCP proxy. Timings are shortened through options, never faked.
import { afterEach, describe, expect, it } from 'vitest';
import { Peer, SignalError, type PeerOptions } from '../../src/index.js';
import { SignalingServer } from '../../src/server/index.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { nextEvent, sleep, until } from '../support/wait.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function startServer(): Promise<SignalingServer> {
  // One key for all servers of a test, as in a cluster: a peer keeps its id between them.
  const server = new SignalingServer({ port: 0, host: '127.0.0.1', path: '/rtc', secretKey: 'peer-test-cluster-key-0123456789' });
  await server.listen();
  cleanup.push(() => server.close());
  return server;
}

async function startProxy(server: SignalingServer): Promise<FaultProxy> {
  const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: server.port } });
  cleanup.push(() => proxy.close());
  return proxy;
}

/** Fast but realistic timings: the behaviour is the same as with the defaults, only sooner. */
function makePeer(urls: string | string[], options: Partial<PeerOptions> = {}): Peer {
  const peer = new Peer({
    urls,
    backoff: { connect: [20, 40], reconnect: [50, 100], jitter: 0 },
    heartbeat: { interval: 200, maxMissed: 3 },
    connectTimeout: 1000,
    ...options,
  });
  peer.on('error', () => {}); // asserted where relevant
  cleanup.push(() => peer.close());
  return peer;
}

/** Handler that waits until released, counting how often it ran per payload. */
function gatedHandler(server: SignalingServer, method: string) {
  const runs = new Map<string, number>();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  server.handle(method, async (data) => {
    const key = JSON.stringify(data);
    runs.set(key, (runs.get(key) ?? 0) + 1);
    await gate;
    return { echo: data };
  });
  return { runs, release };
}

describe('Peer against the reference server', () => {
  it('round-trips requests, notifications both ways and server requests', async () => {
    const server = await startServer();
    server.handle('add', (data) => (data as number[]).reduce((a, b) => a + b, 0));
    const received: unknown[] = [];
    server.on('notification', ({ method, data }) => received.push([method, data]));
    const peer = makePeer(`ws://127.0.0.1:${server.port}/rtc`);
    peer.handle('whoami', (_data, ctx) => ctx.peer.id);
    const notes: unknown[] = [];
    peer.on('notification', ({ method, data }) => notes.push([method, data]));

    await peer.connect();
    expect(peer.state).toBe('open');
    expect(await peer.request('add', [1, 2, 3])).toBe(6);
    peer.notify('hello', { n: 1 });
    server.notify(peer.id!, 'welcome-note', 'hi');
    expect(await server.request(peer.id!, 'whoami', null)).toBe(peer.id);
    await until(() => received.length === 1 && notes.length === 1);
    expect(received).toEqual([['hello', { n: 1 }]]);
    expect(notes).toEqual([['welcome-note', 'hi']]);
  });

  it('rejects with REMOTE carrying the server code for a failing handler', async () => {
    const server = await startServer();
    server.handle('fail', () => {
      throw Object.assign(new Error('room is full'), { code: 'room-full' });
    });
    const peer = makePeer(`ws://127.0.0.1:${server.port}/rtc`);
    await peer.connect();
    const error = await peer.request('fail').catch((e: SignalError) => e);
    expect(error).toBeInstanceOf(SignalError);
    expect(error).toMatchObject({ code: 'REMOTE', remoteCode: 'room-full' });
    const missing = await peer.request('nope').catch((e: SignalError) => e);
    expect(missing).toMatchObject({ code: 'REMOTE', remoteCode: 'NOT_FOUND' });
  });

  it('answers a request in flight when the link is reset exactly once, and the handler runs once', async () => {
    const server = await startServer();
    const proxy = await startProxy(server);
    const { runs, release } = gatedHandler(server, 'work');
    const peer = makePeer(proxy.url('/rtc'));
    await peer.connect();
    const firstId = peer.id;

    let settled = 0;
    const answer = peer.request('work', 'job-1').finally(() => settled++);
    await until(() => runs.get('"job-1"') === 1, 5000, 'handler start');
    const reopened = nextEvent(peer, 'open');
    proxy.resetAll();
    const { resumed } = await reopened;
    release();
    expect(await answer).toEqual({ echo: 'job-1' });
    expect(resumed).toBe(true);
    expect(peer.id).toBe(firstId);
    await sleep(100);
    expect(settled).toBe(1);
    expect(runs.get('"job-1"')).toBe(1);
  });

  it('replays a request whose response was lost to a blackhole, and the server answers from its cache', async () => {
    const server = await startServer();
    const proxy = await startProxy(server);
    const { runs, release } = gatedHandler(server, 'work');
    const peer = makePeer(proxy.url('/rtc'));
    await peer.connect();

    const answer = peer.request('work', 'job-2');
    await until(() => runs.get('"job-2"') === 1, 5000, 'handler start');
    proxy.mode('blackhole');
    release(); // the response is written into the blackhole
    const lost = await nextEvent(peer, 'reconnecting');
    expect(lost.reason).toBe('dead');
    proxy.mode('pass');
    expect(await answer).toEqual({ echo: 'job-2' });
    expect(runs.get('"job-2"')).toBe(1);
  });

  it('delivers requests and notifications queued while down, in order, after reconnect', async () => {
    const server = await startServer();
    const proxy = await startProxy(server);
    server.handle('echo', (data) => data);
    const seen: string[] = [];
    server.on('notification', ({ data }) => seen.push(`n:${String(data)}`));
    server.handle('mark', (data) => {
      seen.push(`r:${String(data)}`);
      return data;
    });
    const peer = makePeer(proxy.url('/rtc'));
    await peer.connect();

    proxy.mode('refuse');
    const dropped = nextEvent(peer, 'close');
    proxy.resetAll();
    await dropped;
    const pending = [peer.request('mark', 1)];
    peer.notify('note', 2);
    pending.push(peer.request('mark', 3));
    peer.notify('note', 4);
    expect(peer.stats().buffered).toBe(4);
    await sleep(150); // some refused attempts happen meanwhile
    proxy.mode('pass');
    expect(await Promise.all(pending)).toEqual([1, 3]);
    await until(() => seen.length === 4);
    expect(seen).toEqual(['r:1', 'n:2', 'r:3', 'n:4']);
    expect(peer.stats().buffered).toBe(0);
  });

  it('fails over from a dead url to a live one, and back when the live one dies', async () => {
    const a = await startServer();
    const b = await startServer();
    const proxyA = await startProxy(a);
    proxyA.mode('refuse');
    const peer = makePeer([proxyA.url('/rtc'), `ws://127.0.0.1:${b.port}/rtc`]);
    const retries: string[] = [];
    peer.on('reconnecting', ({ url }) => retries.push(url));
    await peer.connect();
    expect(peer.url).toBe(`ws://127.0.0.1:${b.port}/rtc`);
    expect(retries).toEqual([`ws://127.0.0.1:${b.port}/rtc`]);

    proxyA.mode('pass');
    const reopened = nextEvent(peer, 'open');
    await b.close();
    const { url, resumed } = await reopened;
    expect(url).toBe(proxyA.url('/rtc'));
    expect(resumed).toBe(false);
    a.handle('echo', (data) => data);
    expect(await peer.request('echo', 'after failover')).toBe('after failover');
  });

  it('fails over A -> B -> A and resumes its session on A: a replayed request runs once on each server', async () => {
    const a = await startServer();
    const b = await startServer();
    const proxyA = await startProxy(a);
    const proxyB = await startProxy(b);
    const onA = gatedHandler(a, 'work');
    const onB = gatedHandler(b, 'work'); // never released: the answer must come from A
    const peer = makePeer([proxyA.url('/rtc'), proxyB.url('/rtc')]);
    await peer.connect();
    const id = peer.id;
    const answer = peer.request('work', 'job-3');
    await until(() => onA.runs.get('"job-3"') === 1, 5000, 'handler start on A');

    proxyA.mode('refuse');
    const atB = nextEvent(peer, 'open');
    proxyA.resetAll();
    expect((await atB).url).toBe(proxyB.url('/rtc'));
    await until(() => onB.runs.get('"job-3"') === 1, 5000, 'replay on B');

    proxyA.mode('pass');
    proxyB.mode('refuse');
    const backOnA = nextEvent(peer, 'open');
    proxyB.resetAll();
    const reopened = await backOnA;
    expect(reopened).toMatchObject({ url: proxyA.url('/rtc'), resumed: true });
    expect(peer.id).toBe(id);
    onA.release();
    expect(await answer).toEqual({ echo: 'job-3' });
    expect(onA.runs.get('"job-3"')).toBe(1);
    onB.release();
  });

  it('detects a blackholed link by missed pongs and reconnects', async () => {
    const server = await startServer();
    const proxy = await startProxy(server);
    const peer = makePeer(proxy.url('/rtc'));
    await peer.connect();
    proxy.mode('blackhole');
    const closed = await nextEvent(peer, 'close');
    expect(closed.willReconnect).toBe(true);
    proxy.mode('pass');
    const reopened = await nextEvent(peer, 'open');
    expect(reopened.resumed).toBe(true);
    expect(peer.stats().reconnects).toBe(1);
  });

  it('times out an attempt whose handshake never completes', async () => {
    const server = await startServer();
    const proxy = await startProxy(server);
    proxy.mode('blackhole'); // TCP connects, nothing else ever arrives
    const peer = makePeer(proxy.url('/rtc'), { connectTimeout: 150 });
    void peer.connect();
    const retry = await nextEvent(peer, 'reconnecting');
    expect(retry.reason).toBe('connect-timeout');
    proxy.mode('pass');
    await nextEvent(peer, 'open');
  });

  it('stops everything when kicked: pending requests reject with KICKED, no new attempts', async () => {
    const server = await startServer();
    const proxy = await startProxy(server);
    const { release } = gatedHandler(server, 'work');
    const peer = makePeer(proxy.url('/rtc'));
    await peer.connect();
    const pending = peer.request('work', 'x');
    await sleep(50);
    server.kick(peer.id!, 'banned for testing');
    const error = await pending.catch((e: SignalError) => e);
    release();
    expect(error).toMatchObject({ code: 'KICKED', closeCode: 4000, closeReason: 'banned for testing' });
    expect(peer.state).toBe('closed');
    const accepted = proxy.accepted;
    await sleep(300);
    expect(proxy.accepted).toBe(accepted);
    expect(() => peer.notify('late')).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });

  it('survives a server restart on the same port: a request made during the outage resolves', async () => {
    let server = await startServer();
    const port = server.port;
    const peer = makePeer(`ws://127.0.0.1:${port}/rtc`);
    await peer.connect();
    const dropped = nextEvent(peer, 'close');
    await server.close();
    await dropped;
    const during = peer.request('echo', 'while down');
    server = new SignalingServer({ port, host: '127.0.0.1', path: '/rtc' });
    server.handle('echo', (data) => data);
    await server.listen();
    cleanup.push(() => server.close());
    expect(await during).toBe('while down');
    expect(peer.state).toBe('open');
  });
});
