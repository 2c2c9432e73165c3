// A cluster over a real redis-server that goes away: stopped for a while (sessions survive,
// nodes fail closed meanwhile), or restarted empty (a new scope: new sessions, rooms rejoined).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Peer, Room, type PeerOptions } from '../../src/index.js';
import { RedisStore } from '../../src/redis/index.js';
import { startCluster, type Node } from '../support/cluster.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { nextEvent, until } from '../support/wait.js';

const PEER: Partial<PeerOptions> = { backoff: { connect: [20], reconnect: [50, 100, 200], jitter: 0 }, heartbeat: { interval: 300 }, connectTimeout: 3_000, requestTimeout: 20_000 };

describe('a cluster whose Redis goes away', () => {
  let redis: TestRedis;
  let nodes: Node[];
  const cleanup: Array<() => unknown> = [];
  beforeEach(async () => {
    redis = await startRedis();
    nodes = await startCluster(new RedisStore({ url: redis.url, prefix: 'outage:', commandTimeout: 500 }), ['a', 'b'], { nodeTimeout: 600 });
  });
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
    await Promise.all(nodes.map((n) => n.server.close()));
    await redis.stop();
  });

  function peer(url: string): Peer {
    const p = new Peer({ urls: url, ...PEER });
    p.on('error', () => {});
    cleanup.push(() => p.close());
    void p.connect().catch(() => {});
    return p;
  }

  it('paused for 2 s: nodes close sockets with 1013 and warn, then every Peer resumes its session and nothing sent is lost', async () => {
    const warnings: string[] = [];
    for (const n of nodes) n.server.on('warning', ({ code }) => warnings.push(code));
    const [a, b] = [peer(nodes[0]!.url), peer(nodes[1]!.url)];
    const [openA, openB] = await Promise.all([nextEvent(a, 'open'), nextEvent(b, 'open')]);
    const roomA = await Room.join(a, 'r');
    const roomB = await Room.join(b, 'r');
    await until(() => roomA.peers.size === 1, 10_000, 'a to see b');
    const closes: number[] = [];
    a.on('close', ({ code }) => closes.push(code));
    const signals: unknown[] = [];
    roomB.on('signal', ({ data }) => signals.push(data));
    redis.kill('SIGSTOP');
    // Sent while Redis hangs: the request waits in the client and is replayed after the resume.
    const sent = roomA.signal(openB.peerId, 'sent during the outage');
    await until(() => closes.includes(1013), 10_000, 'a 1013 close');
    await new Promise((r) => setTimeout(r, 1_500));
    redis.kill('SIGCONT');
    const resumed = await nextEvent(a, 'open', (e) => e.resumed, 20_000);
    expect(resumed.peerId).toBe(openA.peerId);
    await sent;
    await until(() => signals.length === 1, 10_000, 'the signal');
    expect(signals).toEqual(['sent during the outage']);
    expect(warnings).toContain('STORE_UNAVAILABLE');
    expect(roomB.peers.has(openA.peerId)).toBe(true);
  });

  it('restarted empty: a new scope, so every Peer starts a new session and rejoins its rooms', async () => {
    const [a, b] = [peer(nodes[0]!.url), peer(nodes[1]!.url)];
    await Promise.all([nextEvent(a, 'open'), nextEvent(b, 'open')]);
    const roomA = await Room.join(a, 'r');
    const roomB = await Room.join(b, 'r');
    await until(() => roomA.peers.size === 1 && roomB.peers.size === 1, 10_000, 'both to see each other');
    const rejoined = [nextEvent(roomA, 'rejoined', () => true, 20_000), nextEvent(roomB, 'rejoined', () => true, 20_000)];
    const fresh = [nextEvent(a, 'open', (e) => !e.resumed, 20_000), nextEvent(b, 'open', (e) => !e.resumed, 20_000)];
    await redis.restart(); // SIGKILL, no persistence: it comes back empty
    await Promise.all([...fresh, ...rejoined]);
    await until(() => roomA.peers.size === 1 && roomB.peers.size === 1, 10_000, 'both to see each other again');
    const got = nextEvent(roomB, 'signal');
    await roomA.signal(b.id!, 'after the reset');
    expect((await got).data).toBe('after the reset');
  });
});
