import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('./server-main.ts', import.meta.url));

/** A reference server running in a child process: a real crash is a real SIGKILL. */
export class ServerProcess {
  private child: ChildProcess | undefined;
  port = 0;

  constructor(private readonly name = 'server') {}

  /** Start (or restart) on `port` (0 = any free port the first time, the same port afterwards). */
  async start(port = this.port): Promise<number> {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: { ...process.env, PORT: String(port), NAME: this.name },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.child = child;
    this.port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /listening (\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      child.once('exit', (code) => reject(new Error(`server process ${this.name} exited early with ${code}`)));
    });
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
