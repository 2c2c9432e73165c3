// Room fan-out: 100 members and one sender in one room; the sender broadcasts a 200-byte
// payload with 10 broadcasts in flight for the window, and every member counts what it gets.
// Rate: deliveries (broadcasts × members reached) per second, counted until the last one
// sent has reached every member. resignal uses its built-in rooms, socket.io its rooms
// (socket.to(room).emit), raw ws the bench server's Map of Sets; protoo has no rooms.
import type { BenchClient } from '../clients/types.js';
import { ServerChild } from '../lib/child.js';
import { CONTENDERS } from '../lib/contenders.js';
import { deadline, log, median, now, payload } from '../lib/util.js';

const DATA = payload(200);
const ROOM = 'fanout';
const IN_FLIGHT = 10;
/** After the window, how long the last broadcasts may take to reach everyone. */
const GRACE_MS = 10_000;

export interface FanoutResult {
  members: number;
  rounds: number;
  windowMs: number;
  libraries: string[];
  /** Deliveries per second, per library, one per round. */
  samples: Record<string, number[]>;
  /** Median of per-round ratios to raw ws. */
  ratio: Record<string, number>;
  problems: string[];
}

interface Group {
  sender: BenchClient;
  members: BenchClient[];
  delivered: number;
  /** Resolves when `delivered` reaches `target`. */
  waiter?: { target: number; resolve(): void };
}

async function group(i: number, port: number, members: number): Promise<Group> {
  const contender = CONTENDERS[i]!.client;
  const connect = () => contender.connect({ targets: [{ host: '127.0.0.1', port }] });
  const sender = await connect();
  const g: Group = { sender, members: [], delivered: 0 };
  await sender.rooms!.join(ROOM);
  for (let k = 0; k < members; k += 25) {
    const batch = await Promise.all(Array.from({ length: Math.min(25, members - k) }, connect));
    for (const member of batch) {
      member.rooms!.onBroadcast(() => {
        g.delivered++;
        if (g.waiter !== undefined && g.delivered >= g.waiter.target) {
          const { resolve } = g.waiter;
          g.waiter = undefined;
          resolve();
        }
      });
      await member.rooms!.join(ROOM);
    }
    g.members.push(...batch);
  }
  return g;
}

async function round(g: Group, windowMs: number): Promise<{ rate: number; missing: number }> {
  const start = now();
  const end = start + windowMs;
  const first = g.delivered;
  let sent = 0;
  const lane = async () => {
    while (now() < end) {
      sent++;
      await g.sender.rooms!.broadcast(ROOM, DATA);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  const target = first + sent * g.members.length;
  const reached = await Promise.race([
    g.delivered >= target ? Promise.resolve(true) : new Promise<boolean>((resolve) => (g.waiter = { target, resolve: () => resolve(true) })),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), GRACE_MS)),
  ]);
  g.waiter = undefined;
  return { rate: (g.delivered - first) / ((now() - start) / 1000), missing: reached ? 0 : target - g.delivered };
}

export async function runFanout(opts: { members: number; rounds: number; windowMs: number }): Promise<FanoutResult> {
  const { members, rounds, windowMs } = opts;
  const picked = CONTENDERS.map((c, i) => ({ ...c, i })).filter(({ lib }) => lib !== 'protoo');
  const servers = await Promise.all(picked.map(({ lib }) => ServerChild.start(lib)));
  const groups: Group[] = [];
  for (const [k, { i }] of picked.entries()) groups.push(await group(i, servers[k]!.port, members));
  const result: FanoutResult = { members, rounds, windowMs, libraries: picked.map(({ client }) => client.name), samples: {}, ratio: {}, problems: [] };
  for (const { client } of picked) result.samples[client.name] = [];
  for (const g of groups) await round(g, Math.min(300, windowMs)); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < picked.length; k++) {
      const j = (k + r) % picked.length;
      const name = picked[j]!.client.name;
      const { rate, missing } = await Promise.race([round(groups[j]!, windowMs), servers[j]!.unexpectedExit(), deadline(windowMs + GRACE_MS + 30_000, `fan-out: ${name}`)]);
      if (missing > 0) result.problems.push(`${name}: ${missing} deliveries had not arrived ${GRACE_MS / 1000} s after round ${r + 1}`);
      result.samples[name]!.push(rate);
    }
    log(`fan-out round ${r + 1}/${rounds} (${members} members): ${picked.map(({ client }) => `${client.name} ${Math.round(result.samples[client.name]!.at(-1)!)}/s`).join(' | ')}`);
  }
  for (const g of groups) [g.sender, ...g.members].forEach((client) => client.close());
  await Promise.all(servers.map((server) => server.kill()));
  for (const { client } of picked) result.ratio[client.name] = median(result.samples[client.name]!.map((v, r) => v / result.samples.ws![r]!));
  return result;
}
