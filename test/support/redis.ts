// A private redis-server for tests: on a free loopback port, no persistence, ended by PID.
// CI starts from a fresh machine, so when redis-server is missing and we are root, it is
// installed with apt, the way test/support/chromium.ts installs Chromium. Never skips silently.
import { execSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer, Socket } from 'node:net';

export const REDIS_SERVER_PATH = process.env.REDIS_SERVER_PATH || '/usr/bin/redis-server';
const INSTALL_COMMAND =
  'apt-get -o DPkg::Lock::Timeout=120 update && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y redis-server';

/** Path of redis-server. Installs it with apt when missing and we are root; otherwise throws with the command to run. */
export function ensureRedisServer(): string {
  if (existsSync(REDIS_SERVER_PATH)) return REDIS_SERVER_PATH;
  if (process.env.REDIS_SERVER_PATH) throw new Error(`REDIS_SERVER_PATH is ${REDIS_SERVER_PATH}, but there is no file there; point it at a redis-server (or valkey-server) executable`);
  if (process.getuid?.() !== 0) {
    throw new Error(`redis-server is not installed at ${REDIS_SERVER_PATH}; the Redis store tests need it. On Debian/Ubuntu install it with: sudo sh -c '${INSTALL_COMMAND}'`);
  }
  console.warn(`redis-server missing at ${REDIS_SERVER_PATH}; installing: ${INSTALL_COMMAND}`);
  let failure: unknown;
  for (let attempt = 1; attempt <= 3 && !existsSync(REDIS_SERVER_PATH); attempt++) {
    try {
      execSync(INSTALL_COMMAND, { stdio: 'inherit', shell: '/bin/sh' });
    } catch (error) {
      failure = error; // e.g. another apt run held the lock past the timeout: try again
      execSync('sleep 5');
    }
  }
  if (!existsSync(REDIS_SERVER_PATH)) throw new Error(`'${INSTALL_COMMAND}' ran but ${REDIS_SERVER_PATH} is still missing${failure ? `: ${String(failure)}` : ''}`);
  return REDIS_SERVER_PATH;
}

export interface TestRedis {
  url: string;
  port: number;
  /** The running process's PID. */
  readonly pid: number;
  /** Send a signal (SIGKILL, SIGSTOP, SIGCONT) to the server. */
  kill(signal: NodeJS.Signals): void;
  /** Start it again on the same port (after a SIGKILL: empty, unless started with `appendfsync`). */
  restart(): Promise<void>;
  /** One command on a fresh connection, e.g. `['DBSIZE']`; for assertions without ioredis. */
  command(args: string[]): Promise<unknown>;
  stop(): Promise<void>;
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Send one RESP command and read one reply (integers, ASCII bulk strings, simple strings, arrays of those). */
function command(port: number, args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let buffer = '';
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(5_000, () => fail(new Error(`redis ${args[0]} got no reply in 5 s`)));
    socket.on('error', fail);
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      const parsed = parse(buffer, 0);
      if (parsed === undefined) return;
      socket.end();
      if (parsed.value instanceof Error) reject(parsed.value);
      else resolve(parsed.value);
    });
    socket.connect(port, '127.0.0.1', () => {
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    });
  });
}

function parse(text: string, at: number): { value: unknown; end: number } | undefined {
  const eol = text.indexOf('\r\n', at);
  if (eol < 0) return undefined;
  const kind = text[at];
  const line = text.slice(at + 1, eol);
  if (kind === '+') return { value: line, end: eol + 2 };
  if (kind === '-') return { value: new Error(line), end: eol + 2 };
  if (kind === ':') return { value: Number(line), end: eol + 2 };
  if (kind === '$') {
    const n = Number(line);
    if (n < 0) return { value: null, end: eol + 2 };
    // Tests read ASCII replies (key names, counts), so string length is byte length here.
    if (text.length < eol + 2 + n + 2) return undefined;
    return { value: text.slice(eol + 2, eol + 2 + n), end: eol + 2 + n + 2 };
  }
  if (kind === '*') {
    const n = Number(line);
    const items: unknown[] = [];
    let end = eol + 2;
    for (let i = 0; i < n; i++) {
      const item = parse(text, end);
      if (item === undefined) return undefined;
      items.push(item.value);
      end = item.end;
    }
    return { value: n < 0 ? null : items, end };
  }
  return { value: new Error(`unexpected reply ${JSON.stringify(text.slice(at, at + 20))}`), end: text.length };
}

async function waitForPing(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 20_000; // a bound on a real start on a busy machine, not a speed requirement
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server exited before answering PING:\n${output()}`);
    try {
      if ((await command(port, ['PING'])) === 'PONG') return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`redis-server did not answer PING within 20 s:\n${output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface StartRedisOptions {
  /**
   * Keep an append-only file (in a fresh temp dir), fsynced on every write (`always`) or once
   * a second (`everysec`): a restart after SIGKILL then comes back with the data.
   * @default undefined (no persistence: a restart comes back empty)
   */
  appendfsync?: 'always' | 'everysec';
}

/** Start a private redis-server on a free loopback port; `stop()` ends it by PID. */
export async function startRedis(options: StartRedisOptions = {}): Promise<TestRedis> {
  const binary = ensureRedisServer();
  const port = await freePort();
  const persistence = options.appendfsync === undefined ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', options.appendfsync, '--dir', mkdtempSync(path.join(tmpdir(), 'resignal-redis-'))];
  let child: ChildProcess;
  let watchdog: ChildProcess | undefined;
  let output = '';
  const launch = async () => {
    output = '';
    child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--protected-mode', 'no', '--loglevel', 'warning'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // If this process dies by a signal (no 'exit' event), the watchdog's stdin closes and it
    // ends the server: no redis-server outlives its test run.
    watchdog = spawn('sh', ['-c', 'read _; kill -9 "$1" 2>/dev/null', 'sh', String(child.pid)], { stdio: ['pipe', 'ignore', 'ignore'] });
    watchdog.unref();
    (watchdog.stdin as unknown as { unref(): void }).unref();
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitForPing(port, child, () => output);
  };
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const end = async () => {
    watchdog?.kill('SIGKILL');
    watchdog = undefined;
    if (exited()) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGCONT'); // a stopped server cannot act on SIGKILL's exit until continued on some kernels
    child.kill('SIGKILL');
    await gone;
  };
  // If the test process dies without stop(), take the server with it.
  const onExit = () => {
    if (!exited()) child.kill('SIGKILL');
  };
  process.once('exit', onExit);
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return child.pid!;
    },
    kill: (signal) => void child.kill(signal),
    restart: async () => {
      await end();
      await launch();
    },
    command: (args) => command(port, args),
    stop: async () => {
      process.off('exit', onExit);
      await end();
    },
  };
}
