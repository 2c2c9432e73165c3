// Runs only the throughput rounds and the scale measurements (200 clients, server CPU per
// operation, room fan-out, 5,000 idle clients), without the rest of the bench: for trying
// changes. Uses dist/ when built (npm run build), like the bench.
//   npx tsx bench/scale.ts [throughput|latency|cpu|fanout|idle]...
import { killAllServers } from './lib/child.js';
import { runLatency, runServerCpu } from './suites/concurrency.js';
import { runFanout } from './suites/fanout.js';
import { runIdle } from './suites/idle.js';
import { runThroughput } from './suites/throughput.js';

const picked = new Set(process.argv.slice(2));
const all = picked.size === 0;
const out: Record<string, unknown> = {};
if (all || picked.has('throughput')) out.throughput = (({ ratio, median, problems }) => ({ ratio, median, problems }))(await runThroughput({ rounds: 3, windowMs: 1000, depth: 100 }));
if (all || picked.has('latency')) out.latency = await runLatency({ clients: 200, rounds: 3, windowMs: 1000 });
if (all || picked.has('cpu')) out.cpu = await runServerCpu({ ops: 10_000, rounds: 3 });
if (all || picked.has('fanout')) out.fanout = await runFanout({ members: 100, rounds: 3, windowMs: 1000 });
if (all || picked.has('idle')) out.idle = await runIdle({ clients: 5000, windowS: 20 });
console.log(JSON.stringify(out, null, 1));
killAllServers();
process.exit(0);
