// Benchmark servers as child processes (see ../bench-server.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type LibName = 'ws' | 'resignal' | 'socket.io' | 'protoo';

const MAIN = fileURLToPath(new URL('../bench-server.ts', import.meta.url));
const live = new Set<ChildProcess>();

/** Kill every server child still running (on exit, or after a failure). */
export function killAllServers(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}
process.on('exit', killAllServers);

export interface ServerOptions {
  /** Append-only log of "slow" handler runs (see servers/common.ts). */
  log?: string;
  name?: string;
  /** Extra node flags for the server process (e.g. --cpu-prof). */
  execArgv?: string[];
  /** Extra environment for the server process (e.g. RESIGNAL_DIST). */
  env?: Record<string, string>;
}

/** One server process: spawned loaded but not listening, so `listen()` is fast. */
export class ServerChild {
  port = 0;
  private readonly child: ChildProcess;
  private out = '';
  private expectExit = false;
  private readonly ready: Promise<void>;
  readonly exited: Promise<number | null>;

  private constructor(readonly lib: LibName, options: ServerOptions) {
    const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, LIB: lib, NAME: options.name ?? lib };
    if (options.log !== undefined) env.LOG = options.log;
    this.child = spawn(process.execPath, [...(options.execArgv ?? []), '--import', 'tsx', MAIN], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    live.add(this.child);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => {
        live.delete(this.child);
        resolve(code);
      });
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.out += chunk.toString()));
    this.ready = this.waitFor(/^ready$/m).then(() => undefined);
  }

  /** Spawn a server process and wait until it has loaded (it does not listen yet). */
  static async spawn(lib: LibName, options: ServerOptions = {}): Promise<ServerChild> {
    const server = new ServerChild(lib, options);
    await server.ready;
    return server;
  }

  /** Spawn and listen (port 0 = any free port). */
  static async start(lib: LibName, options: ServerOptions = {}, port = 0): Promise<ServerChild> {
    const server = await ServerChild.spawn(lib, options);
    await server.listen(port);
    return server;
  }

  async listen(port = 0): Promise<number> {
    this.child.stdin!.write(`listen ${port}\n`);
    const match = await this.waitFor(/^listening (\d+)$/m);
    this.port = Number(match[1]);
    return this.port;
  }

  /** A crash: SIGKILL, no close frames. Resolves once the process is gone (its port is free). */
  async kill(): Promise<void> {
    this.expectExit = true;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Rejects if the process exits without kill()/stop(): a measurement must not hang on a dead server. */
  unexpectedExit(): Promise<never> {
    return this.exited.then((code) => {
      if (this.expectExit) return new Promise<never>(() => {});
      throw new Error(`the ${this.lib} server process (pid ${this.child.pid}) exited unexpectedly (code ${code}, signal ${this.child.signalCode})`);
    });
  }

  /** A clean exit (closes its stdin), so that --cpu-prof can write its profile. */
  async stop(): Promise<void> {
    this.expectExit = true;
    this.child.stdin!.end();
    await this.exited;
  }

  private waitFor(pattern: RegExp): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(this.out);
        if (!match) return;
        this.child.stdout!.off('data', check);
        this.child.off('exit', early);
        resolve(match);
      };
      const early = (code: number | null) => reject(new Error(`${this.lib} server exited (${code}) before printing ${pattern}`));
      this.child.stdout!.on('data', check);
      this.child.once('exit', early);
      check();
    });
  }
}
