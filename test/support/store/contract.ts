// The store contract, run against every Store implementation (memory and Redis). Time is
// passed explicitly (`now`), so expiry and leases are tested without waiting.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Delivery, Frame, Store, StoreConnection, StoreHints, StoreLimits, StoredNote } from '../../../src/server/store/store.js';

export const LIMITS: StoreLimits = {
  maxBufferedNotifications: 4,
  maxBufferedBytes: 4_096,
  dedupeWindow: 60_000,
  dedupeLimit: 3,
  dedupeMaxBytes: 1_048_576,
  leaseMs: 1_000,
  nodeTtl: 5_000,
  sessionTtl: 30_000,
  maxPeers: 3,
  maxRooms: 2,
};

/** Everything a node was told, in order. */
export class RecordedHints implements StoreHints {
  readonly log: Array<[string, ...unknown[]]> = [];
  notes(peerId: string, frames: Frame[]): void {
    this.log.push(['notes', peerId, frames.map((f) => f.seq)]);
  }
  answer(peerId: string, text: string): void {
    this.log.push(['answer', peerId, text]);
  }
  revoked(peerId: string, fence: number, why: string): void {
    this.log.push(['revoked', peerId, fence, why]);
  }
  resync(): void {
    this.log.push(['resync']);
  }
  health(state: string): void {
    this.log.push(['health', state]);
  }
  /** Resolves once an entry matching `kind` (and peer) was logged. */
  async next(kind: string, peerId?: string): Promise<Array<[string, ...unknown[]]>> {
    for (let i = 0; i < 400; i++) {
      const hits = this.log.filter((e) => e[0] === kind && (peerId === undefined || e[1] === peerId));
      if (hits.length > 0) return hits;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`no "${kind}" hint for ${peerId ?? 'anyone'}; log: ${JSON.stringify(this.log)}`);
  }
}

export function note(data: unknown, { sender = '', bulk = false, room }: { sender?: string; bulk?: boolean; room?: string } = {}): StoredNote {
  const head = JSON.stringify({ type: 'notification', method: 'm', data }).slice(0, -1);
  return { head, bytes: Buffer.byteLength(head), sender, bulk, room };
}

const T0 = 1_700_000_000_000;

