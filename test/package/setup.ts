// Global setup of the `package` test project: build once, `npm pack`, and install the
// tarball into a temporary app exactly as a user would (`npm install ./resignal-x.y.z.tgz`,
// dependencies from the registry). Every test in test/package/ works against that install,
// never against src/ or the repo's dist/.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { ensureBuild } from '../../scripts/build.js';
import type { PackedPackage } from './support/packed.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`\`${cmd} ${args.join(' ')}\` failed in ${cwd}:\n${e.stderr || e.stdout || e.message}`);
  }
}

const seconds = (from: number, to: number) => `${((to - from) / 1000).toFixed(1)} s`;

export default function setup(project: TestProject): () => void {
  const started = Date.now();
  const work = mkdtempSync(path.join(os.tmpdir(), 'resignal-package-'));

  // 1. Build once for the whole run, unless dist/ is already newer than every source (`npm test`
  //    builds it first, so the browser suite beside this one never sees a build in progress).
  //    The tests and the tarball both use this dist/.
  ensureBuild({ report: false });
  const built = Date.now();

  // 2. Pack. --ignore-scripts: `prepack` would only build a second time.
  const [packed] = JSON.parse(run(NPM, ['pack', '--json', '--ignore-scripts', '--pack-destination', work], ROOT)) as Array<{
    filename: string;
    size: number;
    unpackedSize: number;
    files: Array<{ path: string; size: number }>;
  }>;
  if (!packed) throw new Error('npm pack produced no tarball');
  const tarball = path.join(work, path.basename(packed.filename));

  // 3. A consumer app with the tarball installed. Its own TypeScript-facing dev dependency
  //    (@types/node, for `resignal/server`'s `node:http` types) comes from the registry too.
  const app = path.join(work, 'app');
  mkdirSync(app);
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'resignal-consumer', version: '1.0.0', private: true }, null, 2));
  run(NPM, ['install', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error', tarball, '@types/node@20'], app);

  const info: PackedPackage = {
    work,
    tarball,
    app,
    files: packed.files.map((f) => ({ path: f.path, size: f.size })),
    tarballBytes: packed.size,
    unpackedBytes: packed.unpackedSize,
  };
  project.provide('packed', info);
  console.log(`[package] built in ${seconds(started, built)}, packed + installed in ${seconds(built, Date.now())}: ${tarball} (${packed.size} bytes, ${packed.files.length} files)`);

  return () => {
    if (process.env.RESIGNAL_KEEP_PACKAGE_DIR) console.log(`[package] kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  };
}
