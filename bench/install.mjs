// Installs the benchmark's own dependencies (bench/package.json: the libraries resignal is
// measured against) with `npm ci --prefix bench`, only when bench/node_modules is missing or
// older than bench/package-lock.json. Run by `npm run bench` before anything else.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const installed = new URL('./node_modules/.package-lock.json', import.meta.url);
const lock = new URL('./package-lock.json', import.meta.url);
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  console.log('bench: installing the libraries it compares (npm ci --prefix bench)');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  execFileSync(npm, ['ci', '--prefix', dir, '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'inherit' });
}
