// Global setup of the `browser` test project: the pages load dist/resignal.umd.min.js, so
// build it when it is missing or older than any source file (a full `npm test` has just
// built it for the package tests, so this is usually a no-op).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const UMD = path.join(ROOT, 'dist', 'resignal.umd.min.js');

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return latest;
}

export default function setup(): void {
  const sources = Math.max(newest(path.join(ROOT, 'src')), statSync(path.join(ROOT, 'rollup.config.mjs')).mtimeMs);
  if (existsSync(UMD) && statSync(UMD).mtimeMs >= sources) return;
  console.info('browser tests: dist/resignal.umd.min.js is missing or stale; running `npm run build`');
  execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
}
