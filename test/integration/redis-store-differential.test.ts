// The Redis store must behave as the memory store does: random sequences of operations from
// two nodes run against both, and every result must match. Fences come from one counter in
// each store, so even they must agree. Lists whose order is the store's choice are compared
// as multisets; acks are either 0 or everything read; a run stops comparing at a sweep that
// ends several sessions at once (their order, and what follows from it, may differ).
// `DIFF_RUNS=500 npx vitest run --project source <this file>` searches longer.
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisStore } from '../../src/redis/index.js';
import { MemoryStore } from '../../src/server/store/memory-store.js';
import type { Delivery, Ended, Frame, Opened, RoomResult, Store, StoreConnection, StoreHints, StoreLimits } from '../../src/server/store/store.js';
import { startRedis, type TestRedis } from '../support/redis.js';

const LIMITS: StoreLimits = {
  maxBufferedNotifications: 4,
  maxBufferedBytes: 700,
  dedupeWindow: 4_000,
  dedupeLimit: 3,
  dedupeMaxBytes: 1_000,
  leaseMs: 1_000,
  nodeTtl: 5_000,
  sessionTtl: 3_000,
  maxPeers: 3,
  maxRooms: 1,
};

const PEERS = ['p1', 'p2', 'p3', 'p4'];
const NODES = [0, 1];
/** Every hint a node got, as JSON, to compare as multisets (pub/sub and microtasks order them differently). */
class Hints implements StoreHints {
  readonly log: string[] = [];
  notes(peerId: string, frames: Frame[]): void {
    for (const f of frames) this.log.push(JSON.stringify(['notes', peerId, f.seq, f.text]));
  }
  answer(peerId: string, text: string): void {
    this.log.push(JSON.stringify(['answer', peerId, text]));
  }
  revoked(peerId: string, fence: number, why: string, reason: string): void {
    this.log.push(JSON.stringify(['revoked', peerId, fence, why, reason]));
  }
  resync(): void {
    this.log.push('resync');
  }
  health(state: string): void {
    this.log.push(`health ${state}`);
  }
}

type Op =
  | { op: 'open'; node: number; peer: string; create: boolean; ack: 'none' | 'zero' | 'all' }
  | { op: 'detach'; peer: string; stale: boolean; ttl: number }
  | { op: 'end'; node: number; peers: string[]; why: 'kicked' | 'closed' }
  | { op: 'sweep'; node: number }
  | { op: 'beat'; node: number }
  | { op: 'revoke'; peer: string; ms: number }
  | { op: 'has'; peer: string }
  | { op: 'ids' }
  | { op: 'push'; node: number; peers: string[]; size: number; bulk: boolean; room: boolean; sender: string }
  | { op: 'ack'; peer: string }
  | { op: 'read'; peer: string }
  | { op: 'claim'; node: number; peer: string; id: number }
  | { op: 'renew'; node: number; peer: string; id: number; stale: boolean }
  | { op: 'finish'; node: number; peer: string; id: number; stale: boolean; size: number }
  | { op: 'room'; node: number; kind: 'join' | 'leave' | 'signal' | 'broadcast'; peer: string; to: string; id: number }
  | { op: 'wait'; ms: number };

const peer = fc.constantFrom(...PEERS);
const node = fc.constantFrom(...NODES);
const id = fc.integer({ min: 1, max: 6 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('open' as const), node, peer, create: fc.boolean(), ack: fc.constantFrom('none' as const, 'zero' as const, 'all' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('detach' as const), peer, stale: fc.boolean(), ttl: fc.integer({ min: 0, max: 4_000 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('end' as const), node, peers: fc.subarray(PEERS, { minLength: 1 }), why: fc.constantFrom('kicked' as const, 'closed' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('sweep' as const), node }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('beat' as const), node }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('revoke' as const), peer, ms: fc.integer({ min: 0, max: 3_000 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('has' as const), peer }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('ids' as const) }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('push' as const), node, peers: fc.subarray(PEERS, { minLength: 1 }), size: fc.integer({ min: 0, max: 300 }), bulk: fc.boolean(), room: fc.boolean(), sender: fc.constantFrom('', 'p1', 'p2') }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('ack' as const), peer }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('read' as const), peer }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('claim' as const), node, peer, id }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('renew' as const), node, peer, id, stale: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('finish' as const), node, peer, id, stale: fc.boolean(), size: fc.integer({ min: 0, max: 400 }) }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('room' as const), node, kind: fc.constantFrom('join' as const, 'leave' as const, 'signal' as const, 'broadcast' as const), peer, to: peer, id }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 2_500 }) }) },
);

