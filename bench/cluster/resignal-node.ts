// One resignal cluster node in its own process: SignalingServer + RedisStore, listening on
// 127.0.0.1:PORT (0 = any), printing "listening <port>". Sends notifications ("n") on command
// (see sender.ts). Env: REDIS_URL, NODE_ID, PORT, NODE_TIMEOUT (ms), RESIGNAL_SOURCE/RESIGNAL_DIST.
// Defaults except: no per-socket rate limit (an abuse guard a throughput run trips at once),
// and 10,000 buffered notifications per session (default 1,000), so that a burst to a few
// dozen Peers is measured rather than trimmed.
import { loadServer, resignalSource } from '../lib/resignal-module.js';
import { serveCommands } from './sender.js';

type RedisModule = typeof import('../../src/redis/index.js');
const dist = process.env.RESIGNAL_DIST ?? new URL('../../dist', import.meta.url).pathname;
const { RedisStore } = resignalSource() === 'dist' ? ((await import(`${dist}/redis.mjs`)) as RedisModule) : await import('../../src/redis/index.js');
const { SignalingServer } = await loadServer();

const server = new SignalingServer({
  host: '127.0.0.1',
  port: Number(process.env.PORT ?? 0),
  path: '/rtc',
  secretKey: 'bench-cluster-secret-key-0123456789abcdef',
  store: new RedisStore({ url: process.env.REDIS_URL!, prefix: 'bench:' }),
  nodeId: process.env.NODE_ID ?? 'node',
  ...(process.env.NODE_TIMEOUT !== undefined && { nodeTimeout: Number(process.env.NODE_TIMEOUT) }),
  rateLimit: false,
  maxBufferedNotifications: 10_000,
});
server.on('error', ({ error }) => process.stderr.write(`node ${process.env.NODE_ID}: ${String(error)}\n`));
await server.listen();
serveCommands((to, message) => void server.notify(to, 'n', message));
process.stdout.write(`listening ${server.port}\n`);
