// Where the CPU of idle Peers goes: a resignal server and N Peers (default 5,000 with the
// default 5 s pings) in two processes. Once every Peer is connected, both processes profile
// themselves (node:inspector) for S seconds of idleness only, and the top functions by self
// time are printed for each side, with the process's CPU time per ping.
//   npx tsx bench/idle-profile.ts [peers=5000] [seconds=15]
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { summarize } from './lib/cpuprofile.js';
import { loadClient, resignalSource } from './lib/resignal-module.js';
import { sleep } from './lib/util.js';

const [role, ...rest] = process.argv.slice(2);
/** NO_PROFILE=1: only the CPU time (the profiler's own cost inflates it). */
const NO_PROFILE = process.env.NO_PROFILE === '1';

/** On "go <seconds> <file>" from stdin: profile this process for that long, write it, print CPU µs used. */
function profileOnCue(): void {
  createInterface({ input: process.stdin }).on('line', (line) => {
    const [cmd, seconds, file] = line.trim().split(' ');
    if (cmd !== 'go') return;
    void (async () => {
      const session = new Session();
      session.connect();
      if (!NO_PROFILE) {
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
      }
      const before = process.cpuUsage();
      await sleep(Number(seconds) * 1000);
      const { user, system } = process.cpuUsage(before);
      if (!NO_PROFILE) {
        const { profile } = await session.post('Profiler.stop');
        writeFileSync(file!, JSON.stringify(profile));
      }
      process.stdout.write(`done ${user + system} ${system}\n`);
    })();
  });
}

if (role === 'server') {
  const { start } = await import('./servers/resignal.js');
  const port = await start(0);
  profileOnCue();
  process.stdout.write(`port ${port}\n`);
} else if (role === 'clients') {
  const [port, peers] = rest.map(Number) as [number, number];
  const { Peer } = await loadClient();
  const all = [];
  for (let k = 0; k < peers; k += 100) {
    const batch = Array.from({ length: Math.min(100, peers - k) }, () => new Peer({ urls: [`ws://127.0.0.1:${port}/rtc`] }));
    await Promise.all(batch.map((p) => p.connect()));
    all.push(...batch);
  }
  profileOnCue();
  process.stdout.write('connected\n');
} else {
  const peers = Number(role ?? 5000);
  const seconds = Number(rest[0] ?? 15);
  process.env.RESIGNAL_SOURCE = resignalSource();
  const root = mkdtempSync(join(tmpdir(), 'resignal-idle-prof-'));
  const self = fileURLToPath(import.meta.url);
  const run = (args: string[]) => spawn(process.execPath, ['--import', 'tsx', self, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waitFor = (child: ChildProcess, pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve) => {
      let out = '';
      const onData = (b: Buffer) => {
        out += b.toString();
        const m = pattern.exec(out);
        if (m) {
          child.stdout!.off('data', onData);
          resolve(m);
        }
      };
      child.stdout!.on('data', onData);
    });
  const server = run(['server']);
  const port = (await waitFor(server, /port (\d+)/))[1]!;
  const clients = run(['clients', port, String(peers)]);
  await waitFor(clients, /connected/);
  await sleep(3000); // let the connection burst settle
  const sides = [
    { name: 'server', child: server },
    { name: 'client', child: clients },
  ];
  const used = await Promise.all(
    sides.map(({ name, child }) => {
      const done = waitFor(child, /done (\d+) (\d+)/);
      child.stdin!.write(`go ${seconds} ${join(root, `${name}.cpuprofile`)}\n`);
      return done.then((m) => ({ total: Number(m[1]), system: Number(m[2]) }));
    }),
  );
  const pings = (peers * seconds) / 5;
  sides.forEach(({ name }, i) => {
    const { total, system } = used[i]!;
    console.log(`\n${name}: ${(total / 1000).toFixed(0)} ms CPU (${(system / 1000).toFixed(0)} ms of it system) in ${seconds} s idle = ${(total / pings).toFixed(1)} µs per ping (${pings} pings expected)`);
    if (NO_PROFILE) return;
    const s = summarize(join(root, `${name}.cpuprofile`));
    console.log('top self time:');
    const top = [...s.functions].filter((f) => f.name !== '(idle)').sort((a, b) => b.selfMs - a.selfMs).slice(0, 22);
    for (const f of top) console.log(`  ${f.selfMs.toFixed(1).padStart(8)} ms  ${f.name}`);
  });
  server.kill('SIGKILL');
  clients.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
  process.exit(0);
}
