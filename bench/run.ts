// `npm run bench`: throughput, dead-link detection, crash recovery and failover, in-flight
// requests at a crash, and bundle size, for resignal vs raw ws vs socket.io vs protoo.
// Writes bench/results/results.md, results.json and chart.svg. See bench/README.md.
//
//   npm run bench                    full run (~4 min)
//   npm run bench -- --quick         fewer rounds and a shorter cap, for trying things out
//   npm run bench -- --no-build      use dist/ as it is (default: `npm run build` first)
//   npm run bench -- --profile       also write bench/results/profile.md (CPU profiles)
//   npm run bench -- --only cluster  only the cluster suite (two nodes + Redis): cluster.md
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killAllServers } from './lib/child.js';
import { writeReport, type BenchResults } from './lib/report.js';
import { resignalSource } from './lib/resignal-module.js';
import { log } from './lib/util.js';
import { runBundle } from './suites/bundle.js';
import { runCallCost, runCallCostIsolated, writeCallCost } from './suites/call-cost.js';
import { runCluster, writeCluster } from './suites/cluster.js';
import { runCrash } from './suites/crash.js';
import { runDeadLink } from './suites/deadlink.js';
import { runRecovery } from './suites/recovery.js';
import { runThroughput } from './suites/throughput.js';
import { runLatency, runServerCpu } from './suites/concurrency.js';
import { runFanout } from './suites/fanout.js';
import { runIdle } from './suites/idle.js';
import type { ScaleResults } from './lib/report-scale.js';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const ROOT = fileURLToPath(new URL('../', import.meta.url));

const config = {
  rounds: Number(process.env.BENCH_ROUNDS ?? (quick ? 3 : 7)),
  windowMs: Number(process.env.BENCH_WINDOW_MS ?? (quick ? 500 : 1000)),
  depth: 100,
  capS: Number(process.env.BENCH_CAP_S ?? (quick ? 30 : 70)),
  recoveryRounds: quick ? 2 : 5,
  crashCapS: quick ? 40 : 80,
};

/** A package's version: the bench's own dependencies first (bench/package.json), then the SDK's. */
function versionOf(name: string): string {
  const local = `${ROOT}bench/node_modules/${name}/package.json`;
  const file = existsSync(local) ? local : `${ROOT}node_modules/${name}/package.json`;
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) return match[1]!.trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown';
}

function nproc(): string {
  try {
    return execFileSync('nproc', { encoding: 'utf8' }).trim();
  } catch {
    return String(cpus().length);
  }
}

