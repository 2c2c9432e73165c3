// One socket.io node in its own process, for the failover comparison: socket.io with
// @socket.io/redis-streams-adapter (node-redis client) and connection state recovery, which
// is how socket.io documents a multi-node setup that can recover missed packets. Each client
// joins room "c:<cid>" (cid from its handshake auth, stable across reconnects), so any node
// can emit to it with io.to(room). Sends "n" on command (see sender.ts).
// Env: REDIS_URL, PORT (0 = any). Prints "listening <port>".
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createClient } from 'redis';
import { Server } from 'socket.io';
import { serveCommands } from './sender.js';

const redis = createClient({ url: process.env.REDIS_URL! });
redis.on('error', (error: unknown) => process.stderr.write(`socket.io node redis: ${String(error)}\n`));
await redis.connect();
const http = createServer();
const io = new Server(http, {
  transports: ['websocket'],
  serveClient: false,
  adapter: createAdapter(redis),
  // 2 minutes (the documented default) and no middlewares to skip.
  connectionStateRecovery: { maxDisconnectionDuration: 120_000, skipMiddlewares: true },
});
io.on('connection', (socket) => {
  const cid = String((socket.handshake.auth as { cid?: unknown }).cid ?? socket.id);
  // A recovered socket gets its rooms back from the session; a new one joins again.
  if (!socket.recovered) void socket.join(`c:${cid}`);
});
await new Promise<void>((resolve, reject) => {
  http.once('error', reject);
  http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', resolve);
});
serveCommands((to, message) => void io.to(`c:${to}`).emit('n', message));
const address = http.address();
process.stdout.write(`listening ${typeof address === 'object' && address !== null ? address.port : 0}\n`);
