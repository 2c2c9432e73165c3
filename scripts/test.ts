// `npm test`: every suite, always. A failing suite never stops the others; at the end one
// summary lists each suite's result and time, every failed test, and any suite that could
// not cover everything on this machine (e.g. no root for network namespaces).
//
// Suites that share nothing run side by side (see main()): the type check, the build of
// dist/ and the unit + integration tests first; then the resilience tests alone; then the
// package tests, then the browser tests alone: the WebRTC calls' fake cameras need the CPU, and
// beside the package suite's Chromium a call could miss its deadlines on a busy machine. Each
// suite's output is printed in one piece when it ends, so parallel output never interleaves.
//
//   tsx scripts/test.ts            the full run (npm test)
//   tsx scripts/test.ts --serial   one suite at a time (slower; for a machine short of memory)
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureRedisServer } from '../test/support/redis.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const bin = (file: string) => path.join(ROOT, 'node_modules', file);
const VITEST = bin('vitest/vitest.mjs');
const TSC = bin('typescript/bin/tsc');
const TSX = bin('tsx/dist/cli.mjs');

interface Suite {
  name: string;
  argv: string[];
}

interface Result {
  name: string;
  ok: boolean;
  ms: number;
  output: string;
}

const SUITES = {
  types: { name: 'type check (tsc --noEmit)', argv: [TSC, '--noEmit'] },
  build: { name: 'build of dist/ (rollup -c, when stale)', argv: [TSX, 'scripts/build.ts'] },
  // Unit and integration files mostly wait on sockets and timers, each with its own servers on
  // port 0, so three run at once even on two cores. The resilience files (chaos, memory,
  // hostile, weak network) are heavy and measure the process they run in: one at a time, alone.
  quick: { name: 'unit + integration (vitest project source)', argv: [VITEST, 'run', '--project', 'source', '--maxWorkers=3', 'test/unit', 'test/integration'] },
  resilience: { name: 'resilience (vitest project source, test/resilience)', argv: [VITEST, 'run', '--project', 'source', '--maxWorkers=1', 'test/resilience'] },
  package: { name: 'packed package (vitest project package)', argv: [VITEST, 'run', '--project', 'package'] },
  browser: { name: 'browser, real Chromium (test/browser/run.ts)', argv: [TSX, 'test/browser/run.ts'] },
} satisfies Record<string, Suite>;

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');

function run(suite: Suite): Promise<Result> {
  const started = Date.now();
  console.log(paint(2, `▶ ${suite.name}`));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, suite.argv, {
      cwd: ROOT,
      env: { ...process.env, FORCE_COLOR: color ? '1' : '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const finish = (ok: boolean, extra = '') => {
      const result = { name: suite.name, ok, ms: Date.now() - started, output: output + extra };
      const mark = ok ? paint(32, '✓ passed') : paint(31, '✗ FAILED');
      console.log(`\n${paint(1, `━━━━ ${suite.name}: `)}${mark} in ${seconds(result.ms)}\n${result.output.trimEnd()}\n`);
      resolve(result);
    };
    child.on('error', (error) => finish(false, `\ncould not start: ${error.message}\n`));
    child.on('close', (code, signal) => finish(code === 0, code === 0 ? '' : `\nexited with ${signal ?? `code ${code}`}\n`));
  });
}

/** Lines worth repeating in the summary: failed tests, and coverage this machine could not give. */
function highlights(result: Result): { failed: string[]; notRun: string[] } {
  const lines = plain(result.output).split('\n');
  // vitest names each failed test twice (× in the run, FAIL with its file in the recap): keep the recap.
  const pick = (pattern: RegExp) => lines.filter((line) => pattern.test(line)).map((l) => l.trim());
  const recap = pick(/^\s*FAIL\s/);
  const failed = recap.length > 0 ? recap : pick(/^\s*[×✗]\s|error TS\d+/);
  const notRun = lines.filter((line) => /NOT RUN|\bNOTE\b/.test(line)).map((l) => l.replace(/\*+/g, '').trim());
  return { failed: [...new Set(failed)], notRun: [...new Set(notRun)] };
}

async function main(): Promise<void> {
  const serial = process.argv.includes('--serial');
  // Several suites start redis-server: install it once, up front, rather than from test files
  // running side by side. Without it (and without root) those tests fail and say how to get it.
  try {
    ensureRedisServer();
  } catch (error) {
    console.warn(paint(33, `NOTE ${(error as Error).message}`));
  }
  const started = Date.now();
  const notStarted = (suite: Suite): Result => ({ name: suite.name, ok: false, ms: 0, output: 'not started: the build failed\n' });
  /** One build of dist/ for the package and browser suites, so neither builds while the other reads. */
  const needingBuild = async (): Promise<Result[]> => {
    const built = await run(SUITES.build);
    if (!built.ok) return [built, notStarted(SUITES.package), notStarted(SUITES.browser)];
    return [built, await run(SUITES.package), await run(SUITES.browser)];
  };
  let results: Result[];
  if (serial) {
    results = [await run(SUITES.types), await run(SUITES.quick), await run(SUITES.resilience), ...(await needingBuild())];
  } else {
    // 1. The type check, the build, and the unit + integration files, side by side.
    // 2. The resilience files, with nothing else of ours running.
    // 3. The package suite, then the browser suite alone.
    const [types, quick, built] = await Promise.all([run(SUITES.types), run(SUITES.quick), run(SUITES.build)]);
    const resilience = await run(SUITES.resilience);
    const last = built!.ok ? [await run(SUITES.package), await run(SUITES.browser)] : [notStarted(SUITES.package), notStarted(SUITES.browser)];
    results = [types!, quick!, resilience, built!, ...last];
  }

  console.log(paint(1, `━━━━ Summary (${seconds(Date.now() - started)} in all)`));
  const notRun: string[] = [];
  for (const result of results) {
    const { failed, notRun: missing } = highlights(result);
    console.log(`${result.ok ? paint(32, '  ✓') : paint(31, '  ✗')} ${result.name}  ${paint(2, seconds(result.ms))}`);
    if (!result.ok) for (const line of failed.length ? failed : ['(see its output above)']) console.log(paint(31, `      ${line}`));
    notRun.push(...missing);
  }
  for (const line of notRun) console.log(paint(33, `  ! ${line}`));
  const failures = results.filter((r) => !r.ok).length;
  console.log(failures ? paint(31, `\n${failures} of ${results.length} steps failed.`) : paint(32, `\nAll ${results.length} steps passed.`));
  process.exitCode = failures ? 1 : 0;
}

await main();
