// Heap bytes allocated per round trip by the write path, raw `ws` on both ends in one process,
// with each way of batching a tick's frames:
//   node --expose-gc --min-semi-space-size=128 --max-semi-space-size=128 --import tsx bench/write-alloc.ts [rounds] [n]
// The young generation is made large enough that no collection runs during a measurement, so
// heapUsed after minus before is what was allocated (a round that saw a GC is measured again).
// Both ends echo: "one at a time" sends the next frame when the answer arrives (one frame per
// tick each way); "100 in flight" keeps 100 frames outstanding (bursts). Medians of interleaved rounds.
import { PerformanceObserver } from 'node:perf_hooks';
import { WebSocket, WebSocketServer } from 'ws';
import type { WebSocketLike } from '../src/env.js';
import { batchWrites } from '../src/transport/ws-node.js';

declare const gc: (() => void) | undefined;
if (typeof gc !== 'function') throw new Error('run with node --expose-gc --min-semi-space-size=128 --max-semi-space-size=128 --import tsx');
const rounds = Number(process.argv[2] ?? 8);
const n = Number(process.argv[3] ?? 3000);

type Batch = (socket: WebSocketLike) => void;
interface Corkable {
  cork(): void;
  uncork(): void;
  writableCorked: number;
}
const tcpOf = (socket: WebSocketLike) => (socket as unknown as { _socket?: Corkable })._socket;

/** The previous batching: cork at a tick's first frame, uncork on a nextTick. */
const perSocketUncork = (tcp: Corkable) => tcp.uncork();
const perSocketTick: Batch = (socket) => {
  const tcp = tcpOf(socket);
  if (!tcp || tcp.writableCorked) return;
  tcp.cork();
  process.nextTick(perSocketUncork, tcp);
};

const modes: Record<string, Batch | undefined> = { 'no batching': undefined, 'cork, nextTick per tick': perSocketTick, 'batchWrites (src)': batchWrites as Batch };
const names = Object.keys(modes);
let mode: Batch | undefined;
const send = (socket: WebSocket, text: string) => {
  mode?.(socket as unknown as WebSocketLike);
  socket.send(text);
};

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
await new Promise((resolve) => wss.once('listening', resolve));
wss.on('connection', (socket) => socket.on('message', (data) => send(socket, data.toString())));
const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as { port: number }).port}`, { perMessageDeflate: false });
await new Promise((resolve) => client.once('open', resolve));

const text = JSON.stringify({ type: 'request', id: 'abcdefghij.1', method: 'echo', data: { pad: 'x'.repeat(200) } });
let onAnswer: () => void = () => {};
client.on('message', () => onAnswer());

/** `depth` frames outstanding until `count` answers arrived. */
function run(count: number, depth: number): Promise<void> {
  return new Promise((resolve) => {
    let sent = 0;
    let answered = 0;
    onAnswer = () => {
      if (++answered === count) return resolve();
      if (sent < count) (sent++, send(client, text));
    };
    for (; sent < Math.min(depth, count); sent++) send(client, text);
  });
}

let gcs = 0;
new PerformanceObserver((list) => (gcs += list.getEntries().length)).observe({ entryTypes: ['gc'] });
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

async function measure(depth: number): Promise<number> {
  for (;;) {
    await settle();
    gc!();
    await settle(); // let the GC observer report that collection before counting
    const seen = gcs;
    const before = process.memoryUsage().heapUsed;
    await run(n, depth);
    const after = process.memoryUsage().heapUsed;
    await settle();
    if (gcs === seen) return (after - before) / n;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const workloads = [
  ['one at a time', 1],
  ['100 in flight', 100],
] as const;
const bytes: Record<string, number[]> = {};
for (const name of names) for (const [w] of workloads) bytes[`${name}|${w}`] = [];
for (const name of names) ((mode = modes[name]), await run(2000, 1), await run(2000, 100)); // warm-up
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < names.length; k++) {
    const name = names[(k + r) % names.length]!;
    mode = modes[name];
    for (const [w, depth] of workloads) bytes[`${name}|${w}`]!.push(await measure(depth));
  }
}
console.log(`bytes allocated per round trip (medians of ${rounds} interleaved rounds of ${n}), Node ${process.version}`);
console.log(`${''.padEnd(26)}${workloads.map(([w]) => w.padStart(16)).join('')}`);
for (const name of names) console.log(`${name.padEnd(26)}${workloads.map(([w]) => `${Math.round(median(bytes[`${name}|${w}`]!))} B`.padStart(16)).join('')}`);
client.terminate();
wss.close();
