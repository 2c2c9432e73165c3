// What test/package/setup.ts hands to the tests, and small helpers to use the installed package.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';

export interface PackedPackage {
  /** Temporary directory holding the tarball and the app; removed after the run. */
  work: string;
  /** Absolute path of the `npm pack` tarball. */
  tarball: string;
  /** A consumer app with the tarball installed (`node_modules/resignal`). */
  app: string;
  /** Every file in the tarball, as `npm pack --json` lists it (paths relative to the package root). */
  files: Array<{ path: string; size: number }>;
  tarballBytes: number;
  unpackedBytes: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    packed: PackedPackage;
  }
}

export function packed(): PackedPackage {
  return inject('packed');
}

/** Where the installed package lives inside the app. */
export function installedPackage(): string {
  return path.join(packed().app, 'node_modules', 'resignal');
}

export interface NodeRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Write `source` to `name` inside the app and run it with plain `node` (no loader, no tsx),
 * so module resolution is exactly what a user of the package gets.
 */
export function runInApp(name: string, source: string, timeoutMs = 30_000): Promise<NodeRun> {
  const { app } = packed();
  const file = path.join(app, name);
  writeFileSync(file, source);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The last line of stdout, parsed as JSON (scripts print their findings that way). */
export function lastJsonLine(run: NodeRun): unknown {
  const line = run.stdout.trim().split('\n').at(-1);
  if (run.code !== 0 || !line) throw new Error(`script failed (exit ${run.code})\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  return JSON.parse(line);
}