/** A frame without its seq, and the seqs apart: equal as multisets in both stores. */
const strip = (text: string) => text.replace(/,"seq":\d+\}$/, '}');
const frames = (list: Frame[]) => ({ texts: list.map((f) => strip(f.text)).sort(), seqs: list.map((f) => f.seq).sort((a, b) => a - b) });
const deliveries = (list: Delivery[]) => list.map((d) => JSON.stringify([d.peerId, d.node, strip(d.text), d.dropped, d.overflow ?? null])).sort();
const ended = (e: Ended) => ({ peerIds: [...e.peerIds].sort(), deliveries: deliveries(e.deliveries) });
const opened = (o: Opened | undefined) => o && { fence: o.fence, resumed: o.resumed, pending: frames(o.pending), lost: o.lost && { count: o.lost.count, rooms: o.lost.rooms && { ...o.lost.rooms } } };
const room = (r: RoomResult) => ('refused' in r ? r : { answer: r.answer, deliveries: deliveries(r.deliveries) });

/** One store driven by the ops; keeps what it needs to pick fences and acks. */
class Driver {
  now = 1_700_000_000_000;
  readonly fences = new Map<string, number[]>();
  readonly leases = new Map<string, number[]>();
  constructor(readonly nodes: StoreConnection[]) {}

  private latest(map: Map<string, number[]>, key: string, stale: boolean): number {
    const list = map.get(key) ?? [0];
    return stale ? list[0]! : list[list.length - 1]!;
  }

  async run(op: Op): Promise<unknown> {
    const now = this.now;
    const at = (n: number) => this.nodes[n]!;
    switch (op.op) {
      case 'open': {
        let ack: number | undefined;
        if (op.ack === 'zero') ack = 0;
        if (op.ack === 'all') ack = Math.max(0, ...(await at(0).read(op.peer, 0)).map((f) => f.seq));
        const result = await at(op.node).open({ peerId: op.peer, create: op.create, ack, now });
        if (result) this.fences.set(op.peer, [...(this.fences.get(op.peer) ?? []), result.fence]);
        return opened(result);
      }
      case 'detach':
        return at(0).detach(op.peer, this.latest(this.fences, op.peer, op.stale), now, op.ttl);
      case 'end':
        return ended(await at(op.node).end(op.peers, op.why, 'bye', now));
      case 'sweep':
        return ended(await at(op.node).sweep(now));
      case 'beat':
        return at(op.node).beat(now);
      case 'revoke':
        return at(0).revoke(op.peer, now + op.ms);
      case 'has':
        return at(1).has(op.peer);
      case 'ids':
        return (await at(0).peerIds()).sort();
      case 'push': {
        const head = JSON.stringify({ type: 'notification', method: 'm', data: 'x'.repeat(op.size) }).slice(0, -1);
        return deliveries(await at(op.node).push(op.peers, { head, bytes: Buffer.byteLength(head), sender: op.sender, bulk: op.bulk, room: op.room ? 'r1' : undefined }));
      }
      case 'ack': {
        const seqs = (await at(0).read(op.peer, 0)).map((f) => f.seq);
        return at(1).ack(op.peer, Math.max(0, ...seqs));
      }
      case 'read':
        return frames(await at(1).read(op.peer, 0));
      case 'claim': {
        const claim = await at(op.node).claim(op.peer, `q${op.id}`, now);
        if (claim.kind === 'run') this.leases.set(`${op.peer}/${op.id}`, [...(this.leases.get(`${op.peer}/${op.id}`) ?? []), claim.fence]);
        return claim;
      }
      case 'renew':
        return at(op.node).renew(op.peer, `q${op.id}`, this.latest(this.leases, `${op.peer}/${op.id}`, op.stale), now);
      case 'finish':
        return at(op.node).finish(op.peer, `q${op.id}`, this.latest(this.leases, `${op.peer}/${op.id}`, op.stale), `answer-${'y'.repeat(op.size)}`, now);
      case 'room': {
        const head = JSON.stringify({ type: 'notification', method: `room-${op.kind}`, data: op.peer }).slice(0, -1);
        const note = { head, bytes: Buffer.byteLength(head), sender: op.peer, bulk: op.kind === 'broadcast', room: 'r1' };
        const base = { peerId: op.peer, requestId: `room${op.id}`, room: 'r1', note, now };
        if (op.kind === 'join') return room(await at(op.node).room({ ...base, op: 'join', member: JSON.stringify({ id: op.peer }), answer: [`{"id":${op.id},"peers":[`, ']}'] }));
        if (op.kind === 'signal') return room(await at(op.node).room({ ...base, op: 'signal', to: op.to, answer: `ok-${op.id}` }));
        return room(await at(op.node).room({ ...base, op: op.kind, answer: `ok-${op.kind}-${op.id}` }));
      }
      case 'wait':
        this.now += op.ms;
        return undefined;
    }
  }
}

