// The demo's server: serves the page (demo/) and the UMD bundle (dist/), and forwards
// WebSocket upgrades on /rtc to the reference signaling server, which runs in a child
// process (demo/signaling.ts). Being in the middle lets the demo's buttons do real damage:
//   POST /api/drop?client=ID[&hold=MS]  reset that tab's TCP connection(s) with no close
//                                       frame; with hold, refuse its reconnects for MS ms
//   POST /api/restart[?down=MS]         SIGKILL the signaling process and start it again
//                                       on the same port (after MS ms)
//   GET  /api/config                    what the page needs to know (controls on or off)
// Run: npm run demo (builds the script-tag bundles first, when stale). PORT (default 8080),
// HOST (default 127.0.0.1), SESSION_TTL (ms, default 30000), DEMO_CONTROLS=0 to turn the
// /api/drop and /api/restart off.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuild } from '../scripts/build.js';

const DEMO_DIR = fileURLToPath(new URL('.', import.meta.url));
const ROOT = path.dirname(DEMO_DIR.replace(/[\\/]$/, ''));
const SIGNALING_MAIN = path.join(DEMO_DIR, 'signaling.ts');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

/** The files the page may load: the demo's own assets and the UMD bundle. */
function staticFile(pathname: string): string | undefined {
  if (pathname === '/') return path.join(DEMO_DIR, 'index.html');
  const dist = /^\/dist\/(resignal(?:\.webrtc|-e2e)?\.umd(?:\.min)?\.js(?:\.map)?)$/.exec(pathname);
  if (dist) return path.join(ROOT, 'dist', dist[1]!);
  const own = /^\/([\w-]+\.(?:html|js|css|svg))$/.exec(pathname);
  return own ? path.join(DEMO_DIR, own[1]!) : undefined;
}

/** The signaling server as a child process, so a restart is a real process restart. */
class SignalingProcess {
  private child: ChildProcess | undefined;
  port = 0;

  constructor(
    private readonly sessionTtl: number,
    /** Extra environment for the signaling process (e.g. CAPTURE_FRAMES). */
    private readonly extraEnv: Record<string, string> = {},
  ) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', SIGNALING_MAIN], {
      cwd: ROOT,
      // One secret key per demo run, shared by every restart of the child: peer ids survive a restart.
      env: { ...process.env, PORT: String(this.port), SESSION_TTL: String(this.sessionTtl), SECRET_KEY: (process.env.SECRET_KEY ??= randomBytes(32).toString('base64')), ...this.extraEnv },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /listening (\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      child.once('exit', (code, signal) => reject(new Error(`the signaling process exited early (${signal ?? code})`)));
    });
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
  }

  /** A crash: SIGKILL, no close frames, no cleanup. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
}

export interface DemoServerOptions {
  /** @default 8080; 0 picks a free port */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** The signaling server's sessionTtl (ms). @default 30000 */
  sessionTtl?: number;
  /** Append every frame the signaling server receives and sends to this file, one JSON line each (tests). @default undefined */
  captureFile?: string;
  /** The signaling server's perMessageDeflate threshold in bytes; undefined leaves compression off. @default undefined */
  deflateThreshold?: number;
  /** Enable /api/drop and /api/restart. @default true */
  controls?: boolean;
  /**
   * Run several signaling nodes sharing a Redis store instead of one (npm run demo:cluster).
   * Each tab is routed to one node, round robin, and to another one while its node is down.
   * @default undefined (one node, no Redis)
   */
  cluster?: { redisUrl: string; nodes: number };
}

export interface DemoServer {
  /** http://host:port/ of the page. */
  url: string;
  port: number;
  /** SIGKILL the signaling process (in a cluster: `client`'s node) and start it again on the same port. */
  restartSignaling(downMs?: number, client?: string): Promise<void>;
  /** Reset the TCP links of one tab (the `client` query parameter of its WebSocket URL). */
  drop(client: string, holdMs?: number): number;
  /** TCP bytes carried on the signaling links so far, both ways, for every tab. */
  wireBytes(): { up: number; down: number };
  close(): Promise<void>;
}