async function main(): Promise<void> {
  const started = new Date();
  const notes: string[] = [];
  if (!args.has('--no-build')) {
    log('building resignal (npm run build)');
    try {
      execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
    } catch {
      notes.push('`npm run build` failed: resignal ran from its TypeScript sources (through tsx) instead of dist/.');
    }
  }
  // Run from a snapshot of dist/: a rebuild during the run (it empties dist/ first) must not
  // pull files from under server processes that are started later.
  let snapshot: string | undefined;
  if (process.env.RESIGNAL_DIST === undefined && existsSync(`${ROOT}dist/index.mjs`)) {
    snapshot = mkdtempSync(join(tmpdir(), 'resignal-bench-dist-'));
    cpSync(`${ROOT}dist`, join(snapshot, 'dist'), { recursive: true });
    symlinkSync(`${ROOT}node_modules`, join(snapshot, 'node_modules'), 'dir');
    process.env.RESIGNAL_DIST = join(snapshot, 'dist');
    process.on('exit', () => rmSync(snapshot!, { recursive: true, force: true }));
  }
  process.env.RESIGNAL_SOURCE = resignalSource(); // server children load the same build
  const meta: BenchResults['meta'] = {
    date: started.toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    nproc: nproc(),
    cpu: cpuModel(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadBefore: loadavg().map((l) => l.toFixed(2)).join(' '),
    loadAfter: '',
    resignalSource: process.env.RESIGNAL_SOURCE,
    versions: {
      resignal: (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }).version,
      ws: versionOf('ws'),
      'socket.io': versionOf('socket.io'),
      'socket.io-client': versionOf('socket.io-client'),
      'protoo-server': versionOf('protoo-server'),
      'protoo-client': versionOf('protoo-client'),
      centrifuge: versionOf('centrifuge'),
      partysocket: versionOf('partysocket'),
    },
    config,
    durationS: 0,
  };
  log(`resignal from ${meta.resignalSource}; ${config.rounds} rounds of ${config.windowMs} ms; load ${meta.loadBefore}`);
  // Two nodes and Redis (and socket.io's Redis adapter): its own report, cluster.md.
  const cluster = () => runCluster({ quick, command: meta.command, log }).then((r) => log(`wrote ${writeCluster(r).join(', ')}`));
  if (process.argv.includes('--only') && process.argv[process.argv.indexOf('--only') + 1] === 'cluster') return cluster();

  // Throughput and the scale measurements run alone: they are the CPU-bound parts.
  const throughput = await runThroughput(config);
  const scale: ScaleResults = { failed: [] };
  const scaleStep = async <T>(what: string, run: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await run();
    } catch (error) {
      scale.failed.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      killAllServers();
      return undefined;
    }
  };
  scale.latency = await scaleStep('latency with 200 clients', () => runLatency({ clients: 200, rounds: quick ? 2 : 3, windowMs: config.windowMs }));
  scale.cpu = await scaleStep('server CPU per operation', () => runServerCpu({ ops: quick ? 4000 : 10_000, rounds: quick ? 2 : 3 }));
  scale.fanout = await scaleStep('room fan-out', () => runFanout({ members: 100, rounds: quick ? 2 : 3, windowMs: config.windowMs }));
  scale.idle = await scaleStep('idle clients', () => runIdle({ clients: quick ? 1000 : 5000, windowS: quick ? 5 : 20 }));
  // The rest is mostly waiting on timers, each library with its own server processes, so it
  // runs concurrently to keep the whole bench within a few minutes.
  const [deadLink, crash, recovery] = await Promise.all([
    runDeadLink({ capS: config.capS }),
    runCrash({ capS: config.crashCapS }),
    runRecovery({ rounds: config.recoveryRounds }),
  ]);
  const bundle = await runBundle();
  // Frames and bytes of one two-party call setup in Chromium: its own report, call-cost.md.
  try {
    const rows = runCallCostIsolated() ?? (await runCallCost(log));
    log(`wrote ${writeCallCost(rows, meta.command)}`);
  } catch (error) {
    notes.push(`The call-cost suite failed: ${String(error)}`);
  }

  await cluster().catch((error: unknown) => void notes.push(`The cluster suite failed: ${String(error)}`));

  meta.loadAfter = loadavg().map((l) => l.toFixed(2)).join(' ');
  meta.durationS = Math.round((Date.now() - started.getTime()) / 1000);
  const results: BenchResults = { meta, notes, throughput, deadLink, crash, recovery, bundle, scale };
  const files = writeReport(results);
  log(`wrote ${files.join(', ')} in ${meta.durationS} s`);

  if (args.has('--profile')) {
    const { runProfile } = await import('./profile.js');
    await runProfile();
    log('wrote bench/results/profile.md');
  }
}

// Nothing here should take long; a bug or a dead process must not leave the bench hanging.
const WATCHDOG_MS = 15 * 60_000;
setTimeout(() => {
  console.error(`bench: still running after ${WATCHDOG_MS / 60_000} minutes; giving up`);
  killAllServers();
  process.exit(2);
}, WATCHDOG_MS).unref();

main().then(
  () => {
    killAllServers();
    process.exit(0);
  },
  (error: unknown) => {
    console.error(error);
    killAllServers();
    process.exit(1);
  },
);
