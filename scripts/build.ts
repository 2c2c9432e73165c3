// Builds dist/ only when it is missing or older than what it is built from, so `npm test`,
// `npm run demo` and the test setups never rebuild for nothing or run two builds at once.
//   ensureBuild()              every output (rollup -c): the package tests need them all
//   ensureBuild({ umd: true }) only the script-tag bundles (core, WebRTC and e2e add-ons), what the demo page loads
// As a script: `tsx scripts/build.ts [--umd]`.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const UMD = ['resignal.umd.js', 'resignal.umd.min.js', 'resignal.webrtc.umd.min.js', 'resignal-e2e.umd.min.js'];
const ALL = [...UMD, 'index.mjs', 'index.cjs', 'index.browser.mjs', 'server.mjs', 'server.cjs', 'webrtc.mjs', 'webrtc.cjs', 'e2e.mjs', 'e2e.cjs', 'redis.mjs', 'redis.cjs', 'index.d.ts', 'index.d.cts', 'server.d.ts', 'server.d.cts', 'webrtc.d.ts', 'e2e.d.ts', 'redis.d.ts', 'redis.d.cts'];

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return latest;
}

/** True when every one of `files` (in dist/) exists and is newer than src/, the config and package.json. */
export function isBuilt(files: readonly string[]): boolean {
  const inputs = Math.max(newest(path.join(ROOT, 'src')), ...['rollup.config.mjs', 'package.json', 'tsconfig.json'].map((f) => statSync(path.join(ROOT, f)).mtimeMs));
  return files.every((file) => {
    const full = path.join(ROOT, 'dist', file);
    return existsSync(full) && statSync(full).mtimeMs >= inputs;
  });
}

export interface EnsureBuildOptions {
  /** Build only the script-tag bundles (rollup.config.mjs with RESIGNAL_BUILD=umd). @default false */
  umd?: boolean;
  /** Say in one line what happened. @default true */
  report?: boolean;
}

/** Runs rollup when the outputs are missing or stale. Returns true when it built. */
export function ensureBuild(options: EnsureBuildOptions = {}): boolean {
  const umd = options.umd ?? false;
  const say = options.report === false ? () => {} : (text: string) => console.info(text);
  const what = umd ? 'the script-tag bundles in dist/' : 'dist/';
  if (isBuilt(umd ? UMD : ALL)) {
    say(`${what} is up to date`);
    return false;
  }
  const started = Date.now();
  const rollup = path.join(ROOT, 'node_modules', 'rollup', 'dist', 'bin', 'rollup');
  try {
    execFileSync(process.execPath, [rollup, '-c', '--silent'], {
      cwd: ROOT,
      env: { ...process.env, RESIGNAL_BUILD: umd ? 'umd' : '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`building ${what} failed (rollup -c):\n${e.stderr || e.stdout || e.message}`);
  }
  say(`built ${what} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  try {
    ensureBuild({ umd: process.argv.includes('--umd') });
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