export async function startDemo(options: DemoServerOptions = {}): Promise<DemoServer> {
  const host = options.host ?? '127.0.0.1';
  const controls = options.controls ?? true;
  const sessionTtl = options.sessionTtl ?? 30_000;
  const extraEnv = {
    ...(options.captureFile !== undefined && { CAPTURE_FRAMES: options.captureFile }),
    ...(options.deflateThreshold !== undefined && { DEFLATE_THRESHOLD: String(options.deflateThreshold) }),
  };
  const { cluster } = options;
  const nodeNames = cluster === undefined ? [''] : Array.from({ length: cluster.nodes }, (_, i) => String.fromCharCode(97 + i));
  const nodes = nodeNames.map((name) => new SignalingProcess(sessionTtl, cluster === undefined ? extraEnv : { ...extraEnv, NODE_ID: name, STORE_URL: cluster.redisUrl }));
  /** TCP bytes of the /rtc links so far, page to server (up) and back (down), upgrade included. */
  const wire = { up: 0, down: 0 };
  await Promise.all(nodes.map((node) => node.start()));
  /** The node each tab was last routed to, and the next one for a new tab. */
  const routes = new Map<string, number>();
  let nextNode = 0;
  /** The tab's node if it runs, else the next running one (a load balancer's health check). */
  const route = (client: string): number | undefined => {
    let index = routes.get(client) ?? nextNode++ % nodes.length;
    for (let tries = 0; tries < nodes.length && !nodes[index]!.running; tries++) index = (index + 1) % nodes.length;
    if (!nodes[index]!.running) return undefined;
    routes.set(client, index);
    return index;
  };

  /** Open proxied links by tab, and tabs whose reconnects are refused until a time. */
  const links = new Map<string, Set<net.Socket>>();
  const holds = new Map<string, number>();

  const drop = (client: string, holdMs = 0): number => {
    if (holdMs > 0) holds.set(client, Date.now() + holdMs);
    const sockets = [...(links.get(client) ?? [])];
    // A TCP reset: the page sees close code 1006, exactly as when a NAT or Wi-Fi drops it.
    for (const socket of sockets) socket.resetAndDestroy();
    return sockets.length;
  };

  let restarting: Promise<void> | undefined;
  const restartSignaling = (downMs = 0, client = ''): Promise<void> => {
    const signaling = nodes[routes.get(client) ?? 0]!;
    restarting ??= (async () => {
      await signaling.kill(); // its links close, and so do ours to the pages (see proxy())
      // In a cluster the tab resumes on another node at once; this one comes back later.
      const down = cluster === undefined ? downMs : Math.max(downMs, 3_000);
      if (down > 0) await new Promise((resolve) => setTimeout(resolve, down));
      await signaling.start();
    })().finally(() => (restarting = undefined));
    return restarting;
  };

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://demo');
    const json = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
    if (url.pathname === '/api/config') return json(200, { controls, sessionTtl, cluster: cluster !== undefined });
    if (url.pathname === '/api/node') {
      const index = routes.get(url.searchParams.get('client') ?? '');
      return json(200, { node: cluster === undefined || index === undefined ? null : nodeNames[index] });
    }
    if (url.pathname.startsWith('/api/')) {
      if (!controls) return json(403, { error: 'demo controls are off (DEMO_CONTROLS=0)' });
      if (req.method !== 'POST') return json(405, { error: 'use POST' });
      const ms = (name: string) => Math.min(Math.max(Number(url.searchParams.get(name) ?? 0) || 0, 0), 60_000);
      if (url.pathname === '/api/drop') return json(200, { dropped: drop(url.searchParams.get('client') ?? '', ms('hold')) });
      if (url.pathname === '/api/restart') {
        const started = Date.now();
        await restartSignaling(ms('down'), url.searchParams.get('client') ?? '');
        return json(200, { restarted: true, ms: Date.now() - started });
      }
      return json(404, { error: 'no such endpoint' });
    }
    const file = staticFile(url.pathname);
    if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      const hint = file.includes(`${path.sep}dist${path.sep}`) ? ' (run `npm run build` first)' : '';
      return void res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found${hint}\n`);
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' }).end(body);
  }

  // WebSocket upgrades on /rtc are piped, bytes untouched, to the signaling process.
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://demo');
    const client = url.searchParams.get('client') ?? '';
    const held = (holds.get(client) ?? 0) > Date.now();
    const index = url.pathname === '/rtc' && !held ? route(client) : undefined;
    if (index === undefined) return void socket.destroy();
    const upstream = net.connect(nodes[index]!.port, '127.0.0.1');
    let set = links.get(client);
    if (!set) links.set(client, (set = new Set()));
    set.add(socket);
    const teardown = () => {
      upstream.destroy();
      if (!socket.destroyed) socket.destroy();
      set.delete(socket);
      if (set.size === 0 && links.get(client) === set) links.delete(client);
    };
    upstream.once('connect', () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      wire.up += Buffer.byteLength(`${lines.join('\r\n')}\r\n\r\n`) + head.length;
      socket.on('data', (chunk: Buffer) => (wire.up += chunk.length));
      upstream.on('data', (chunk: Buffer) => (wire.down += chunk.length));
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', teardown).on('close', teardown);
    socket.on('error', teardown).on('close', teardown);
  });

  server.listen(options.port ?? 8080, host);
  try {
    await once(server, 'listening');
  } catch (error) {
    await Promise.all(nodes.map((node) => node.kill()));
    throw error;
  }
  const port = (server.address() as net.AddressInfo).port;
  const shownHost = host === '127.0.0.1' || host === '0.0.0.0' || host === '::' ? 'localhost' : host;

  return {
    url: `http://${shownHost}:${port}/`,
    port,
    restartSignaling,
    drop,
    wireBytes: () => ({ ...wire }),
    async close() {
      for (const set of links.values()) for (const socket of set) socket.destroy();
      await restarting?.catch(() => {});
      await Promise.all(nodes.map((node) => node.kill()));
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A fresh room name, so that every tab opened from the printed URL joins the same call. */
const newRoomName = () => `room-${Math.random().toString(36).slice(2, 8)}`;

// `tsx demo/server.ts` (npm run demo): build the page's bundle if needed, start, print the URL.
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const port = Number(process.env.PORT ?? 8080);
  const host = process.env.HOST ?? '127.0.0.1';
  let demo: DemoServer;
  try {
    ensureBuild({ umd: true, report: false });
    demo = await startDemo({
      port,
      host,
      sessionTtl: Number(process.env.SESSION_TTL ?? 30_000),
      controls: process.env.DEMO_CONTROLS !== '0',
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') console.error(`resignal demo: port ${port} on ${host} is taken; choose another with PORT, e.g. PORT=8081 npm run demo`);
    else if (code === 'EACCES') console.error(`resignal demo: not allowed to listen on port ${port}; choose another with PORT, e.g. PORT=8081 npm run demo`);
    else console.error(`resignal demo: ${(error as Error).message}`);
    process.exit(1);
  }
  const url = `${demo.url}?room=${newRoomName()}`;
  console.log(`\n  resignal demo: ${url}\n  Open this URL in two tabs: both join the same call.\n`);
  const stop = () => void demo.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
