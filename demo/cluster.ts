// `npm run demo:cluster`: the demo on two signaling nodes sharing one redis-server. Each tab
// lands on a node (its panel says which); "Restart server" SIGKILLs that tab's node, and the
// tab resumes its session on the other one. Needs redis-server; `npm run demo` does not.
// PORT (default 8080), HOST (default 127.0.0.1), SESSION_TTL (ms, default 30000).
import { ensureBuild } from '../scripts/build.js';
import { startRedis, type RedisProcess } from './redis.js';
import { startDemo } from './server.js';

let redis: RedisProcess;
try {
  redis = await startRedis();
} catch (error) {
  console.error(`resignal demo:cluster: ${(error as Error).message}`);
  process.exit(1);
}
const port = Number(process.env.PORT ?? 8080);
try {
  ensureBuild({ umd: true, report: false });
  const demo = await startDemo({ port, host: process.env.HOST ?? '127.0.0.1', sessionTtl: Number(process.env.SESSION_TTL ?? 30_000), cluster: { redisUrl: redis.url, nodes: 2 } });
  const url = `${demo.url}?room=room-${Math.random().toString(36).slice(2, 8)}`;
  console.log(`\n  resignal demo (2 nodes, Redis at ${redis.url}): ${url}\n  Open this URL in two tabs: each lands on its own node. "Restart server" kills that tab's node;\n  the tab resumes its session on the other node and the call goes on.\n`);
  const stop = () => void demo.close().finally(() => (redis.stop(), process.exit(0)));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (error) {
  redis.stop();
  const code = (error as NodeJS.ErrnoException).code;
  console.error(code === 'EADDRINUSE' ? `resignal demo:cluster: port ${port} is taken; choose another with PORT, e.g. PORT=8081 npm run demo:cluster` : `resignal demo:cluster: ${(error as Error).message}`);
  process.exit(1);
}
