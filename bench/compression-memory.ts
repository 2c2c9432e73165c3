// What perMessageDeflate costs the server in memory per socket. The server runs here; the
// clients (plain `ws`, offering the extension like browsers do) run in a child process, so
// their zlib contexts are not counted. Each client sends one SDP-sized request and gets it
// echoed, so both of the server's zlib contexts (inflate and deflate) exist.
//   npx tsx bench/compression-memory.ts [sockets=300]
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { SignalingServer, type SignalingServerOptions } from '../src/server/index.js';

const SOCKETS = Number(process.argv[2] ?? 300);
const SDP = 'a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack pli\r\n'.repeat(120);

if (process.argv.includes('--client')) {
  // Child: open the sockets, say hello, send one big request each, then wait.
  const [, , , url, count] = process.argv;
  const sockets: WebSocket[] = [];
  let ready = 0;
  for (let i = 0; i < Number(count); i++) {
    const ws = new WebSocket(url!);
    sockets.push(ws);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', version: 1 })));
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { type: string };
      if (frame.type === 'welcome') ws.send(JSON.stringify({ type: 'request', id: `r${i}`, method: 'echo', data: SDP }));
      else if (frame.type === 'response' && ++ready === Number(count)) process.send!('ready');
    });
  }
} else {
  const measure = async (options: SignalingServerOptions) => {
    const server = new SignalingServer({ host: '127.0.0.1', port: 0, path: '/rtc', maxPayload: 1 << 20, rateLimit: false, ...options });
    server.handle('echo', (data) => data);
    await server.listen();
    global.gc?.();
    const before = process.memoryUsage();
    const child = fork(fileURLToPath(import.meta.url), ['--client', `ws://127.0.0.1:${server.port}/rtc`, String(SOCKETS)], { execArgv: ['--import', 'tsx'] });
    await new Promise((resolve) => child.once('message', resolve));
    global.gc?.();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = process.memoryUsage();
    child.kill();
    await server.close();
    const per = (k: 'rss' | 'heapUsed' | 'external') => Math.round((after[k] - before[k]) / SOCKETS);
    return { rss: per('rss'), heap: per('heapUsed'), external: per('external') };
  };
  const rows = [
    ['off', await measure({})],
    ['on, context takeover (default)', await measure({ perMessageDeflate: { threshold: 1024 } })],
    ['on, no context takeover', await measure({ perMessageDeflate: { threshold: 1024, contextTakeover: false } })],
  ] as const;
  console.log(`server memory per socket, ${SOCKETS} sockets, each after one ${SDP.length}-byte request and its echo (${process.version}):`);
  console.log('| perMessageDeflate | RSS / socket | JS heap / socket | external / socket |\n|---|---|---|---|');
  for (const [label, m] of rows) console.log(`| ${label} | ${(m.rss / 1024).toFixed(1)} KiB | ${(m.heap / 1024).toFixed(1)} KiB | ${(m.external / 1024).toFixed(1)} KiB |`);
}
