// The cluster suite on its own (`npm run bench -- --only cluster` runs the same):
//   npx tsx bench/cluster.ts [--quick]
// Uses dist/ when built (RESIGNAL_SOURCE=src|dist forces one). Writes bench/results/cluster.md.
import { log } from './lib/util.js';
import { runCluster, writeCluster } from './suites/cluster.js';

const quick = process.argv.includes('--quick');
const result = await runCluster({ quick, command: `npx tsx bench/cluster.ts${quick ? ' --quick' : ''}`, log });
log(`wrote ${writeCluster(result).join(', ')}`);
process.exit(0);
