// The Node example from the README: a Peer talks to a local reference server, the server
// goes away and comes back, and a request made during the outage still gets its answer.
//   npm run example
import { Peer } from '../src/index.js';
import { SignalingServer } from '../src/server/index.js';

const port = Number(process.env.PORT ?? 8787);
const started = Date.now();
const log = (text: string) => console.log(`${String(Date.now() - started).padStart(6)} ms  ${text}`);

async function startServer(): Promise<SignalingServer> {
  const server = new SignalingServer({ port, host: '127.0.0.1', path: '/rtc' });
  server.handle('echo', (data, ctx) => ({ echoed: data, by: ctx.peerId }));
  await server.listen();
  log(`server listening on ws://127.0.0.1:${server.port}/rtc`);
  return server;
}

let server = await startServer();
const peer = new Peer({ urls: `ws://127.0.0.1:${port}/rtc` });
peer.on('state', ({ from, to }) => log(`state ${from} -> ${to}`));
peer.on('reconnecting', ({ attempt, delay, reason }) => log(`retry #${attempt} in ${delay} ms (${reason})`));
peer.on('open', ({ url, resumed }) => log(`open ${url}${resumed ? ' (session resumed)' : ''}, id ${peer.id}`));
peer.on('error', (error) => log(`error ${error.code}: ${error.message}`));

await peer.connect();
log(`request -> ${JSON.stringify(await peer.request('echo', 'first'))}`);

log('stopping the server for 3 s');
await server.close();
const duringOutage = peer.request('echo', 'sent while the server was down');
await new Promise((resolve) => setTimeout(resolve, 3000));
server = await startServer();

log(`request made during the outage -> ${JSON.stringify(await duringOutage)}`);
log(`stats ${JSON.stringify(peer.stats())}`);
peer.close();
await server.close();
