import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawnServer } from './child-process.js';

const MAIN = fileURLToPath(new URL('./server-main.ts', import.meta.url));

/** A reference server running in a child process: a real crash is a real SIGKILL. */
export class ServerProcess {
  private child: ChildProcess | undefined;
  port = 0;

  constructor(private readonly name = 'server') {}

  /** Start (or restart) on `port` (0 = any free port the first time, the same port afterwards). */
  async start(port = this.port): Promise<number> {
    const { child, listening } = spawnServer(['--import', 'tsx', MAIN], {
      name: `server process ${this.name}`,
      env: { PORT: String(port), NAME: this.name },
    });
    this.child = child;
    this.port = await listening;
    return this.port;
  }

  /** Crash it: SIGKILL, no close frames, no cleanup. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
  }
}