let redis: TestRedis;
let runs = 0;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

async function connect(store: Store, hints: Hints[]): Promise<StoreConnection[]> {
  return Promise.all(NODES.map((n) => store.connect(`node-${n}`, hints[n]!, LIMITS)));
}

const sorted = (hints: Hints[]) => hints.map((h) => [...h.log].sort());

it('gives the same results as the memory store for random operations from two nodes', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 10, maxLength: 60 }), async (random) => {
      // Start from a busy cluster: every peer has a session, three share a room.
      const ops: Op[] = [
        ...PEERS.map((p, i): Op => ({ op: 'open', node: i % 2, peer: p, create: true, ack: 'none' })),
        ...PEERS.slice(0, 3).map((p, i): Op => ({ op: 'room', node: 0, kind: 'join', peer: p, to: p, id: i + 1 })),
        ...random,
      ];
      const memoryHints = NODES.map(() => new Hints());
      const redisHints = NODES.map(() => new Hints());
      const memory = new Driver(await connect(new MemoryStore(), memoryHints));
      const redisNodes = await connect(new RedisStore({ url: redis.url, prefix: `diff${++runs}:` }), redisHints);
      const viaRedis = new Driver(redisNodes);
      try {
        let whole = true;
        for (const [i, op] of ops.entries()) {
          const [want, got] = [await memory.run(op), await viaRedis.run(op)];
          // One sweep that ends several sessions ends them in an order of the store's choosing
          // (the memory store: creation order; Redis: expiry order), and the peer-left notes
          // they send each other, and what those evict, follow it. Compare who ended, then stop.
          if (op.op === 'sweep' && (want as { peerIds: string[] }).peerIds.length > 1) {
            expect((got as { peerIds: string[] }).peerIds, `op ${i}: ${JSON.stringify(op)}`).toEqual((want as { peerIds: string[] }).peerIds);
            whole = false;
            break;
          }
          expect(got, `op ${i}: ${JSON.stringify(op)}`).toEqual(want);
        }
        if (whole) {
          // Each node was told the same things. Pub/sub hints arrive a little later: a bounded wait.
          await new Promise((r) => setTimeout(r, 0));
          const want = sorted(memoryHints);
          for (let i = 0; i < 200 && JSON.stringify(sorted(redisHints)) !== JSON.stringify(want); i++) await new Promise((r) => setTimeout(r, 10));
          expect(sorted(redisHints)).toEqual(want);
        }
      } finally {
        await Promise.all(redisNodes.map((c) => c.disconnect()));
      }
    }),
    { numRuns: Number(process.env.DIFF_RUNS ?? 60) },
  );
}, 300_000); // a bound for a heavily loaded machine; about 2 s on a quiet one
