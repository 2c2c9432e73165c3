// Three nodes sharing one store, in this process: a Peer fails over between nodes and keeps
// its session, its rooms and every notification; rooms, notify and kick work across nodes.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Peer, type PeerOptions, Room } from '../../src/index.js';
import { RedisStore } from '../../src/redis/index.js';
import { MemoryStore } from '../../src/server/index.js';
import type { Store } from '../../src/server/store/store.js';
import { startCluster, startNode, type Node } from '../support/cluster.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { nextEvent, until } from '../support/wait.js';

const PEER: Partial<PeerOptions> = { backoff: { connect: [20], reconnect: [30, 60], jitter: 0 }, heartbeat: { interval: 300 }, connectTimeout: 3_000 };

function clusterSuite(name: string, makeStore: () => Promise<{ store: Store; dispose(): Promise<void> }>): void {
  describe(`a cluster over ${name}`, () => {
    const cleanup: Array<() => Promise<void> | void> = [];
    afterEach(async () => {
      for (const fn of cleanup.splice(0).reverse()) await fn();
    });

    async function cluster(names = ['a', 'b', 'c']): Promise<{ store: Store; nodes: Node[] }> {
      const { store, dispose } = await makeStore();
      cleanup.push(dispose);
      const nodes = await startCluster(store, names);
      cleanup.push(() => Promise.all(nodes.map((n) => n.server.close())).then(() => {}));
      return { store, nodes };
    }

    function peer(urls: string | string[], options: Partial<PeerOptions> = {}): Peer {
      const p = new Peer({ urls, ...PEER, ...options });
      p.on('error', () => {});
      cleanup.push(() => p.close());
      void p.connect().catch(() => {});
      return p;
    }

    /** Every notification the peer receives, in order. */
    function record(p: Peer): Array<{ method: string; data: unknown }> {
      const seen: Array<{ method: string; data: unknown }> = [];
      p.on('notification', ({ method, data }) => seen.push({ method, data }));
      return seen;
    }

    it('fails over A -> B -> A: same id, resumed, every notification from a third node once and in order', async () => {
      const { store, nodes } = await cluster();
      const [a, b, c] = nodes as [Node, Node, Node];
      const p = peer([a.url, b.url]);
      const seen = record(p);
      const first = await nextEvent(p, 'open');
      expect(first.url).toBe(a.url);
      for (let i = 1; i <= 3; i++) expect(c.server.notify(first.peerId, 'n', i)).toBe(true);
      await until(() => seen.length === 3, 10_000, 'the first notifications');
      // A goes away (a rolling restart): the Peer fails over to B and resumes there.
      const onB = nextEvent(p, 'open', (e) => e.url === b.url);
      await a.server.close();
      for (let i = 4; i <= 6; i++) c.server.notify(first.peerId, 'n', i); // while the Peer is between nodes
      const second = await onB;
      expect(second).toMatchObject({ resumed: true, peerId: first.peerId });
      for (let i = 7; i <= 9; i++) c.server.notify(first.peerId, 'n', i);
      await until(() => seen.length >= 9, 10_000, 'nine notifications');
      // Back to a node on A's address.
      const a2 = await startNode(store, 'a2', { port: a.port });
      cleanup.push(() => a2.server.close());
      const onA = nextEvent(p, 'open', (e) => e.url === a.url);
      await b.server.close();
      for (let i = 10; i <= 12; i++) c.server.notify(first.peerId, 'n', i);
      expect(await onA).toMatchObject({ resumed: true, peerId: first.peerId });
      await until(() => seen.length >= 12, 10_000, 'twelve notifications');
      await new Promise((r) => setTimeout(r, 200)); // anything resent twice would show up now
      expect(seen.map((s) => s.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    });

    it('relays signals and broadcasts between peers on different nodes, in one room order for every member', async () => {
      const { nodes } = await cluster();
      const peers = nodes.map((n) => peer(n.url));
      await Promise.all(peers.map((p) => nextEvent(p, 'open')));
      const rooms: Room[] = [];
      for (const p of peers) rooms.push(await Room.join(p, 'lobby', { meta: { name: p.id } }));
      await until(() => rooms.every((r) => r.peers.size === 2), 10_000, 'everyone to see everyone');
      const orders = rooms.map(() => [] as string[]);
      rooms.forEach((room, i) => room.on('broadcast', ({ data }) => orders[i]!.push(data as string)));
      const got = nextEvent(rooms[2]!, 'signal');
      await rooms[0]!.signal(peers[2]!.id!, { sdp: 'offer from a to c' });
      expect(await got).toMatchObject({ from: peers[0]!.id, data: { sdp: 'offer from a to c' } });
      await Promise.all(rooms.flatMap((room, i) => Array.from({ length: 20 }, (_, k) => room.broadcast(`${i}:${k}`))));
      await until(() => orders.every((o) => o.length === 40), 10_000, 'forty broadcasts each');
      const common = (x: string[], y: string[]) => x.filter((v) => y.includes(v));
      for (const [i, j] of [[0, 1], [0, 2], [1, 2]] as const) expect(common(orders[i]!, orders[j]!)).toEqual(common(orders[j]!, orders[i]!));
    });

    it('notifies and kicks a peer from a node it is not on; the session ends once in the cluster', async () => {
      const { nodes } = await cluster();
      const [a, , c] = nodes as [Node, Node, Node];
      const ends: string[] = [];
      for (const n of nodes) n.server.on('session-end', ({ peerId }) => ends.push(`${n.name}:${peerId}`));
      const p = peer(a.url);
      const { peerId } = await nextEvent(p, 'open');
      const note = nextEvent(p, 'notification');
      c.server.notify(peerId, 'hello-from-c', { x: 1 });
      expect(await note).toMatchObject({ method: 'hello-from-c', data: { x: 1 } });
      const closed = nextEvent(p, 'close');
      expect(c.server.kick(peerId, 'removed by an admin')).toBe(true);
      expect(await closed).toMatchObject({ cause: 'kicked', code: 4000, reason: 'removed by an admin' });
      await until(() => ends.length === 1, 10_000, 'the session end');
      await new Promise((r) => setTimeout(r, 300));
      expect(ends).toHaveLength(1);
    });

    it('keeps room membership across a failover: nobody sees peer-left, and signals still reach the peer', async () => {
      const { nodes } = await cluster();
      const [a, b, c] = nodes as [Node, Node, Node];
      const mover = peer([a.url, b.url]);
      const watcher = peer(c.url);
      await Promise.all([nextEvent(mover, 'open'), nextEvent(watcher, 'open')]);
      const moverRoom = await Room.join(mover, 'r');
      const watcherRoom = await Room.join(watcher, 'r');
      await until(() => moverRoom.peers.size === 1, 10_000, 'the watcher to be seen');
      const left: unknown[] = [];
      watcherRoom.on('peer-left', (e) => left.push(e));
      const resumed = nextEvent(mover, 'open', (e) => e.url === b.url);
      await a.server.close();
      expect((await resumed).resumed).toBe(true);
      const got = nextEvent(moverRoom, 'signal');
      await watcherRoom.signal(mover.id!, 'still there?');
      expect((await got).data).toBe('still there?');
      expect(left).toEqual([]);
      expect(watcherRoom.peers.has(mover.id!)).toBe(true);
    });

    it('answers a request replayed on B while A still runs it with A\'s answer, running the handler once', async () => {
      const { store, nodes } = await cluster(['a', 'b']);
      const [a, b] = nodes as [Node, Node];
      void store;
      const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: a.port } });
      cleanup.push(() => proxy.close());
      let runs = 0;
      let release!: (value: string) => void;
      const slow = new Promise<string>((resolve) => (release = resolve));
      const started = new Promise<void>((resolve) => {
        for (const n of [a, b]) {
          n.server.handle('slow', async (_data, ctx) => {
            runs++;
            resolve();
            return `${await slow} (replay=${ctx.replay})`;
          });
        }
      });
      const p = peer([proxy.url('/'), b.url]);
      await nextEvent(p, 'open');
      const answer = p.request('slow', {}, { timeout: 20_000 });
      await started;
      const onB = nextEvent(p, 'open', (e) => e.url === b.url);
      proxy.mode('refuse');
      proxy.resetAll();
      expect((await onB).resumed).toBe(true);
      await new Promise((r) => setTimeout(r, 200)); // the replay reaches B, which waits for A
      release('done on a');
      expect(await answer).toBe('done on a (replay=false)');
      expect(runs).toBe(1);
    });

    it('gives a client without scope support a new session instead of a resume', async () => {
      const { nodes } = await cluster(['a']);
      const url = nodes[0]!.url;
      const hello = async (frame: object) => {
        const ws = new WebSocket(url);
        await new Promise((resolve) => ws.once('open', resolve));
        const welcome = new Promise<Record<string, unknown>>((resolve) => ws.once('message', (data) => resolve(JSON.parse(String(data)))));
        ws.send(JSON.stringify({ type: 'hello', version: 1, ...frame }));
        const w = await welcome;
        ws.close(4500);
        return w;
      };
      const first = await hello({});
      expect(typeof first.scope).toBe('string');
      const old = await hello({ resume: { peer: first.peer, secret: first.secret }, ack: 0 });
      expect(old).toMatchObject({ resumed: false });
      expect(old.peer).not.toBe(first.peer);
      const scoped = await hello({ resume: { peer: old.peer, secret: old.secret }, ack: 0, scope: first.scope });
      expect(scoped).toMatchObject({ resumed: true, peer: old.peer });
    });
  });
}

clusterSuite('a MemoryStore', async () => ({ store: new MemoryStore(), dispose: async () => {} }));

describe('over Redis', () => {
  let redis: TestRedis;
  let prefixes = 0;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());
  clusterSuite('a RedisStore', async () => ({ store: new RedisStore({ url: redis.url, prefix: `cluster${++prefixes}:` }), dispose: async () => {} }));
});
