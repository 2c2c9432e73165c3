// Cluster chaos: 3 node processes sharing one redis-server (append-only file, fsync always),
// 12 Peers each with all 3 urls, each node reached through its own fault proxy. For about
// 25 s the Peers send requests (some slow, some that crash their node) and ask for
// notifications, while a schedule SIGKILLs and restarts nodes, SIGKILLs and restarts Redis,
// and pauses it (SIGSTOP) for 3 s. Asserted at the end:
// - every request settled once: with the right answer, or a SignalError whose code says why;
// - a handler ran twice for one request only when the node running it first was killed, and
//   the second run had ctx.replay set;
// - every notification of an answered `push` arrived exactly once, in order;
// - nobody saw a peer-left, and every Peer ends open, in its first session.
import { type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Peer, SignalError, type PeerOptions, Room } from '../../src/index.js';
import { spawnServer } from '../support/child-process.js';
import { freePort, startRedis } from '../support/redis.js';
import { until } from '../support/wait.js';

const ROOT = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const NODE_MAIN = path.join(ROOT, 'test/support/cluster-node-main.ts');
const PEERS = 12;
const RUN_MS = 25_000;
const PEER_OPTIONS = {
  backoff: { connect: [50, 100], reconnect: [50, 150, 400], jitter: 0.3 },
  heartbeat: { interval: 300, maxMissed: 3 },
  connectTimeout: 3_000,
  requestTimeout: 30_000,
} satisfies Partial<PeerOptions>;

interface Run {
  node: string;
  peerId: string;
  id: string;
  method: string;
  replay: boolean;
}

