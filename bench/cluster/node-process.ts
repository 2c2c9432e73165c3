// The parent's handle on a cluster node process (resignal-node.ts or socketio-node.ts):
// spawn, wait for "listening <port>", send sender.ts commands and await their answers, SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export type NodeLib = 'resignal' | 'socket.io';
const MAIN: Record<NodeLib, string> = {
  resignal: fileURLToPath(new URL('./resignal-node.ts', import.meta.url)),
  'socket.io': fileURLToPath(new URL('./socketio-node.ts', import.meta.url)),
};

export class NodeProcess {
  port = 0;
  private readonly child: ChildProcess;
  private buffered = '';
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: Record<string, unknown>) => void>();
  readonly exited: Promise<void>;

  get pid(): number {
    return this.child.pid!;
  }

  private constructor(lib: NodeLib, env: Record<string, string>, execArgv: string[]) {
    this.child = spawn(process.execPath, [...execArgv, '--import', 'tsx', MAIN[lib]], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
    live.add(this.child);
    this.exited = new Promise((resolve) => this.child.once('exit', () => (live.delete(this.child), resolve())));
  }

  static async start(lib: NodeLib, env: Record<string, string>, execArgv: string[] = []): Promise<NodeProcess> {
    const node = new NodeProcess(lib, env, execArgv);
    node.port = await new Promise<number>((resolve, reject) => {
      node.child.once('exit', (code) => reject(new Error(`${lib} node ${env.NODE_ID ?? ''} exited (${code}) before listening`)));
      node.child.stdout!.on('data', (chunk: Buffer) => {
        node.buffered += chunk.toString();
        let nl: number;
        while ((nl = node.buffered.indexOf('\n')) >= 0) {
          const line = node.buffered.slice(0, nl);
          node.buffered = node.buffered.slice(nl + 1);
          const listening = /^listening (\d+)$/.exec(line);
          if (listening) resolve(Number(listening[1]));
          else if (line.startsWith('{')) {
            const reply = JSON.parse(line) as Record<string, unknown>;
            const waiter = node.waiting.get(reply.done as number);
            node.waiting.delete(reply.done as number);
            waiter?.(reply);
          }
        }
      });
    });
    return node;
  }

  /** Send a sender.ts command; resolves with its answer. */
  command(op: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.stdin!.write(`${JSON.stringify({ ...op, id })}\n`);
    });
  }

  /** A crash: SIGKILL, no close frames; resolves once the process is gone. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** A clean exit: closing stdin ends it (and lets --cpu-prof write its profile). */
  async stop(): Promise<void> {
    this.child.stdin!.end();
    await this.exited;
  }
}
