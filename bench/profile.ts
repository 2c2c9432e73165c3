// CPU profiles of resignal (client and server) under the three throughput workloads, next
// to raw ws under the same workloads, to show where resignal's time per message goes.
//   npm run bench -- --profile     (or: tsx bench/profile.ts)
// Each workload runs alone: the server child and the client child both run with
// `node --cpu-prof`; the profiles are summarized into bench/results/profile.md.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServerChild, type LibName } from './lib/child.js';
import { resignalSource } from './lib/resignal-module.js';
import { summarize, type ProfileSummary } from './lib/cpuprofile.js';
import { log } from './lib/util.js';
import { runMicro } from './micro.js';

const WORKER = fileURLToPath(new URL('./profile-worker.ts', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const WORKLOADS = ['sequential', 'pipelined', 'notifications'] as const;
const WINDOW_MS = Number(process.env.PROFILE_MS ?? 4000);

interface Side {
  summary: ProfileSummary;
  ops: number;
}

const profileIn = (dir: string) => {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  return summarize(join(dir, file));
};

async function profileOne(lib: LibName, workload: string, root: string): Promise<{ client: Side; server: Side }> {
  const serverDir = join(root, `${lib}-${workload}-server`);
  const clientDir = join(root, `${lib}-${workload}-client`);
  const server = await ServerChild.start(lib, { execArgv: ['--cpu-prof', `--cpu-prof-dir=${serverDir}`] });
  const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${clientDir}`, '--import', 'tsx', WORKER, workload, String(server.port), String(WINDOW_MS), lib], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  await server.stop();
  const { ops } = JSON.parse(out.trim().split('\n').at(-1)!) as { ops: number };
  return { client: { summary: profileIn(clientDir), ops }, server: { summary: profileIn(serverDir), ops } };
}

const us = (ms: number, ops: number) => ((ms * 1000) / ops).toFixed(2);

/** The functions of the repository's src/ (plus the libraries they call) with the most total time. */
function table(side: Side, filter: (name: string) => boolean, limit: number): string {
  const rows = side.summary.functions
    .filter((f) => filter(f.name))
    .sort((a, b) => b.totalMs - a.totalMs)
    .slice(0, limit)
    .map((f) => `| \`${f.name}\` | ${us(f.totalMs, side.ops)} | ${us(f.selfMs, side.ops)} | ${((100 * f.totalMs) / side.summary.busyMs).toFixed(1)}% |`);
  return ['| function (file:function) | total µs/op | self µs/op | share of busy CPU |', '| --- | ---: | ---: | ---: |', ...rows].join('\n');
}

function files(side: Side, limit: number): string {
  const rows = side.summary.files
    .filter((f) => f.file !== '(idle)')
    .slice(0, limit)
    .map((f) => `| \`${f.file}\` | ${us(f.selfMs, side.ops)} | ${((100 * f.selfMs) / side.summary.busyMs).toFixed(1)}% |`);
  return ['| file | self µs/op | share of busy CPU |', '| --- | ---: | ---: |', ...rows].join('\n');
}

export async function runProfile(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'resignal-profile-'));
  const sections: string[] = [];
  try {
    for (const workload of WORKLOADS) {
      log(`profile: ${workload}`);
      const ws = await profileOne('ws', workload, root);
      const rs = await profileOne('resignal', workload, root);
      const inSrc = (name: string) => name.startsWith('src/');
      const perOp = (side: Side) => us(side.summary.busyMs, side.ops);
      sections.push(
        [
          `## ${workload}`,
          '',
          `${WINDOW_MS / 1000} s alone per library. Busy CPU per operation (not idle), client and server process:`,
          '',
          '| | ops | client µs/op | server µs/op |',
          '| --- | ---: | ---: | ---: |',
          `| ws | ${ws.client.ops} | ${perOp(ws.client)} | ${perOp(ws.server)} |`,
          `| resignal | ${rs.client.ops} | ${perOp(rs.client)} | ${perOp(rs.server)} |`,
          '',
          ...(['client', 'server'] as const).flatMap((side) => [
            `### resignal ${side}: src/ functions by total (inclusive) time`,
            '',
            table(rs[side], inSrc, 14),
            '',
            `### resignal ${side}: self time by file`,
            '',
            files(rs[side], 12),
            '',
          ]),
          '### for comparison, raw ws client: self time by file',
          '',
          files(ws.client, 8),
          '',
          '### for comparison, raw ws server: self time by file',
          '',
          files(ws.server, 8),
          '',
        ].join('\n'),
      );
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  log('profile: client hot path in isolation (bench/micro.ts)');
  const micro = await runMicro();
  const text = [
    '# Where resignal spends its time',
    '',
    `Generated by \`npm run bench -- --profile\` on ${new Date().toISOString().slice(0, 10)}, resignal from ${resignalSource() === 'src' ? 'src/ (tsx)' : process.env.RESIGNAL_DIST?.includes('resignal-bench-dist-') ? 'dist/ (snapshot of npm run build)' : (process.env.RESIGNAL_DIST ?? 'dist/')}. Profiles from \`node --cpu-prof\` (sampling), client and server in separate processes; "total" includes callees, "self" does not. Code in dist/ is mapped back to src/ file names through the build's source maps. Sampled time includes time the thread was descheduled inside a system call, so \`writev\` also absorbs waiting for the other process on a busy machine.`,
    '',
    '## Client hot path in isolation',
    '',
    'No network: a fake WebSocket answers each request one microtask later (bench/micro.ts). CPU µs per call, best of 5 repeats of 100,000.',
    '',
    '| what | CPU µs per call |',
    '| --- | ---: |',
    ...micro.map((row) => `| ${row.what} | ${row.us.toFixed(2)} |`),
    '',
    ...sections,
  ].join('\n');
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'profile.md'), text);
  return text;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runProfile();
  log('wrote bench/results/profile.md');
}