/** `makeStore` gives a fresh, empty store (and its cleanup) for each test. */
export function storeContract(name: string, makeStore: () => Promise<{ store: Store; dispose(): Promise<void> }>): void {
  describe(`store contract: ${name}`, () => {
    let dispose: () => Promise<void>;
    let a: StoreConnection;
    let b: StoreConnection;
    let hintsA: RecordedHints;
    let hintsB: RecordedHints;

    beforeEach(async () => {
      const made = await makeStore();
      dispose = made.dispose;
      hintsA = new RecordedHints();
      hintsB = new RecordedHints();
      a = await made.store.connect('node-a', hintsA, LIMITS);
      b = await made.store.connect('node-b', hintsB, LIMITS);
    });
    afterEach(async () => {
      await a.disconnect();
      await b.disconnect();
      await dispose();
    });

    const open = (conn: StoreConnection, peerId: string, opts: { create?: boolean; ack?: number; now?: number } = {}) =>
      conn.open({ peerId, create: opts.create ?? true, ack: opts.ack, now: opts.now ?? T0 });
    const seqs = (frames: Frame[]) => frames.map((f) => f.seq);
    const datas = (frames: Frame[]) => frames.map((f) => (JSON.parse(f.text) as { data: unknown }).data);

    it('names one scope for every node of the cluster', () => {
      expect(typeof a.scope).toBe('string');
      expect(a.scope.length).toBeGreaterThan(0);
      expect(b.scope).toBe(a.scope);
    });

    it('creates a session, then resumes it with a higher fence and tells the previous holder', async () => {
      const first = await open(a, 'p1');
      expect(first).toMatchObject({ resumed: false, pending: [], lost: undefined });
      expect(await open(a, 'nobody', { create: false })).toBeUndefined();
      const second = await open(b, 'p1');
      expect(second?.resumed).toBe(true);
      expect(second!.fence).toBeGreaterThan(first!.fence);
      const [hint] = await hintsA.next('revoked', 'p1');
      expect(hint).toEqual(['revoked', 'p1', first!.fence, 'replaced']);
      expect(await a.has('p1')).toBe(true);
      expect(await b.peerIds()).toEqual(['p1']);
    });

    it('numbers notifications per session from 1, in one order, and hints the holding node', async () => {
      await open(a, 'p1');
      await open(b, 'p2');
      const sent = await Promise.all([a.push(['p1', 'p2', 'ghost'], note(1)), b.push(['p1'], note(2)), a.push(['p2'], note(3))]);
      const flat = sent.flat();
      expect(flat.map((d) => d.peerId).sort()).toEqual(['p1', 'p1', 'p2', 'p2']);
      const p1 = flat.filter((d) => d.peerId === 'p1');
      expect(p1.map((d) => d.seq).sort()).toEqual([1, 2]);
      expect(p1.every((d) => d.node === 'node-a')).toBe(true);
      expect(flat.filter((d) => d.peerId === 'p2').every((d) => d.node === 'node-b')).toBe(true);
      // The frame is the notification with its seq appended.
      const one = flat.find((d) => d.peerId === 'p1' && d.seq === 1)!;
      expect(JSON.parse(one.text)).toEqual({ type: 'notification', method: 'm', data: 1, seq: 1 });
      // node-b holds p2 and was hinted about what node-a pushed to it; node-a about what b pushed to p1.
      expect((await hintsB.next('notes', 'p2')).flatMap((h) => h[2] as number[])).toContain(flat.find((d) => d.peerId === 'p2' && JSON.parse(d.text).data === 1)!.seq);
      expect((await hintsA.next('notes', 'p1')).flatMap((h) => h[2] as number[])).toEqual([p1.find((d) => JSON.parse(d.text).data === 2)!.seq]);
      expect(datas(await a.read('p1', 0)).sort()).toEqual([1, 2]);
    });

    it('keeps notifications until acknowledged and resends the rest on resume', async () => {
      await open(a, 'p1');
      for (const n of [1, 2, 3]) await a.push(['p1'], note(n));
      await a.ack('p1', 1);
      expect(seqs(await a.read('p1', 0))).toEqual([2, 3]);
      expect(seqs(await a.read('p1', 2))).toEqual([3]);
      const resumed = await open(b, 'p1', { ack: 2 });
      expect(seqs(resumed!.pending)).toEqual([3]);
      expect(datas(resumed!.pending)).toEqual([3]);
    });

    it('bounds the buffer by count, keeps the newest, and reports the loss once on resume', async () => {
      await open(a, 'p1');
      const pushed: Delivery[] = [];
      for (const n of [1, 2, 3, 4, 5, 6]) pushed.push(...(await a.push(['p1'], note(n, { room: 'r' }))));
      expect(pushed.map((d) => d.dropped)).toEqual([0, 0, 0, 0, 1, 1]);
      expect(pushed[4]!.overflow).toBe('count');
      expect(datas(await a.read('p1', 0))).toEqual([3, 4, 5, 6]);
      const resumed = await open(b, 'p1', { ack: 0 });
      expect(resumed!.lost).toEqual({ count: 2, rooms: { r: 2 } });
      expect((await open(a, 'p1', { ack: 0 }))!.lost).toBeUndefined();
    });

    it('bounds the buffer by bytes', async () => {
      await open(a, 'p1');
      const big = 'x'.repeat(1_500);
      const pushed: Delivery[] = [];
      for (const n of [1, 2, 3]) pushed.push(...(await a.push(['p1'], note({ n, big }))));
      expect(pushed[2]!.overflow).toBe('bytes');
      expect((datas(await a.read('p1', 0)) as Array<{ n: number }>).map((d) => d.n)).toEqual([2, 3]);
    });

    it('runs a request once: claim, wait while it runs, then answer replays from the cache', async () => {
      await open(a, 'p1');
      const claim = await a.claim('p1', 'r1', T0);
      expect(claim).toMatchObject({ kind: 'run', rerun: false });
      expect(await b.claim('p1', 'r1', T0 + 10)).toMatchObject({ kind: 'wait' });
      if (claim.kind !== 'run') throw new Error('unreachable');
      expect(await a.finish('p1', 'r1', claim.fence, '{"answer":1}', T0 + 20)).toBe('node-a');
      expect(await b.claim('p1', 'r1', T0 + 30)).toEqual({ kind: 'answer', text: '{"answer":1}' });
    });

    it('tells the holding node of an answer finished elsewhere', async () => {
      await open(b, 'p1');
      const claim = await a.claim('p1', 'r1', T0);
      if (claim.kind !== 'run') throw new Error('expected run');
      expect(await a.finish('p1', 'r1', claim.fence, 'A', T0)).toBe('node-b');
      expect(await hintsB.next('answer', 'p1')).toEqual([['answer', 'p1', 'A']]);
    });

    it('fences a lease: after it lapses the next claim reruns it, and the old holder cannot answer', async () => {
      await open(a, 'p1');
      const first = await a.claim('p1', 'r1', T0);
      if (first.kind !== 'run') throw new Error('expected run');
      expect(await a.renew('p1', 'r1', first.fence, T0 + 900)).toBe(true);
      expect(await b.claim('p1', 'r1', T0 + 1_500)).toMatchObject({ kind: 'wait' }); // renewed until T0+1900
      const second = await b.claim('p1', 'r1', T0 + 2_000);
      expect(second).toMatchObject({ kind: 'run', rerun: true });
      if (second.kind !== 'run') throw new Error('unreachable');
      expect(second.fence).toBeGreaterThan(first.fence);
      expect(await a.renew('p1', 'r1', first.fence, T0 + 2_001)).toBe(false);
      expect(await a.finish('p1', 'r1', first.fence, 'stale', T0 + 2_002)).toBe(false);
      expect(await b.finish('p1', 'r1', second.fence, 'fresh', T0 + 2_003)).toBe('node-a');
      expect(await a.claim('p1', 'r1', T0 + 2_004)).toEqual({ kind: 'answer', text: 'fresh' });
    });

    it('bounds the answers kept per peer: the oldest go first, running ones stay', async () => {
      await open(a, 'p1');
      const fences: number[] = [];
      for (const id of ['r1', 'r2', 'r3', 'r4']) {
        const c = await a.claim('p1', id, T0);
        if (c.kind !== 'run') throw new Error('expected run');
        fences.push(c.fence);
      }
      for (const [i, id] of ['r1', 'r2', 'r3', 'r4'].entries()) await a.finish('p1', id, fences[i]!, id, T0 + 1);
      expect(await a.claim('p1', 'r4', T0 + 2)).toEqual({ kind: 'answer', text: 'r4' });
      expect(await a.claim('p1', 'r1', T0 + 2)).toMatchObject({ kind: 'run' }); // forgotten: limit 3
      // Answers expire after the dedupe window.
      expect(await a.claim('p1', 'r3', T0 + 1 + LIMITS.dedupeWindow)).toMatchObject({ kind: 'run' });
    });

    it('keeps answers after the session ends, for the next session under the id', async () => {
      await open(a, 'p1');
      const c = await a.claim('p1', 'r1', T0);
      if (c.kind !== 'run') throw new Error('expected run');
      await a.finish('p1', 'r1', c.fence, 'kept', T0);
      expect((await a.end(['p1'], 'closed', 'bye', T0)).peerIds).toEqual(['p1']);
      expect(await a.has('p1')).toBe(false);
      expect((await open(b, 'p1'))!.resumed).toBe(false);
      expect(await b.claim('p1', 'r1', T0 + 5)).toEqual({ kind: 'answer', text: 'kept' });
    });

    it('ignores a detach of a replaced attach, and ends a detached session exactly once after its ttl', async () => {
      const first = await open(a, 'p1');
      const second = await open(b, 'p1');
      await a.detach('p1', first!.fence, T0, 1_000); // stale: p1 is held by b
      expect((await a.sweep(T0 + 5_000)).peerIds).toEqual([]);
      await b.detach('p1', second!.fence, T0, 1_000);
      expect((await a.sweep(T0 + 999)).peerIds).toEqual([]);
      const sweeps = await Promise.all([a.sweep(T0 + 1_000), b.sweep(T0 + 1_000), a.sweep(T0 + 1_001)]);
      expect(sweeps.flatMap((s) => s.peerIds)).toEqual(['p1']);
      expect(await a.has('p1')).toBe(false);
    });

    it('a resume cancels the wait', async () => {
      const first = await open(a, 'p1');
      await a.detach('p1', first!.fence, T0, 1_000);
      await open(b, 'p1', { now: T0 + 500 });
      expect((await a.sweep(T0 + 10_000)).peerIds).toEqual([]);
      expect(await a.has('p1')).toBe(true);
    });

    it("ends the sessions of a node that stopped beating, after nodeTtl plus sessionTtl", async () => {
      expect(await a.beat(T0)).toBe(true);
      expect(await b.beat(T0)).toBe(true);
      await open(a, 'p1');
      await b.beat(T0 + 10_000);
      expect((await b.sweep(T0 + 10_000)).peerIds).toEqual([]); // a missed beats: p1 now waits for a resume
      expect(await b.has('p1')).toBe(true);
      // a was only stalled: its next beat says it was taken for dead, once.
      expect(await a.beat(T0 + 10_001)).toBe(false);
      expect(await a.beat(T0 + 10_002)).toBe(true);
      await b.beat(T0 + LIMITS.nodeTtl + LIMITS.sessionTtl + 1);
      expect((await b.sweep(T0 + LIMITS.nodeTtl + LIMITS.sessionTtl + 1)).peerIds).toEqual(['p1']);
    });

    it('ends a session once when several nodes end it at once, and tells its holder', async () => {
      const opened = await open(b, 'p1');
      const ends = await Promise.all([a.end(['p1'], 'kicked', 'go away', T0), b.end(['p1'], 'kicked', 'go away', T0)]);
      expect(ends.flatMap((e) => e.peerIds)).toEqual(['p1']);
      expect(await hintsB.next('revoked', 'p1')).toEqual([['revoked', 'p1', opened!.fence, 'kicked']]);
    });

    it('refuses a revoked id until the revocation ends', async () => {
      await a.revoke('p1', T0 + 1_000);
      expect(await open(a, 'p1', { now: T0 })).toBeUndefined();
      expect((await open(a, 'p1', { now: T0 + 1_000 }))?.resumed).toBe(false);
    });

    describe('rooms', () => {
      const member = (id: string) => JSON.stringify({ id, meta: null });
      const join = (conn: StoreConnection, peerId: string, requestId: string, room = 'r') =>
        conn.room({ op: 'join', peerId, requestId, room, member: member(peerId), note: note({ joined: peerId }, { sender: peerId, room }), answer: [`{"id":"${requestId}","peers":[`, ']}'], now: T0 });

      it('joins: answers with the others, tells them once, and a replay changes nothing', async () => {
        await open(a, 'p1');
        await open(b, 'p2');
        expect(await join(a, 'p1', 'j1')).toEqual({ answer: '{"id":"j1","peers":[]}', deliveries: [] });
        const second = await join(b, 'p2', 'j2');
        expect(second).toMatchObject({ answer: `{"id":"j2","peers":[${member('p1')}]}` });
        if (!('deliveries' in second)) throw new Error('refused');
        expect(second.deliveries.map((d) => [d.peerId, d.node])).toEqual([['p1', 'node-a']]);
        const replay = await join(a, 'p2', 'j2');
        expect(replay).toEqual({ answer: `{"id":"j2","peers":[${member('p1')}]}`, deliveries: [] });
      });

      it('refuses with a reason: full room, too many rooms, not joined, not in room, no session', async () => {
        for (const id of ['p1', 'p2', 'p3', 'p4']) await open(a, id);
        for (const id of ['p1', 'p2', 'p3']) await join(a, id, `j-${id}`);
        expect(await join(a, 'p4', 'j4')).toEqual({ refused: 'room-full' });
        await join(a, 'p1', 'j5', 'r2');
        expect(await join(a, 'p1', 'j6', 'r3')).toEqual({ refused: 'too-many-rooms' });
        const signal = (from: string, to: string, requestId: string) => a.room({ op: 'signal', peerId: from, requestId, room: 'r', to, note: note('sdp', { sender: from, room: 'r' }), answer: 'ok', now: T0 });
        expect(await signal('p4', 'p1', 's1')).toEqual({ refused: 'not-joined' });
        expect(await signal('p1', 'p4', 's2')).toEqual({ refused: 'not-in-room' });
        expect(await join(a, 'ghost', 'j7', 'r9')).toEqual({ refused: 'gone' });
      });

      it('signals and broadcasts once per request id, in one order for every member', async () => {
        for (const id of ['p1', 'p2', 'p3']) await open(id === 'p3' ? b : a, id);
        for (const id of ['p1', 'p2', 'p3']) await join(a, id, `j-${id}`);
        for (const id of ['p1', 'p2', 'p3']) await a.ack(id, 10); // the joins: room for 4 more each
        const signal = await a.room({ op: 'signal', peerId: 'p1', requestId: 's1', room: 'r', to: 'p3', note: note('offer', { sender: 'p1', room: 'r' }), answer: 'ok-s1', now: T0 });
        expect(signal).toMatchObject({ answer: 'ok-s1' });
        if (!('deliveries' in signal)) throw new Error('refused');
        expect(signal.deliveries.map((d) => [d.peerId, d.node])).toEqual([['p3', 'node-b']]);
        await a.ack('p3', 10);
        expect(await a.room({ op: 'signal', peerId: 'p1', requestId: 's1', room: 'r', to: 'p3', note: note('offer'), answer: 'ok-s1', now: T0 })).toEqual({ answer: 'ok-s1', deliveries: [] });
        const casts = await Promise.all(
          ['p1', 'p2', 'p3', 'p1', 'p2', 'p3'].map((from, i) => (i % 2 ? a : b).room({ op: 'broadcast', peerId: from, requestId: `b${i}`, room: 'r', note: note(i, { sender: from, bulk: true, room: 'r' }), answer: `ok-b${i}`, now: T0 })),
        );
        expect(casts.every((c) => 'answer' in c)).toBe(true);
        // Every pair of members sees the broadcasts they both got in the same order.
        const order = async (peerId: string) => (datas(await a.read(peerId, 0)) as unknown[]).filter((d) => typeof d === 'number');
        const [o1, o2, o3] = [await order('p1'), await order('p2'), await order('p3')];
        const common = (x: unknown[], y: unknown[]) => x.filter((v) => y.includes(v));
        expect(common(o1, o2)).toEqual(common(o2, o1));
        expect(common(o1, o3)).toEqual(common(o3, o1));
        expect(common(o2, o3)).toEqual(common(o3, o2));
        expect(o1.length + o2.length + o3.length).toBe(12);
      });

      it('a session end tells the rest of each room, once', async () => {
        for (const id of ['p1', 'p2']) await open(a, id);
        await join(a, 'p1', 'j1');
        await join(a, 'p2', 'j2');
        const ended = await Promise.all([a.end(['p1'], 'closed', 'bye', T0), b.end(['p1'], 'closed', 'bye', T0)]);
        const deliveries = ended.flatMap((e) => e.deliveries);
        expect(deliveries.map((d) => [d.peerId, JSON.parse(d.text).data])).toEqual([['p2', { room: 'r', peerId: 'p1', reason: 'session-end' }]]);
        expect(await join(a, 'p2', 'j3')).toEqual({ answer: '{"id":"j3","peers":[]}', deliveries: [] });
      });

      it('leave is idempotent and tells the others', async () => {
        for (const id of ['p1', 'p2']) await open(a, id);
        await join(a, 'p1', 'j1');
        await join(a, 'p2', 'j2');
        const leave = (requestId: string) => a.room({ op: 'leave', peerId: 'p1', requestId, room: 'r', note: note('left', { sender: 'p1', room: 'r' }), answer: 'ok', now: T0 });
        const first = await leave('l1');
        expect('deliveries' in first && first.deliveries.map((d) => d.peerId)).toEqual(['p2']);
        expect(await leave('l2')).toEqual({ answer: 'ok', deliveries: [] });
      });
    });
  });
}
