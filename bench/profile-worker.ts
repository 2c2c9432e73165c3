// One profiled workload against the resignal server (see profile.ts). Run as
//   node --cpu-prof --cpu-prof-dir=DIR --import tsx bench/profile-worker.ts <workload> <port> <ms>
// Prints the number of operations done as JSON on stdout.
import { resignal } from './clients/resignal.js';
import { rawWs } from './clients/ws.js';
import { notifications, pipelined, sequential, type Run } from './suites/throughput.js';

const [workload, port, ms, lib] = process.argv.slice(2);
const contender = lib === 'ws' ? rawWs : resignal;
const client = await contender.connect({ targets: [{ host: '127.0.0.1', port: Number(port) }] });
const windowMs = Number(ms);
const problems: string[] = [];
const report = (what: string, n: number) => problems.push(`${n} ${what}`);
let run: Run;
if (workload === 'sequential') run = await sequential(client, windowMs, report);
else if (workload === 'pipelined') run = await pipelined(client, windowMs, 100, report);
else run = await notifications(client, windowMs, report);
client.close();
process.stdout.write(`${JSON.stringify({ workload, ...run, problems })}\n`);
setTimeout(() => process.exit(0), 50);
