// A reference server in its own process, so tests can SIGKILL it like a real crash.
// Prints "listening <port>" on stdout once ready. Handlers:
//   echo -> returns data; count -> increments and returns a per-id run counter (to detect double runs).
import { SignalingServer } from '../../src/server/index.js';

const port = Number(process.env.PORT ?? 0);
// One key for every server process of a test (a cluster, or restarts): peer ids survive them.
const server = new SignalingServer({ port, host: '127.0.0.1', path: '/rtc', secretKey: process.env.SECRET_KEY ?? 'test-cluster-key-test-cluster-key' });
const runs = new Map<string, number>();
server.handle('echo', (data) => data);
server.handle('slow', async (data) => {
  await new Promise((resolve) => setTimeout(resolve, Number((data as { ms?: number })?.ms ?? 100)));
  return data;
});
server.handle('record', (data) => {
  const key = JSON.stringify(data);
  const count = (runs.get(key) ?? 0) + 1;
  runs.set(key, count);
  return { runs: count, server: process.env.NAME ?? 'server' };
});
server.handle('runs', () => Object.fromEntries(runs));
server.on('notification', ({ method, data }) => {
  if (method === 'note') {
    const key = `note:${JSON.stringify(data)}`;
    runs.set(key, (runs.get(key) ?? 0) + 1);
  }
});
await server.listen();
process.stdout.write(`listening ${server.port}\n`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
