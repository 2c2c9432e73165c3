// The reference signaling server of the demo, in a process of its own so that the demo's
// "restart server" button (and the browser tests) can SIGKILL it like a real crash.
// Started by demo/server.ts; prints "listening <port>" once ready.
//   PORT         port on 127.0.0.1 (0 = any free one)        @default 0
//   SESSION_TTL  ms a dropped peer keeps its id and rooms     @default 30000
//   DEFLATE_THRESHOLD  turn perMessageDeflate on, frames from this many bytes  @default unset (off)
//   CAPTURE_FRAMES  file to append every frame seen to, for tests (see capture.ts)  @default unset
//   SECRET_KEY   key of the session secrets; the same across restarts keeps peer ids
//   STORE_URL    redis:// url of a Redis shared by several nodes (npm run demo:cluster)  @default unset (memory)
//   NODE_ID      this node's name in the cluster  @default random
import { SignalingServer } from '../src/server/index.js';
import { captureFrames } from './capture.js';

if (process.env.CAPTURE_FRAMES) captureFrames(process.env.CAPTURE_FRAMES);

const server = new SignalingServer({
  host: '127.0.0.1',
  port: Number(process.env.PORT ?? 0),
  path: '/rtc',
  sessionTtl: Number(process.env.SESSION_TTL ?? 30_000),
  secretKey: process.env.SECRET_KEY,
  // A mesh call: every member sends media to every other one, so keep rooms small.
  rooms: { maxPeers: 6 },
  ...(process.env.DEFLATE_THRESHOLD && { perMessageDeflate: { threshold: Number(process.env.DEFLATE_THRESHOLD) } }),
  // Only a cluster loads the Redis client.
  ...(process.env.STORE_URL && { store: await redisStore(process.env.STORE_URL), nodeId: process.env.NODE_ID, nodeTimeout: 2_000 }),
});
server.on('warning', ({ code, message }) => console.warn(`signaling: ${code}: ${message}`));
await server.listen();
process.stdout.write(`listening ${server.port}\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void server.close().then(() => process.exit(0)));

async function redisStore(url: string) {
  const { RedisStore } = await import('../src/redis/index.js');
  return new RedisStore({ url, prefix: 'demo:' });
}
