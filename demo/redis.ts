// A private redis-server for the cluster demo: on a free port of 127.0.0.1, no persistence,
// stopped with the demo.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';

export interface RedisProcess {
  url: string;
  stop(): void;
}

const CANDIDATES = ['/usr/bin/redis-server', '/usr/local/bin/redis-server', '/opt/homebrew/bin/redis-server'];

export const REDIS_MISSING = 'redis-server is not installed. Install it (Debian/Ubuntu: `sudo apt-get install -y redis-server`; macOS: `brew install redis`), or point REDIS_SERVER at it.';

export async function startRedis(): Promise<RedisProcess> {
  const binary = process.env.REDIS_SERVER ?? CANDIDATES.find((file) => existsSync(file));
  if (binary === undefined) throw new Error(REDIS_MISSING);
  const port = await freePort();
  const child: ChildProcess = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`redis-server exited at start (${code}); is ${binary} a redis-server?`))));
  await Promise.race([ping(port), exited]);
  return { url: `redis://127.0.0.1:${port}`, stop: () => void child.kill('SIGKILL') };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/** Resolves once redis answers PING (within 5 s). */
async function ping(port: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`redis-server did not answer PING on port ${port} within 5 s`);
}
