// A node cut off from the shared store (a partition, a stalled store) fails closed, and the
// rest of the cluster takes its sessions and its unfinished requests over.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Peer, type PeerOptions } from '../../src/index.js';
import { MemoryStore } from '../../src/server/index.js';
import { startNode, type Node } from '../support/cluster.js';
import { CuttableStore } from '../support/store/cuttable.js';
import { nextEvent, until } from '../support/wait.js';

const PEER: Partial<PeerOptions> = { backoff: { connect: [20], reconnect: [30, 60], jitter: 0 }, heartbeat: { interval: 300 }, connectTimeout: 3_000 };

describe('a node cut off from the store', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function twoNodes(options = {}) {
    const store = new CuttableStore(new MemoryStore());
    const a = await startNode(store, 'a', { nodeTimeout: 300, ...options });
    const b = await startNode(store, 'b', { nodeTimeout: 300, ...options });
    cleanup.push(() => Promise.all([a.server.close(), b.server.close()]));
    return { store, a, b };
  }

  function peer(urls: string[]): Peer {
    const p = new Peer({ urls, ...PEER, requestTimeout: 20_000 });
    p.on('error', () => {});
    cleanup.push(() => p.close());
    void p.connect().catch(() => {});
    return p;
  }

  it('closes its sockets with 1013 and refuses new ones; the Peer resumes on another node', async () => {
    const { store, a, b } = await twoNodes();
    const p = peer([a.url, b.url]);
    const first = await nextEvent(p, 'open');
    const closed = nextEvent(p, 'close');
    const onB = nextEvent(p, 'open', (e) => e.url === b.url);
    store.sever('a');
    expect(await closed).toMatchObject({ code: 1013, willReconnect: true });
    expect(await onB).toMatchObject({ resumed: true, peerId: first.peerId });
    // A new socket to the cut-off node is closed with 1013 too.
    const ws = new WebSocket(a.url);
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 'hello', version: 1 }));
    const code = await new Promise<number>((resolve) => ws.once('close', (closeCode) => resolve(closeCode)));
    expect(code).toBe(1013);
  });

  it('reruns a request whose node lost the store on another node, flagged as a replay, and refuses the late answer', async () => {
    const { store, a, b } = await twoNodes();
    const runs: Array<{ node: string; replay: boolean }> = [];
    const releases: Array<(v: string) => void> = [];
    for (const n of [a, b] as Node[]) {
      n.server.handle('slow', async (_data, ctx) => {
        runs.push({ node: n.name, replay: ctx.replay });
        return new Promise<string>((resolve) => releases.push((v) => resolve(`${v} by ${n.name}`)));
      });
    }
    const p = peer([a.url, b.url]);
    await nextEvent(p, 'open');
    const answer = p.request('slow', {});
    await until(() => runs.length === 1, 10_000, 'the first run');
    store.sever('a'); // a keeps running the handler, but can no longer renew its lease
    await until(() => runs.length === 2, 10_000, 'the rerun on b');
    expect(runs).toEqual([
      { node: 'a', replay: false },
      { node: 'b', replay: true },
    ]);
    store.heal('a');
    releases[0]!('late'); // a's answer: its lease is gone, so it is refused
    await new Promise((r) => setTimeout(r, 100));
    releases[1]!('on time');
    expect(await answer).toBe('on time by b');
  });

  it('ends the sessions it held once, on another node, when they are not resumed in time', async () => {
    const { store, a, b } = await twoNodes({ sessionTtl: 500 });
    const ends: string[] = [];
    for (const n of [a, b]) n.server.on('session-end', ({ peerId }) => ends.push(`${n.name}:${peerId}`));
    const p = new Peer({ urls: a.url, ...PEER, backoff: { connect: [20], reconnect: [60_000], jitter: 0 } });
    p.on('error', () => {});
    cleanup.push(() => p.close());
    const { peerId } = await (async () => {
      const opened = nextEvent(p, 'open');
      void p.connect();
      return opened;
    })();
    store.sever('a');
    await until(() => ends.length > 0, 10_000, 'the session to end');
    await new Promise((r) => setTimeout(r, 500));
    expect(ends).toEqual([`b:${peerId}`]);
  });

  it('a node stalled past nodeTimeout learns it was taken for dead and closes its sockets, so they resume and get what was sent meanwhile', async () => {
    const store = new MemoryStore();
    // Node a's housekeeping timer can be held, as a long stall of its event loop would.
    let held = false;
    const stallable = { setInterval: (fn: () => void, ms: number) => setInterval(() => held || fn(), ms), clearInterval: (h: unknown) => clearInterval(h as NodeJS.Timeout) };
    const a = await startNode(store, 'a', { nodeTimeout: 300, sessionTtl: 30_000, env: stallable });
    const b = await startNode(store, 'b', { nodeTimeout: 300, sessionTtl: 30_000 });
    cleanup.push(() => Promise.all([a.server.close(), b.server.close()]));
    const p = peer([a.url]);
    const seen: unknown[] = [];
    p.on('notification', ({ data }) => seen.push(data));
    const first = await nextEvent(p, 'open');
    held = true;
    await new Promise((r) => setTimeout(r, 1_000)); // b's sweeps take a for dead
    b.server.notify(first.peerId, 'n', 'sent while a was taken for dead');
    const resumed = nextEvent(p, 'open', (e) => e.resumed);
    held = false;
    expect((await resumed).peerId).toBe(first.peerId);
    await until(() => seen.length === 1, 10_000, 'the notification');
    expect(seen).toEqual(['sent while a was taken for dead']);
  });
});
