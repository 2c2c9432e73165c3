// Runs chaos-server.ts as a child process that can be SIGKILLed and restarted on the same
// port, and keeps every line each incarnation printed, including those printed just
// before it was killed.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('./chaos-server.ts', import.meta.url));

export interface ServerLine {
  t: string;
  key?: string;
  session?: string;
  replay?: boolean;
  resumed?: boolean;
  port?: number;
  n?: number;
  message?: string;
}

/** One life of the process, from spawn to SIGKILL (or the end of the test). */
export interface Incarnation {
  /** e.g. "A#2": server A, second start. Sessions, and so de-duplication, live within one. */
  name: string;
  lines: ServerLine[];
}

export class ChaosServer {
  readonly incarnations: Incarnation[] = [];
  port = 0;
  private child: ChildProcess | undefined;
  private listening = false;
  private outputDone: Promise<unknown> = Promise.resolve();
  private marks = 0;
  private readonly markWaiters = new Map<number, () => void>();

  constructor(readonly name: string) {}

  /** Listening, and not killed since. */
  get up(): boolean {
    return this.child !== undefined && this.listening;
  }

  /** Spawned and not killed (it may still be starting). */
  get running(): boolean {
    return this.child !== undefined;
  }

  /** Start (or restart on the same port). Resolves once it listens. */
  async start(): Promise<void> {
    if (this.child) throw new Error(`${this.name} is already running`);
    const incarnation: Incarnation = { name: `${this.name}#${this.incarnations.length + 1}`, lines: [] };
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: { ...process.env, PORT: String(this.port), INCARNATION: incarnation.name },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.child = child;
    this.incarnations.push(incarnation);
    const lines = createInterface({ input: child.stdout! });
    this.outputDone = once(lines, 'close');
    const listening = new Promise<number>((resolve, reject) => {
      const early = (code: number | null, signal: string | null) => reject(new Error(`${incarnation.name} exited before listening (${code ?? signal})`));
      child.once('exit', early);
      lines.on('line', (text) => {
        const line = JSON.parse(text) as ServerLine;
        incarnation.lines.push(line);
        if (line.t === 'listening') {
          child.off('exit', early);
          resolve(line.port!);
        }
        if (line.t === 'mark') this.markWaiters.get(line.n!)?.();
      });
    });
    this.port = await listening;
    this.listening = true;
  }

  /** A crash: SIGKILL, then wait until every line it wrote has been read. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    this.listening = false;
    const exited = child.exitCode === null && child.signalCode === null ? once(child, 'exit') : Promise.resolve();
    child.kill('SIGKILL');
    await exited;
    await this.outputDone;
    for (const resolve of this.markWaiters.values()) resolve();
  }

  /** Resolves once every line the running process wrote so far has been read. */
  async barrier(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const n = ++this.marks;
    const seen = new Promise<void>((resolve) => this.markWaiters.set(n, resolve));
    child.stdin!.write(`mark ${n}\n`);
    await seen;
    this.markWaiters.delete(n);
  }
}
