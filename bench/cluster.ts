// The cluster suite on its own (`npm run bench -- --only cluster` runs the same):
//   npx tsx bench/cluster.ts [--quick] [--flow | --failover] [--profile]
// Uses dist/ when built (RESIGNAL_SOURCE=src|dist forces one). Writes bench/results/cluster.md.
// --profile: only the rates and latencies, with both nodes under --cpu-prof; prints where
// their time went instead of writing results.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarize } from './lib/cpuprofile.js';
import { log } from './lib/util.js';
import { runCluster, writeCluster } from './suites/cluster.js';

const quick = process.argv.includes('--quick');
if (process.argv.includes('--profile')) {
  const dir = mkdtempSync(join(tmpdir(), 'resignal-cluster-prof-'));
  await runCluster({ quick, command: '', log, flowOnly: true, execArgv: ['--cpu-prof', '--cpu-prof-dir', dir] });
  for (const file of readdirSync(dir)) {
    const s = summarize(join(dir, file));
    console.log(`\n## ${file}: busy ${Math.round(s.busyMs)} of ${Math.round(s.wallMs)} ms`);
    console.log('self ms by function:');
    for (const f of [...s.functions].sort((x, y) => y.selfMs - x.selfMs).slice(0, 25)) console.log(`  ${f.selfMs.toFixed(0).padStart(6)}  ${f.name}`);
    console.log('total ms by function (src/):');
    for (const f of s.functions.filter((f) => f.name.startsWith('src/')).sort((x, y) => y.totalMs - x.totalMs).slice(0, 25)) console.log(`  ${f.totalMs.toFixed(0).padStart(6)}  ${f.name}`);
  }
} else {
  // --flow: rates and latencies only, no failover runs.
  const flowOnly = process.argv.includes('--flow');
  // --failover: the SIGKILL runs only.
  const failoverOnly = process.argv.includes('--failover');
  const result = await runCluster({ quick, flowOnly, failoverOnly, command: `npx tsx bench/cluster.ts${process.argv.slice(2).map((a) => ` ${a}`).join('')}`, log });
  log(`wrote ${writeCluster(result).join(', ')}`);
}
process.exit(0);