/** A node process; one that dies on its own (the `die` handler) is started again after a second. */
class NodeProcess {
  child: ChildProcess | undefined;
  killedAt: number[] = [];
  /** Set while the schedule holds the node down. */
  held = false;
  stopped = false;
  constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly runs: Array<Run & { at: number }>,
  ) {}
  async start(): Promise<void> {
    const { child, listening } = spawnServer(['--import', 'tsx', NODE_MAIN], { name: `node ${this.name}`, cwd: ROOT, env: { ...this.env, NODE_ID: this.name, PORT: String(this.port) } });
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith('{"run"')) this.runs.push({ ...(JSON.parse(line) as { run: Run }).run, at: Date.now() });
      }
    });
    this.child = child;
    child.once('exit', () => {
      if (this.child !== child) return;
      this.child = undefined;
      this.killedAt.push(Date.now());
      if (!this.held && !this.stopped) setTimeout(() => void this.start().catch(() => {}), 1_000);
    });
    await listening;
  }
  /** SIGKILL; with `hold`, it stays down until start() (else it restarts by itself). */
  kill(hold = true): void {
    this.held = hold;
    this.child?.kill('SIGKILL');
  }
  async restart(): Promise<void> {
    this.held = false;
    if (this.child === undefined) await this.start();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('cluster chaos: 3 nodes, Redis, 12 Peers', () => {
  const cleanup: Array<() => unknown> = [];
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  it('settles every request once, reruns only what a dead node held, delivers every notification once, keeps every session', async () => {
    const redis = await startRedis({ appendfsync: 'always' });
    cleanup.push(() => redis.stop());
    const runs: Array<Run & { at: number }> = [];
    const env = { REDIS_URL: redis.url, PREFIX: 'chaos:', NODE_TIMEOUT: '1500', SESSION_TTL: '60000' };
    const nodes = await Promise.all(['a', 'b', 'c'].map(async (name) => new NodeProcess(name, await freePort(), env, runs)));
    await Promise.all(nodes.map((n) => n.start()));
    cleanup.push(() => nodes.forEach((n) => ((n.stopped = true), n.kill())));
    const urls = nodes.map((n) => `ws://127.0.0.1:${n.port}/rtc`);

    interface Tracked {
      peer: Peer;
      room: Room | undefined;
      notes: Array<{ n: number; k: number }>;
      peerLeft: number;
      sessions: Set<string>;
      /** Whether it already sent its one request that crashes a node. */
      died: boolean;
    }
    const tracked: Tracked[] = [];
    for (let i = 0; i < PEERS; i++) {
      const rotated = [...urls.slice(i % 3), ...urls.slice(0, i % 3)];
      const peer = new Peer({ urls: rotated, ...PEER_OPTIONS });
      peer.on('error', () => {});
      const t: Tracked = { peer, room: undefined, notes: [], peerLeft: 0, sessions: new Set(), died: false };
      peer.on('notification', ({ method, data }) => method === 'note' && t.notes.push(data as { n: number; k: number }));
      peer.on('open', ({ peerId }) => t.sessions.add(peerId));
      tracked.push(t);
      cleanup.push(() => peer.close());
    }
    await Promise.all(tracked.map((t) => t.peer.connect()));
    for (const t of tracked) {
      t.room = await Room.join(t.peer, 'chaos');
      t.room.on('peer-left', () => t.peerLeft++);
    }

    // The workload: each Peer sends work, slow and push requests in a loop until the end.
    type Outcome = { method: string; n: number; ok: boolean; value: unknown; code?: string };
    const outcomes: Outcome[] = [];
    let stop = false;
    let counter = 0;
    const loops = tracked.map(async (t, i) => {
      while (!stop) {
        const n = ++counter;
        const pick = n % 10;
        const die = pick === 9 && i % 4 === 0 && !t.died;
        if (die) t.died = true;
        const [method, data] = pick === 0 ? ['slow', { ms: 2_500 }] : pick < 4 ? ['push', { n, count: 5 }] : die ? ['die', { n }] : ['work', { n }];
        try {
          const value = await t.peer.request(method, data, { timeout: 30_000 });
          outcomes.push({ method, n, ok: true, value });
        } catch (error) {
          outcomes.push({ method, n, ok: false, value: undefined, code: error instanceof SignalError ? error.code : 'NOT_A_SIGNAL_ERROR' });
        }
        await sleep(20 + (i % 5) * 10);
      }
    });

    // The faults.
    const t0 = Date.now();
    const at = (ms: number) => sleep(Math.max(0, t0 + ms - Date.now()));
    /** When Redis was paused or down: a lease can lapse then without its node dying. */
    const outages: Array<[number, number]> = [];
    const faults = (async () => {
      await at(3_000);
      nodes[1]!.kill();
      await at(6_000);
      await nodes[1]!.restart();
      await at(8_000);
      nodes[0]!.kill();
      await at(11_000);
      await nodes[0]!.restart();
      await at(13_000);
      outages.push([Date.now(), 0]);
      redis.kill('SIGSTOP'); // hung for 3 s, its sockets open
      await sleep(3_000);
      redis.kill('SIGCONT');
      outages.at(-1)![1] = Date.now();
      await at(18_000);
      outages.push([Date.now(), 0]);
      await redis.restart(); // SIGKILL, then started again on the same port from its append-only file
      outages.at(-1)![1] = Date.now();
      await at(RUN_MS);
    })();
    await faults;
    stop = true;
    await Promise.all(loops);

    // Every Peer ends open, in its first session, and nobody left the room.
    await until(() => tracked.every((t) => t.peer.state === 'open'), 30_000, 'every Peer to be open');
    const summary = {
      requests: outcomes.length,
      failed: outcomes.filter((o) => !o.ok).map((o) => `${o.method}:${o.code}`),
      reruns: 0,
      notes: tracked.reduce((sum, t) => sum + t.notes.length, 0),
      kills: nodes.map((n) => `${n.name}×${n.killedAt.length}`),
    };
    for (const t of tracked) {
      expect(t.sessions.size, 'a Peer lost its session').toBe(1);
      expect(t.peerLeft).toBe(0);
    }
    // Every request settled once, correctly or with a code saying why.
    expect(outcomes).toHaveLength(counter - 0);
    for (const o of outcomes) {
      if (o.ok && o.method === 'work') expect(o.value).toBe(o.n * 2);
      if (o.ok && o.method === 'die') expect(o.value).toBe(o.n);
      if (!o.ok) expect(['TIMEOUT']).toContain(o.code);
    }
    // Reruns only after the first runner died, and flagged.
    const byRequest = new Map<string, Array<Run & { at: number }>>();
    for (const r of runs) byRequest.set(`${r.peerId}/${r.id}`, [...(byRequest.get(`${r.peerId}/${r.id}`) ?? []), r]);
    for (const [key, list] of byRequest) {
      if (list.length === 1) continue;
      summary.reruns += list.length - 1;
      for (let i = 1; i < list.length; i++) {
        const before = list[i - 1]!;
        const first = nodes.find((n) => n.name === before.node)!;
        const died = first.killedAt.some((t) => t >= before.at && t <= list[i]!.at);
        const cutOff = outages.some(([from, to]) => to >= before.at && from <= list[i]!.at);
        expect(died || cutOff, `${key} ran again though ${first.name} neither died nor lost Redis`).toBe(true);
        expect(list[i]!.replay, `${key} rerun without ctx.replay`).toBe(true);
      }
    }
    // Every notification of an answered push arrived once, in order.
    for (const t of tracked) {
      const seen = new Set(t.notes.map((x) => `${x.n}:${x.k}`));
      expect(seen.size, 'a notification arrived twice').toBe(t.notes.length);
      const last = new Map<number, number>();
      for (const { n, k } of t.notes) {
        expect(k, `notes of push ${n} out of order`).toBe((last.get(n) ?? -1) + 1);
        last.set(n, k);
      }
    }
    const pushed = outcomes.filter((o) => o.ok && o.method === 'push');
    const allNotes = new Set(tracked.flatMap((t) => t.notes.map((x) => `${x.n}:${x.k}`)));
    for (const o of pushed) for (let k = 0; k < 5; k++) expect(allNotes.has(`${o.n}:${k}`), `note ${o.n}:${k} missing`).toBe(true);
    console.log(`cluster chaos: ${JSON.stringify(summary)}`);
  }, 120_000);
});
