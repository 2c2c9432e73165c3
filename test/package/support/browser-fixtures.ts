// Fixtures for the browser tests of the packed package: a static file server for the pages and
// the installed files, and the packed reference server in a child process (so it can crash).
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, existsSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { spawnServer } from '../../support/child-process.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/**
 * Serves `pages` (path -> HTML) and, read-only, the files under `root` (the consumer app, so
 * `/node_modules/...` works), on 127.0.0.1 only.
 */
export async function startStaticServer(root: string, pages: Record<string, string>, files: Record<string, string> = {}): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const page = pages[url.pathname];
    if (page !== undefined) {
      res.writeHead(200, { 'content-type': TYPES['.html']!, 'cache-control': 'no-store' });
      return void res.end(page);
    }
    const file = files[url.pathname] ?? path.join(root, path.normalize(decodeURIComponent(url.pathname)));
    if (req.method !== 'GET' || !file.startsWith(root + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end(`not found: ${url.pathname}`);
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // the browser keeps connections alive
      }),
  };
}

/** The reference server from the installed package, run with plain node in the consumer app. */
const REFERENCE_SERVER = `
import { SignalingServer } from 'resignal/server';
const server = new SignalingServer({ port: Number(process.env.PORT), host: '127.0.0.1', path: '/rtc' });
let runs = 0;
server.handle('echo', (data) => data);
server.handle('count', () => ++runs);
server.handle('pid', () => process.pid);
await server.listen();
process.stdout.write('listening ' + server.port + '\\n');
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
`;

export class PackedServerProcess {
  private child: ChildProcess | undefined;
  port = 0;
  private readonly script: string;

  constructor(app: string) {
    this.script = path.join(app, 'reference-server.mjs');
    writeFileSync(this.script, REFERENCE_SERVER);
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Start on `port` (0 = any free port the first time; afterwards the same one again). */
  async start(port = this.port): Promise<number> {
    if (this.child) throw new Error('the reference server is already running');
    const { child, listening } = spawnServer([this.script], { name: 'reference server', cwd: path.dirname(this.script), env: { PORT: String(port) } });
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    this.port = await listening;
    return this.port;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/rtc`;
  }

  /** A crash: SIGKILL, so sockets drop without close frames (the page sees 1006). */
  kill(): Promise<void> {
    return this.stop('SIGKILL');
  }

  /** A clean shutdown: `server.close()` sends 1001 to every peer, then the process exits. */
  shutdown(): Promise<void> {
    return this.stop('SIGTERM');
  }

  private async stop(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  }
}
