// The Redis store alone, from one Node process against a private redis-server: store
// operations per second with a fixed number in flight. Not part of `npm run bench` (which
// measures servers end to end); run it by hand:
//
//   npx tsx bench/redis-store.ts [inFlight=256] [ops=40000]
//
// Rows: push (one notification to one of 1,000 sessions), claim + finish (one request
// de-duplicated through its lease and answer), room signal (one script: membership checks,
// numbering, the answer recorded), resume (open with 20 pending).
import { cpus, loadavg } from 'node:os';
import { RedisStore } from '../src/redis/index.js';
import type { StoreConnection, StoreHints, StoreLimits } from '../src/server/store/store.js';
import { startRedis } from '../test/support/redis.js';

const IN_FLIGHT = Number(process.argv[2] ?? 256);
const OPS = Number(process.argv[3] ?? 40_000);
const SESSIONS = 1_000;

// The server's defaults (src/server/options.ts).
const LIMITS: StoreLimits = {
  maxBufferedNotifications: 1_000,
  maxBufferedBytes: 1_048_576,
  dedupeWindow: 60_000,
  dedupeLimit: 1_000,
  dedupeMaxBytes: 1_048_576,
  leaseMs: 10_000,
  nodeTtl: 10_000,
  sessionTtl: 30_000,
  maxPeers: 64,
  maxRooms: 32,
};

const quiet: StoreHints = { notes() {}, answer() {}, revoked() {}, resync() {}, health() {} };

const head = (data: unknown) => JSON.stringify({ type: 'notification', method: 'm', data }).slice(0, -1);
const PAYLOAD = 'x'.repeat(160); // about a 200-byte notification
const note = (room?: string) => {
  const h = head({ p: PAYLOAD });
  return { head: h, bytes: Buffer.byteLength(h), sender: '', bulk: false, room };
};

/** Runs `op(i)` for i in [0, total) with `inFlight` at once; returns ops/s. */
async function rate(total: number, inFlight: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) await op(next++);
    }),
  );
  return total / ((performance.now() - started) / 1_000);
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const rows: Array<[string, number]> = [];
  const memory: Array<[string, number]> = [];
  let conn: StoreConnection | undefined;
  try {
    conn = await new RedisStore({ url: redis.url, prefix: 'bench:' }).connect('node-a', quiet, LIMITS);
    const c = conn;
    const now = Date.now();
    const peers = Array.from({ length: SESSIONS }, (_, i) => `p${i}`);
    await rate(SESSIONS, IN_FLIGHT, (i) => c.open({ peerId: peers[i]!, create: true, ack: undefined, now }));

    const n = note();
    rows.push(['push, 1 recipient', await rate(OPS, IN_FLIGHT, (i) => c.push([peers[i % SESSIONS]!], n))]);
    await rate(SESSIONS, IN_FLIGHT, (i) => c.ack(peers[i]!, 1e9));

    rows.push([
      'claim + finish',
      await rate(OPS / 2, IN_FLIGHT, async (i) => {
        const peer = peers[i % SESSIONS]!;
        const claim = await c.claim(peer, `r${i}`, now);
        if (claim.kind !== 'run') throw new Error(`unexpected ${claim.kind}`);
        await c.finish(peer, `r${i}`, claim.fence, '{"type":"response","id":"r","ok":true}', now);
      }),
    ]);

    // Rooms of two: each member signals the other.
    const join = (peer: string, room: string, id: string) =>
      c.room({ op: 'join', peerId: peer, requestId: id, room, member: JSON.stringify({ id: peer, meta: null }), note: note(room), answer: ['{"peers":[', ']}'], now });
    await rate(SESSIONS, IN_FLIGHT, (i) => join(peers[i]!, `room${i >> 1}`, `j${i}`));
    await rate(SESSIONS, IN_FLIGHT, (i) => c.ack(peers[i]!, 1e9));
    const signalNote = note('room');
    rows.push([
      'room signal',
      await rate(OPS, IN_FLIGHT, (i) => {
        const from = i % SESSIONS;
        return c.room({ op: 'signal', peerId: peers[from]!, requestId: `s${i}`, room: `room${from >> 1}`, to: peers[from ^ 1]!, note: signalNote, answer: '{"ok":true}', now });
      }),
    ]);

    // Resume with 20 pending each.
    await rate(SESSIONS, IN_FLIGHT, (i) => c.ack(peers[i]!, 1e9));
    await rate(SESSIONS * 20, IN_FLIGHT, (i) => c.push([peers[i % SESSIONS]!], n));
    rows.push(['resume, 20 pending', await rate(SESSIONS, Math.min(IN_FLIGHT, 64), (i) => c.open({ peerId: peers[i]!, create: false, ack: undefined, now }))]);

    // Redis memory per session and per pending notification, from INFO's used_memory.
    const used = async () => Number(/used_memory:(\d+)/.exec(String(await redis.command(['INFO', 'memory'])))![1]);
    await rate(SESSIONS, IN_FLIGHT, (i) => c.ack(peers[i]!, 1e9));
    const fresh = Array.from({ length: 10_000 }, (_, i) => `m${i}`);
    let before = await used();
    await rate(fresh.length, IN_FLIGHT, (i) => c.open({ peerId: fresh[i]!, create: true, ack: undefined, now }));
    memory.push(['session (empty)', ((await used()) - before) / fresh.length]);
    before = await used();
    await rate(fresh.length * 10, IN_FLIGHT, (i) => c.push([fresh[i % fresh.length]!], n));
    memory.push([`pending notification (${n.bytes + 10} B frame)`, ((await used()) - before) / (fresh.length * 10)]);
  } finally {
    await conn?.disconnect();
    await redis.stop();
  }
  console.log(`Redis store, ${IN_FLIGHT} in flight (resume: ${Math.min(IN_FLIGHT, 64)}), ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}`);
  console.log('| operation | ops/s |\n|---|---|');
  for (const [name, value] of rows) console.log(`| ${name} | ${Math.round(value).toLocaleString('en-US')} |`);
  console.log('\n| Redis memory | bytes each |\n|---|---|');
  for (const [name, value] of memory) console.log(`| ${name} | ${Math.round(value)} |`);
}

await main();
