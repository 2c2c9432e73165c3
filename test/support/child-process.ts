/**
 * Child processes for the tests: servers that announce their port, and one-shot runs that
 * print a JSON report.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface SpawnOptions {
  /** Names the process in errors ("<name> exited early with 1"). */
  name: string;
  cwd?: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
}

/**
 * Run `node <args>`, a server that writes `listening <port>` to stdout once it accepts
 * connections. `listening` settles with that port, or rejects if the process exits first.
 * stderr is inherited, so a crash shows its stack.
 */
export function spawnServer(args: readonly string[], options: SpawnOptions): { child: ChildProcess; listening: Promise<number> } {
  const child = spawn(process.execPath, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const listening = new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`${options.name} exited early with ${code}`)));
  });
  return { child, listening };
}

/**
 * Run `command <args>` to the end and parse its stdout as JSON. Rejects with its stderr if it
 * exits with anything but 0; on success `stderr` is whatever it wrote there anyway.
 */
export function runForJson<T>(command: string, args: readonly string[], options: SpawnOptions): Promise<{ result: T; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0) return reject(new Error(`${options.name} exited with ${code ?? signal}:\n${err}`));
      resolve({ result: JSON.parse(out) as T, stderr: err });
    });
  });
}
