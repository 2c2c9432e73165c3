// A/B of two resignal builds against raw ws, interleaved in one run, for trying a change:
//   AB_A=/path/to/baseline/dist AB_B=/path/to/candidate/dist tsx bench/ab.ts [rounds] [windowMs]
// Each build gets its own server process (RESIGNAL_DIST) and its client loads that build.
// Prints per-metric medians of the per-round ratios to ws, and CPU µs per op.
import { rawWs } from './clients/ws.js';
import { resignal } from './clients/resignal.js';
import type { BenchClient } from './clients/types.js';
import { ServerChild } from './lib/child.js';
import { median } from './lib/util.js';
import { notifications, pipelined, pushes, sequential, type Run } from './suites/throughput.js';

const builds = { A: process.env.AB_A, B: process.env.AB_B };
if (!builds.A || !builds.B) throw new Error('set AB_A and AB_B to two dist directories');
const rounds = Number(process.argv[2] ?? 6);
const windowMs = Number(process.argv[3] ?? 700);
process.env.RESIGNAL_SOURCE = 'dist';

const names = ['ws', 'A', 'B'] as const;
const servers: ServerChild[] = [];
const clients: BenchClient[] = [];
for (const name of names) {
  const lib = name === 'ws' ? 'ws' : 'resignal';
  const env: Record<string, string> = name === 'ws' ? {} : { RESIGNAL_DIST: builds[name]!, RESIGNAL_SOURCE: 'dist' };
  const server = await ServerChild.start(lib, { env });
  servers.push(server);
  if (name !== 'ws') process.env.RESIGNAL_DIST = builds[name];
  clients.push(await (name === 'ws' ? rawWs : resignal).connect({ targets: [{ host: '127.0.0.1', port: server.port }] }));
}

const metrics = ['sequential', 'pipelined', 'notifications', 'pushes'] as const;
type Metric = (typeof metrics)[number];
const runs: Record<Metric, (c: BenchClient, ms: number) => Promise<Run>> = {
  sequential: (c, ms) => sequential(c, ms),
  pipelined: (c, ms) => pipelined(c, ms, 100),
  notifications: (c, ms) => notifications(c, ms),
  pushes: (c, ms) => pushes(c, ms),
};
const rate: Record<string, Record<Metric, number[]>> = {};
const cpu: Record<string, Record<Metric, Array<[number, number]>>> = {};
for (const n of names) {
  rate[n] = { sequential: [], pipelined: [], notifications: [], pushes: [] };
  cpu[n] = { sequential: [], pipelined: [], notifications: [], pushes: [] };
}

const serverCpu = async (c: BenchClient) => ((await c.request('stats', null)) as { cpuUs: number }).cpuUs;
for (let round = -1; round < rounds; round++) {
  for (const metric of metrics) {
    for (let k = 0; k < names.length; k++) {
      const i = (k + Math.max(round, 0)) % names.length;
      const client = clients[i]!;
      const s0 = await serverCpu(client);
      const c0 = process.cpuUsage();
      const run = await runs[metric](client, round < 0 ? 300 : windowMs);
      const cu = process.cpuUsage(c0);
      const s1 = await serverCpu(client);
      if (round < 0) continue;
      rate[names[i]!]![metric].push(run.ops / run.seconds);
      cpu[names[i]!]![metric].push([(cu.user + cu.system) / run.ops, (s1 - s0) / run.ops]);
    }
  }
}
for (const c of clients) c.close();
await Promise.all(servers.map((s) => s.kill()));

for (const metric of metrics) {
  const line = [`${metric.padEnd(13)} ws ${Math.round(median(rate.ws![metric]))}/s`];
  for (const n of ['A', 'B'] as const) {
    const ratios = rate[n]![metric].map((v, r) => v / rate.ws![metric][r]!);
    const cl = median(cpu[n]![metric].map((x) => x[0]));
    const sv = median(cpu[n]![metric].map((x) => x[1]));
    line.push(`${n} ${median(ratios).toFixed(2)} (${ratios.map((r) => r.toFixed(2)).join(' ')}) cpu c/s ${cl.toFixed(1)}/${sv.toFixed(1)}`);
  }
  const wc = median(cpu.ws![metric].map((x) => x[0]));
  const ws = median(cpu.ws![metric].map((x) => x[1]));
  line.push(`ws cpu ${wc.toFixed(1)}/${ws.toFixed(1)}`);
  console.log(line.join(' | '));
}
