// Server process for bench/acks.ts: the reference server (rate limit off, as in the main bench)
// with one request, "flood" {n}, that sends n notifications to the caller in bursts of 100 and
// answers with the CPU time it used and how many NOTIFICATIONS_DROPPED warnings it emitted.
import { SignalingServer } from '../src/server/index.js';

const server = new SignalingServer({ port: 0, host: '127.0.0.1', path: '/rtc', rateLimit: false });
let dropped = 0;
server.on('warning', ({ code }) => {
  if (code === 'NOTIFICATIONS_DROPPED') dropped++;
});
server.handle('flood', async (data, ctx) => {
  const { n } = data as { n: number };
  const before = process.cpuUsage();
  const droppedBefore = dropped;
  for (let i = 0; i < n; ) {
    for (const end = Math.min(n, i + 100); i < end; i++) server.notify(ctx.peerId, 'tick', i);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const used = process.cpuUsage(before);
  return { cpuUs: used.user + used.system, dropped: dropped - droppedBefore };
});
await server.listen();
console.log(`listening ${server.port}`);
