// Server heartbeats over real sockets: an idle Peer against the reference server lives on the
// server's beats (answering its pings) instead of pinging, stays open, and still finds a
// blackholed link dead in time; an older client (no hello.heartbeat) gets no pings; against an older server (no
// welcome.heartbeat) the Peer pings as it always did.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Peer, type PeerOptions } from '../../src/index.js';
import type { WebSocketCtor } from '../../src/env.js';
import { MemoryStore, SignalingServer } from '../../src/server/index.js';
import { startNode } from '../support/cluster.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { scriptedServer } from '../support/scripted-server.js';
import { nextEvent, sleep } from '../support/wait.js';
import { RawClient } from '../support/ws-client.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** 1 s is the shortest interval the server pings for: it pings after 500 ms without sending. */
const INTERVAL = 1_000;

async function startServer(options: ConstructorParameters<typeof SignalingServer>[0] = {}): Promise<SignalingServer> {
  const server = new SignalingServer({ port: 0, host: '127.0.0.1', path: '/rtc', ...options });
  await server.listen();
  cleanup.push(() => server.close());
  return server;
}

/** A `ws` WebSocket that records the type of every frame the Peer writes. */
function recordingSocket(types: string[]) {
  return class extends WebSocket {
    override send(data: unknown, ...rest: unknown[]): void {
      types.push((JSON.parse(String(data)) as { type: string }).type);
      (super.send as (...args: unknown[]) => void)(data, ...rest);
    }
  };
}

function makePeer(url: string, sent: string[], options: Partial<PeerOptions> = {}): Peer {
  const peer = new Peer({
    urls: url,
    backoff: { connect: [20, 40], reconnect: [50, 100], jitter: 0 },
    heartbeat: { interval: INTERVAL, maxMissed: 3 },
    WebSocket: recordingSocket(sent) as unknown as WebSocketCtor,
    ...options,
  });
  peer.on('error', () => {});
  cleanup.push(() => peer.close());
  return peer;
}

describe('server pings, Peer against the reference server', () => {
  it('an idle Peer sends no ping after the opening one and stays open on the server beats alone', async () => {
    const server = await startServer(); // idleTimeout 60 s: no answer asked for within 30 s
    const sent: string[] = [];
    const peer = makePeer(`ws://127.0.0.1:${server.port}/rtc`, sent);
    let closed = false;
    peer.on('close', () => (closed = true));
    await peer.connect();
    const received = peer.stats().received;
    await sleep(6 * INTERVAL);
    expect(closed).toBe(false);
    expect(peer.state).toBe('open');
    expect(sent.filter((type) => type !== 'hello')).toEqual(['ping']); // the opening ping only: beats need no answer
    // A beat about every 500 ms (the wheel's ticks make it 250 to 750).
    const beats = peer.stats().received - received;
    expect(beats).toBeGreaterThanOrEqual(6);
    expect(beats).toBeLessThanOrEqual(20);
  });

  it('a Peer whose server pings still finds a blackholed link dead within maxMissed × interval', async () => {
    const server = await startServer();
    const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: server.port } });
    cleanup.push(() => proxy.close());
    const sent: string[] = [];
    const peer = makePeer(proxy.url('/rtc'), sent);
    await peer.connect();
    await sleep(2 * INTERVAL); // the server's pings have replaced the Peer's own
    const pingsBefore = sent.filter((type) => type === 'ping').length;
    proxy.mode('blackhole');
    const cutAt = Date.now();
    const closed = await nextEvent(peer, 'close');
    const after = Date.now() - cutAt;
    expect(closed.cause).toBe('dead');
    expect(closed.willReconnect).toBe(true);
    // The deadline counts from the last frame, which came before the cut: at most 3 intervals,
    // plus slack for a timer that fires late on a loaded machine.
    expect(after).toBeLessThanOrEqual(3 * INTERVAL + 500);
    // In the silence the Peer pinged again, as it would have without server pings.
    expect(sent.filter((type) => type === 'ping').length).toBeGreaterThan(pingsBefore);
    proxy.mode('pass');
    const reopened = await nextEvent(peer, 'open');
    expect(reopened.resumed).toBe(true);
  });

  it('the server asks for answers often enough: pongs keep a Peer that sends nothing else past the idle timeout', async () => {
    const server = await startServer({ idleTimeout: 2 * INTERVAL });
    const sent: string[] = [];
    const peer = makePeer(`ws://127.0.0.1:${server.port}/rtc`, sent);
    let closed = false;
    peer.on('close', () => (closed = true));
    await peer.connect();
    await sleep(3 * 2 * INTERVAL);
    expect(closed).toBe(false);
    expect(sent.filter((type) => type === 'ping')).toEqual(['ping']);
    expect(sent.filter((type) => type === 'pong').length).toBeGreaterThanOrEqual(3); // asked about every 1 to 1.5 s
  });
});

