// A/B of the idle cost of two (or three, with AB_C) resignal builds, interleaved in one run
// (A, B, B, A...): the idle suite's measurement (bench/suites/idle.ts) for resignal only.
//   AB_A=/path/to/baseline/dist AB_B=/path/to/candidate/dist [AB_C=...] tsx bench/idle-ab.ts [clients=5000] [windowS=20] [rounds=2]
// Each build gets its own server process (RESIGNAL_DIST) and its clients load that build.
// Prints, per run, the server's and the clients' CPU as % of one core, and the server's CPU
// µs per ping-equivalent (one per client per 5 s, the default heartbeat), with the load average.
import { loadavg } from 'node:os';
import { resignal } from './clients/resignal.js';
import { ServerChild } from './lib/child.js';
import { sleep } from './lib/util.js';
import { connectAll, cpuWindow } from './suites/idle.js';

const builds: Record<string, string | undefined> = { A: process.env.AB_A, B: process.env.AB_B, C: process.env.AB_C };
const names = builds.C ? ['A', 'B', 'C'] : ['A', 'B'];
if (!builds.A || !builds.B) throw new Error('set AB_A and AB_B to two dist directories');
const n = Number(process.argv[2] ?? 5000);
const windowS = Number(process.argv[3] ?? 20);
const rounds = Number(process.argv[4] ?? 2);
process.env.RESIGNAL_SOURCE = 'dist';

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

async function measure(name: string): Promise<void> {
  process.env.RESIGNAL_DIST = builds[name];
  const server = await ServerChild.start('resignal', { env: { RESIGNAL_DIST: builds[name]!, RESIGNAL_SOURCE: 'dist' } });
  const clients = await connectAll(resignal, server.port, n, 5_000, 60_000);
  await sleep(6_000); // the connection burst, opening pings and JIT settle
  const loadBefore = load();
  const { serverUsed, clientUsed, elapsedUs } = await cpuWindow(clients[0]!, windowS);
  const perPing = serverUsed / ((clients.length * elapsedUs) / 5_000_000);
  console.log(
    `${name} ${new Date().toISOString()}: ${clients.length} clients, server ${((100 * serverUsed) / elapsedUs).toFixed(2)}% of a core, ` +
      `clients ${((100 * clientUsed) / elapsedUs).toFixed(2)}%, ${perPing.toFixed(1)} µs per ping-equivalent; load ${loadBefore} -> ${load()}`,
  );
  for (const c of clients) c.close();
  await server.kill();
  await sleep(1_000);
}

for (let round = 0; round < rounds; round++) {
  for (const name of round % 2 === 0 ? names : [...names].reverse()) await measure(name);
}
process.exit(0);
