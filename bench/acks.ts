// What acknowledging as the client reads costs: a server -> client stream of notifications,
// with the Peer's default acks (an ack frame every 64 notifications or 250 ms) against acks
// only with pings (every 5 s, the behaviour before ack frames). Interleaved rounds; CPU µs per
// notification in the client (this process) and the server (a child process), frames written
// by the client, and the server's NOTIFICATIONS_DROPPED warnings (its resend buffer overflowing).
//   npx tsx bench/acks.ts [rounds] [notifications per round]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { Peer, type PeerOptions, type WebSocketCtor } from '../src/index.js';
import { median } from './lib/util.js';

const rounds = Number(process.argv[2] ?? 7);
const perRound = Number(process.argv[3] ?? 20_000);

const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./acks-server.ts', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
process.on('exit', () => child.kill('SIGKILL'));
const port = await new Promise<number>((resolve) => {
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const match = /listening (\d+)/.exec(out);
    if (match) resolve(Number(match[1]));
  });
});

const configs: Record<string, PeerOptions['acks']> = {
  'acks (default: 64 / 250 ms)': undefined,
  'acks every 250 / 250 ms': { every: 250 },
  'pings only (before)': { every: 2 ** 30, delay: 2 ** 31 - 1 },
};
type Sample = { clientUs: number; serverUs: number; framesOut: number; dropped: number; rate: number };
const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(configs).map((name) => [name, []]));

/** Every frame the client writes (acks and pings included), counted at the socket. */
let written = 0;
class CountingWebSocket {
  constructor(url: string, protocols?: string[], options?: { maxPayload?: number }) {
    const socket = new WebSocket(url, protocols, options);
    const send = socket.send.bind(socket) as (data: string) => void;
    socket.send = ((data: string) => {
      written++;
      send(data);
    }) as typeof socket.send;
    return socket;
  }
}

async function measure(acks: PeerOptions['acks']): Promise<Sample> {
  const peer = new Peer({ urls: `ws://127.0.0.1:${port}/rtc`, WebSocket: CountingWebSocket as unknown as WebSocketCtor, ...(acks && { acks }) });
  await peer.connect();
  let received = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  peer.on('notification', () => {
    if (++received === perRound) done();
  });
  const sentBefore = written;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const answer = (await peer.request('flood', { n: perRound }, { timeout: 120_000 })) as { cpuUs: number; dropped: number };
  await all;
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const framesOut = written - sentBefore;
  peer.close();
  return { clientUs: (cpu.user + cpu.system) / perRound, serverUs: answer.cpuUs / perRound, framesOut, dropped: answer.dropped, rate: perRound / seconds };
}

await measure(undefined); // warm-up
const names = Object.keys(configs);
for (let round = 0; round < rounds; round++) {
  // A rotating order, so drift in the machine's speed hits every configuration alike.
  for (let i = 0; i < names.length; i++) {
    const name = names[(round + i) % names.length]!;
    samples[name]!.push(await measure(configs[name]));
  }
}

console.log(`${rounds} rounds of ${perRound} server -> client notifications (median and range; src/ via tsx; load ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')})`);
console.log('| client acks | client CPU µs/notification | server CPU µs/notification | frames written by the client | NOTIFICATIONS_DROPPED | notifications/s |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const name of names) {
  const s = samples[name]!;
  // Median, and the range over the rounds.
  const m = (pick: (x: Sample) => number, digits: number) => {
    const values = s.map(pick);
    return `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)})`;
  };
  console.log(`| ${name} | ${m((x) => x.clientUs, 2)} | ${m((x) => x.serverUs, 2)} | ${m((x) => x.framesOut, 0)} | ${m((x) => x.dropped, 0)} | ${m((x) => x.rate, 0)} |`);
}
child.kill('SIGKILL');
process.exit(0);