describe('server pings, on a cluster node', () => {
  it('a node of a cluster beats for an idle Peer too: no pings from the Peer, and it stays open', async () => {
    const node = await startNode(new MemoryStore(), 'beats-a');
    cleanup.push(() => node.server.close());
    const sent: string[] = [];
    const peer = makePeer(node.url, sent);
    await peer.connect();
    const received = peer.stats().received;
    await sleep(3 * INTERVAL);
    expect(peer.state).toBe('open');
    expect(sent.filter((type) => type === 'ping')).toEqual(['ping']);
    expect(peer.stats().received - received).toBeGreaterThanOrEqual(3);
  });
});

describe('server pings, with permessage-deflate', () => {
  it('beats written as plain frames mix with compressed messages: the Peer reads every message and stays open', async () => {
    const server = await startServer({ perMessageDeflate: true });
    const sent: string[] = [];
    const peer = makePeer(`ws://127.0.0.1:${server.port}/rtc`, sent);
    const errors: unknown[] = [];
    peer.on('error', (error) => errors.push(error));
    const got: number[] = [];
    peer.on('notification', ({ data }) => got.push((data as { n: number; text: string }).n));
    await peer.connect();
    const received = peer.stats().received;
    const text = 'compressible '.repeat(2_000); // 26 kB: over ws's compression threshold
    for (let n = 0; n < 6; n++) {
      server.notify(peer.id!, 'big', { n, text });
      await sleep(700); // beats come 500 ms after each
    }
    expect(got).toEqual([0, 1, 2, 3, 4, 5]);
    expect(peer.stats().received - received).toBeGreaterThanOrEqual(6 + 4); // the notifications and beats between them
    expect(errors).toEqual([]);
    expect(peer.state).toBe('open');
    expect(sent.filter((type) => type === 'ping')).toEqual(['ping']);
  });
});

describe('server pings, compatibility', () => {
  it('a raw client without hello.heartbeat (an older client) gets no pings and no welcome.heartbeat', async () => {
    const server = await startServer();
    const client = await RawClient.connect(`ws://127.0.0.1:${server.port}/rtc`);
    cleanup.push(() => client.close());
    const welcome = await client.hello();
    expect(welcome).not.toHaveProperty('heartbeat');
    await sleep(2 * INTERVAL);
    expect(client.unread()).toEqual([]);
    // The control: the same server beats for a client that asks.
    const asking = await RawClient.connect(`ws://127.0.0.1:${server.port}/rtc`);
    cleanup.push(() => asking.close());
    expect(await asking.hello({ heartbeat: INTERVAL })).toMatchObject({ heartbeat: INTERVAL / 2 });
    expect(await asking.next('pong')).toEqual({ type: 'pong', id: 0 });
  });

  it('a raw client that asked for pings but never answers is closed by the idle timeout, after being asked', async () => {
    const server = await startServer({ idleTimeout: 2 * INTERVAL });
    const client = await RawClient.connect(`ws://127.0.0.1:${server.port}/rtc`);
    await client.hello({ heartbeat: INTERVAL });
    expect(await client.next('ping')).toEqual({ type: 'ping', id: 0 }); // unheard for half of idleTimeout
    const closed = await client.closed;
    expect(closed.code).toBe(4502);
  });

  it('against an older server (no welcome.heartbeat) the Peer pings every interval, as before', async () => {
    const scripted = await scriptedServer();
    cleanup.push(() => scripted.close());
    const sent: string[] = [];
    const peer = makePeer(scripted.url, sent, { heartbeat: { interval: 200, maxMissed: 3 } });
    const opened = peer.connect();
    const link = await scripted.nextLink();
    const hello = await link.hello();
    expect(hello).toMatchObject({ heartbeat: 200 }); // asked, but this server does not ping
    link.welcome();
    await opened;
    // The scripted server answers each ping with a pong, and sends nothing else.
    await sleep(1_100);
    const pings = link.received.filter((frame) => frame.type === 'ping').length;
    expect(pings).toBeGreaterThanOrEqual(5); // at 0, 200, ..., 1000
    expect(pings).toBeLessThanOrEqual(7);
    expect(peer.state).toBe('open');
  });
});
