// Many clients at once, and what each operation costs the server:
//  - latency: 200 clients on one server, each doing sequential "echo" requests for the window;
//    every round trip is timed. p50 and p99 per round, interleaved rounds, medians.
//  - server CPU per operation: a fixed number of operations (requests with 100 in flight,
//    client->server notifications, server->client notifications) on one client, with the
//    server process's CPU time (process.cpuUsage, read through "stats") before and after.
import type { BenchClient } from '../clients/types.js';
import { ServerChild } from '../lib/child.js';
import { CONTENDERS } from '../lib/contenders.js';
import { deadline, log, median, now, payload } from '../lib/util.js';
import { pushes } from './throughput.js';

const DATA = payload(200);

export interface LatencyResult {
  clients: number;
  rounds: number;
  windowMs: number;
  /** Per library, one entry per round: ms. */
  p50: Record<string, number[]>;
  p99: Record<string, number[]>;
  /** Requests answered per second, all clients together, one per round. */
  rate: Record<string, number[]>;
  /** Median of per-round p99 / ws's p99 in the same round. */
  p99Ratio: Record<string, number>;
  p50Ratio: Record<string, number>;
}

export interface CpuResult {
  ops: number;
  rounds: number;
  /** Server CPU µs per operation, per library, per kind, one per round. */
  server: Record<string, Record<CpuKind, number[]>>;
}

export const CPU_KINDS = ['request', 'notification', 'push'] as const;
export type CpuKind = (typeof CPU_KINDS)[number];

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function connectMany(i: number, port: number, n: number): Promise<BenchClient[]> {
  const clients: BenchClient[] = [];
  // In batches, so connecting is quick without a thundering herd of handshakes.
  for (let k = 0; k < n; k += 50) {
    const batch = Array.from({ length: Math.min(50, n - k) }, () => CONTENDERS[i]!.client.connect({ targets: [{ host: '127.0.0.1', port }] }));
    clients.push(...(await Promise.all(batch)));
  }
  return clients;
}

async function latencyRound(clients: BenchClient[], windowMs: number): Promise<{ p50: number; p99: number; rate: number }> {
  const times: number[] = [];
  const start = now();
  const end = start + windowMs;
  await Promise.all(
    clients.map(async (client) => {
      while (now() < end) {
        const t0 = now();
        await client.request('echo', DATA);
        times.push(now() - t0);
      }
    }),
  );
  const sorted = Float64Array.from(times).sort();
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), rate: times.length / ((now() - start) / 1000) };
}

export async function runLatency(opts: { clients: number; rounds: number; windowMs: number }): Promise<LatencyResult> {
  const { clients: n, rounds, windowMs } = opts;
  const servers = await Promise.all(CONTENDERS.map(({ lib }) => ServerChild.start(lib)));
  const pools: BenchClient[][] = [];
  for (let i = 0; i < CONTENDERS.length; i++) pools.push(await connectMany(i, servers[i]!.port, n));
  const result: LatencyResult = { clients: n, rounds, windowMs, p50: {}, p99: {}, rate: {}, p99Ratio: {}, p50Ratio: {} };
  for (const { client } of CONTENDERS) {
    result.p50[client.name] = [];
    result.p99[client.name] = [];
    result.rate[client.name] = [];
  }
  for (let i = 0; i < CONTENDERS.length; i++) await latencyRound(pools[i]!, Math.min(500, windowMs)); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < CONTENDERS.length; k++) {
      const i = (k + round) % CONTENDERS.length;
      const name = CONTENDERS[i]!.client.name;
      const r = await Promise.race([latencyRound(pools[i]!, windowMs), servers[i]!.unexpectedExit(), deadline(windowMs + 30_000, `latency: ${name}`)]);
      result.p50[name]!.push(r.p50);
      result.p99[name]!.push(r.p99);
      result.rate[name]!.push(r.rate);
    }
    log(`latency round ${round + 1}/${rounds} (${n} clients): ${CONTENDERS.map(({ client }) => `${client.name} p99 ${result.p99[client.name]!.at(-1)!.toFixed(1)} ms`).join(' | ')}`);
  }
  for (const pool of pools) pool.forEach((client) => client.close());
  await Promise.all(servers.map((server) => server.kill()));
  for (const { client } of CONTENDERS) {
    const name = client.name;
    result.p99Ratio[name] = median(result.p99[name]!.map((v, r) => v / result.p99.ws![r]!));
    result.p50Ratio[name] = median(result.p50[name]!.map((v, r) => v / result.p50.ws![r]!));
  }
  return result;
}

const serverCpu = async (client: BenchClient) => ((await client.request('stats', null)) as { cpuUs: number }).cpuUs;

/** `ops` requests, 100 in flight. */
async function requests(client: BenchClient, ops: number): Promise<void> {
  let left = ops;
  const lane = async () => {
    while (left > 0) {
      left--;
      await client.request('echo', DATA);
    }
  };
  await Promise.all(Array.from({ length: 100 }, lane));
}

/** `ops` notifications, 100 per event-loop turn; the "stats" request after them is answered once all were handled. */
async function notifications(client: BenchClient, ops: number): Promise<void> {
  for (let sent = 0; sent < ops; sent += 100) {
    for (let i = 0; i < 100; i++) client.notify('note', DATA);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

export async function runServerCpu(opts: { ops: number; rounds: number }): Promise<CpuResult> {
  const { ops, rounds } = opts;
  const servers = await Promise.all(CONTENDERS.map(({ lib }) => ServerChild.start(lib)));
  const clients: BenchClient[] = [];
  for (const [i, { client }] of CONTENDERS.entries()) clients.push(await client.connect({ targets: [{ host: '127.0.0.1', port: servers[i]!.port }] }));
  const result: CpuResult = { ops, rounds, server: {} };
  for (const { client } of CONTENDERS) result.server[client.name] = { request: [], notification: [], push: [] };
  const once = async (i: number, kind: CpuKind, count: number) => {
    const client = clients[i]!;
    const before = await serverCpu(client);
    if (kind === 'request') await requests(client, count);
    else if (kind === 'notification') await notifications(client, count);
    else await pushesOf(client, count);
    return ((await serverCpu(client)) - before) / count;
  };
  for (let i = 0; i < CONTENDERS.length; i++) {
    for (const kind of CPU_KINDS) await Promise.race([once(i, kind, Math.min(2000, ops)), deadline(60_000, `server CPU warm-up: ${CONTENDERS[i]!.client.name} ${kind}`)]);
  }
  for (let round = 0; round < rounds; round++) {
    for (const kind of CPU_KINDS) {
      for (let k = 0; k < CONTENDERS.length; k++) {
        const i = (k + round) % CONTENDERS.length;
        const us = await Promise.race([once(i, kind, ops), servers[i]!.unexpectedExit(), deadline(60_000, `server CPU: ${CONTENDERS[i]!.client.name} ${kind}`)]);
        result.server[CONTENDERS[i]!.client.name]![kind].push(us);
      }
    }
    log(`server CPU round ${round + 1}/${rounds}: ${CONTENDERS.map(({ client }) => `${client.name} ${CPU_KINDS.map((k) => result.server[client.name]![k].at(-1)!.toFixed(1)).join('/')} µs`).join(' | ')}`);
  }
  for (const client of clients) client.close();
  await Promise.all(servers.map((server) => server.kill()));
  return result;
}

/** Exactly `count` server->client notifications (a multiple of 100). */
async function pushesOf(client: BenchClient, count: number): Promise<void> {
  await pushes(client, 0, Math.ceil(count / 100));
}
