// The cluster suite: resignal with RedisStore across two node processes (rates, latency,
// failover) and the same failover against socket.io with its Redis streams adapter.
// Writes bench/results/cluster.md and cluster.json. See ../cluster/ for the parts.
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runFailover, SOCKET_IO_DELAYS, type FailoverRow } from '../cluster/failover.js';
import { runFlow, type FlowRow } from '../cluster/flow.js';
import { resignalSource } from '../lib/resignal-module.js';

export interface ClusterResult {
  meta: { date: string; command: string; cpu: string; nproc: number; node: string; loadBefore: string; loadAfter: string; resignalSource: string; durationS: number };
  config: { peersPerNode: number; burst: number; signals: number; pacedRate: number; signalRate: number; pacedMs: number; failoverClients: number; failoverRate: number };
  flow: FlowRow[];
  failover: FailoverRow[];
}

const RESULTS = process.env.BENCH_OUT ? `${process.env.BENCH_OUT.replace(/\/$/, '')}/` : fileURLToPath(new URL('../results/', import.meta.url));
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

export async function runCluster(opts: { quick: boolean; command: string; log: (line: string) => void; execArgv?: string[]; flowOnly?: boolean; failoverOnly?: boolean }): Promise<ClusterResult> {
  const started = Date.now();
  const config = {
    peersPerNode: 20,
    burst: opts.quick ? 10_000 : 40_000,
    signals: opts.quick ? 5_000 : 20_000,
    pacedRate: 5_000,
    signalRate: 1_000,
    pacedMs: opts.quick ? 2_000 : 5_000,
    failoverClients: 20,
    failoverRate: 1_000,
  };
  const meta: ClusterResult['meta'] = {
    date: new Date(started).toISOString(),
    command: opts.command,
    cpu: cpus()[0]?.model ?? 'unknown',
    nproc: cpus().length,
    node: process.version,
    loadBefore: load(),
    loadAfter: '',
    resignalSource: resignalSource(),
    durationS: 0,
  };
  const flow = opts.failoverOnly ? [] : await runFlow({ ...config, capMs: 60_000, log: opts.log, execArgv: opts.execArgv });
  const failover: FailoverRow[] = [];
  if (!opts.flowOnly) {
    const f = { clients: config.failoverClients, rate: config.failoverRate, capMs: 60_000, log: opts.log };
    failover.push(await runFailover('resignal', f));
    failover.push(await runFailover('resignal', f, SOCKET_IO_DELAYS));
    failover.push(await runFailover('socket.io', f));
  }
  meta.loadAfter = load();
  meta.durationS = Math.round((Date.now() - started) / 1000);
  return { meta, config, flow, failover };
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const ms = (n: number | null | undefined) => (n === null || n === undefined || Number.isNaN(n) ? '—' : `${n < 10 ? n.toFixed(1) : Math.round(n)} ms`);

const perThousand = (f: FlowRow) => ['redis', 'a', 'b', 'peers'].map((k) => ((f.cpu[k]! * 1000) / f.sent).toFixed(0)).join(' / ');

export function writeCluster(r: ClusterResult): string[] {
  const c = r.config;
  const lines = [
    '# Cluster benchmark',
    '',
    `${r.meta.date}, \`${r.meta.command}\`, ${r.meta.nproc} × ${r.meta.cpu}, Node ${r.meta.node}, resignal from ${r.meta.resignalSource}/, load average ${r.meta.loadBefore} before and ${r.meta.loadAfter} after (1, 5, 15 min), ${r.meta.durationS} s.`,
    '',
    `One redis-server and two node processes on this machine, Peers in the bench process (${c.peersPerNode} on each node). Bursts: ${int(c.burst)} notifications sent by node A as fast as it can (server.notify, round robin over the Peers), rate = count / (last arrival − start); ${int(c.signals)} room signals from the Peers on A to their partner on B (rooms of two, 32 in flight per sender). Paced: notifications at ${int(c.pacedRate)}/s and room signals at ${int(c.signalRate)}/s for ${c.pacedMs / 1000} s, latency = arrival at the Peer − send time (monotonic clock, first 500 ms dropped). CPU: milliseconds of CPU per 1,000 messages spent by redis-server / node A / node B / the Peers' process during the run (from /proc).`,
    '',
    '| Through Redis | Sent | Arrived | Duplicated | Rate | p50 | p99 | Max | CPU ms per 1,000: redis / A / B / Peers |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...r.flow.map((f) => `| ${f.what} | ${int(f.sent)} | ${int(f.arrived)} | ${f.duplicates} | ${f.p50 === undefined ? `**${int(f.rate)}/s**` : `${int(f.rate)}/s (paced)`} | ${f.p50 === undefined ? '' : ms(f.p50)} | ${f.p99 === undefined ? '' : `**${ms(f.p99)}**`} | ${f.max === undefined ? '' : ms(f.max)} | ${perThousand(f)} |`),
    '',
    ...(r.failover.length === 0 ? [] : failoverSection(r))
  ];
  writeFileSync(`${RESULTS}cluster.md`, lines.join('\n'));
  writeFileSync(`${RESULTS}cluster.json`, `${JSON.stringify(r, null, 2)}\n`);
  return [`${RESULTS}cluster.md`, `${RESULTS}cluster.json`];
}

function failoverSection(r: ClusterResult): string[] {
  const c = r.config;
  return [
    `## A node SIGKILLed under load`,
    '',
    `${c.failoverClients} clients connected through a TCP switch (new connections go to node A while it accepts them, else to node B) all land on A. Node B sends them ${int(c.failoverRate)} numbered messages/s in total, continuously. 1.5 s later node A is SIGKILLed. Reconnect = SIGKILL until the client is connected again (resignal \`open\`, socket.io \`connect\`), library defaults for reconnecting (resignal's first reconnect waits 2 s ± 20 %, socket.io's 1 s ± 50 %; the second resignal row starts at 1 s). B stops 3 s after the last client is back; lost and duplicated are counted by sequence number once the rest arrived (or nothing more arrived for 5 s). "Told of": the count in resignal's \`notifications-lost\` events (socket.io has no such signal; \`recovered: false\` says only that something may be missing).`,
    '',
    '| Library | Back on B | Resumed / recovered | Link down seen (median) | Reconnect median | Reconnect worst | Attempts median / worst | Sent | Lost | Duplicated | Clients with a loss | Loss the client was told of |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.failover.map((f) => `| ${f.library} | ${f.reconnected}/${f.clients} | ${f.resumed}/${f.clients} | ${ms(f.downMedianMs)} | ${ms(f.reconnectMedianMs)} | ${ms(f.reconnectMaxMs)} | ${f.attemptsMedian} / ${f.attemptsMax} | ${int(f.sent)} | **${int(f.lost)}** | **${int(f.duplicates)}** | ${f.clientsWithLoss} | ${f.library.startsWith('resignal') ? int(f.reportedLost) : '—'} |`),
    '',
    'What the clients saw between the kill and being back (event × count):',
    '',
    ...r.failover.map((f) => `- ${f.library}: ${Object.entries(f.failures).map(([why, n]) => `${why} × ${n}`).join('; ') || 'none'}`),
    '',
  ];
}
