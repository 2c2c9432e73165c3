// The resignal reference server with its defaults, except the per-socket rate limit
// (2,000 frames/s by default): it is an abuse guard that a throughput benchmark on one
// socket would trip at once, so it is off here; and rooms take up to 200 members (default
// 50) for the fan-out measurement. Everything else is default.
import { loadServer } from '../lib/resignal-module.js';
import { echo, note, PUSH_DATA, pushCount, slow, stats, whoami } from './common.js';

export async function start(port: number): Promise<number> {
  const { SignalingServer } = await loadServer();
  const server = new SignalingServer({ port, host: '127.0.0.1', path: '/rtc', rateLimit: false, rooms: { maxPeers: 200 } });
  server.handle('echo', echo);
  server.handle('stats', stats);
  server.handle('whoami', whoami);
  server.handle('slow', (data, ctx) => slow(data, ctx.replay));
  server.handle('push', (data, { peerId }) => {
    const n = pushCount(data);
    for (let i = 0; i < n; i++) server.notify(peerId, 'note', PUSH_DATA);
    return { n };
  });
  server.on('notification', ({ method }) => {
    if (method === 'note') note();
  });
  await server.listen();
  return server.port;
}
