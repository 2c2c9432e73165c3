// One cluster node in its own process (RedisStore), so tests can SIGKILL it like a crash.
// Prints "listening <port>" once ready, and one JSON line per handler run: {"run":{…}}, so the
// test can tell which node ran which request, and whether as a rerun.
//   REDIS_URL, PREFIX, NODE_ID, PORT, NODE_TIMEOUT (ms), SESSION_TTL (ms)
// Handlers: work {n} -> n * 2 after 0-30 ms; slow {ms} -> waits ms; push {n, count} ->
// notifies the caller `count` notes {n, k}; die {n} -> answers, then SIGKILLs its own process
// before the answer can be sent (the store may or may not have recorded it); a replay just answers.
import { RedisStore } from '../../src/redis/index.js';
import { SignalingServer } from '../../src/server/index.js';

const node = process.env.NODE_ID ?? 'node';
const server = new SignalingServer({
  host: '127.0.0.1',
  port: Number(process.env.PORT ?? 0),
  path: '/rtc',
  secretKey: 'cluster-chaos-secret-key-0123456789',
  store: new RedisStore({ url: process.env.REDIS_URL!, prefix: process.env.PREFIX ?? 'chaos:' }),
  nodeId: node,
  nodeTimeout: Number(process.env.NODE_TIMEOUT ?? 1_500),
  sessionTtl: Number(process.env.SESSION_TTL ?? 60_000),
  idleTimeout: 0,
  rateLimit: false,
});
const ran = (peerId: string, id: string, method: string, replay: boolean) => process.stdout.write(`${JSON.stringify({ run: { node, peerId, id, method, replay } })}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
server.handle('work', async (data, ctx) => {
  ran(ctx.peerId, ctx.id, ctx.method, ctx.replay);
  await sleep(Math.floor(Math.random() * 30));
  return (data as { n: number }).n * 2;
});
server.handle('slow', async (data, ctx) => {
  ran(ctx.peerId, ctx.id, ctx.method, ctx.replay);
  await sleep((data as { ms: number }).ms);
  return 'slow done';
});
server.handle('push', (data, ctx) => {
  ran(ctx.peerId, ctx.id, ctx.method, ctx.replay);
  const { n, count } = data as { n: number; count: number };
  for (let k = 0; k < count; k++) server.notify(ctx.peerId, 'note', { n, k });
  return count;
});
server.handle('die', (data, ctx) => {
  ran(ctx.peerId, ctx.id, ctx.method, ctx.replay);
  if (!ctx.replay) setImmediate(() => process.kill(process.pid, 'SIGKILL'));
  return (data as { n: number }).n;
});
server.on('error', ({ error }) => process.stderr.write(`node ${node}: ${String(error)}\n`));
await server.listen();
process.stdout.write(`listening ${server.port}\n`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
