// The resignal server's per-frame cost in isolation: no network, no client process. A fake
// `ws` socket feeds frames straight into the Hub (as ws's 'message' event would: a Buffer)
// and counts what the server sends back. CPU µs per frame, best of several interleaved
// repeats. Bundle it without esbuild's keepNames (tsx adds __name wrappers to closures):
//   npx esbuild bench/micro-server.ts --bundle --platform=node --format=esm --packages=external --outfile=/tmp/micro-server.mjs && node /tmp/micro-server.mjs
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { decodeFrame } from '../src/protocol/codec.js';
import { ClientFrame } from '../src/protocol/frame-guards.js';
import { ClientFrame as ClientFrameSchema } from '../src/protocol/frames.js';
import { Hub } from '../src/server/hub.js';
import { normalizeOptions } from '../src/server/options.js';
import { payload, timeSync } from './lib/util.js';

const DATA_JSON = JSON.stringify(payload(200));

class FakeWs {
  readyState = 1;
  sent = 0;
  last = '';
  private listeners = new Map<string, (...args: unknown[]) => void>();
  on(event: string, fn: (...args: unknown[]) => void): this {
    this.listeners.set(event, fn);
    return this;
  }
  send(text: string): void {
    this.sent++;
    this.last = text;
  }
  close(): void {}
  emit(event: string, ...args: unknown[]): void {
    this.listeners.get(event)?.(...args);
  }
}



const notes = { n: 0 };
const hub = new Hub(normalizeOptions({ rateLimit: false }), (event) => {
  if (event === 'notification') notes.n++;
}, (error) => {
  throw error;
}, () => {});
hub.handle('echo', (data) => data);
const ws = new FakeWs();
hub.accept(ws as unknown as WebSocket, {} as IncomingMessage);
ws.emit('message', Buffer.from('{"type":"hello","version":1}'), false);
await new Promise((resolve) => setImmediate(resolve));
if (!ws.last.includes('"welcome"')) throw new Error(`not welcomed: ${ws.last}`);

const prefix = 'AbCdEfGhIj';
let next = 0;
const request = () => Buffer.from(`{"type":"request","id":"${prefix}.${(next++).toString(36)}","method":"echo","data":${DATA_JSON}}`);
const notification = Buffer.from(`{"type":"notification","method":"note","data":${DATA_JSON}}`);
const ping = Buffer.from('{"type":"ping","id":7}');
const reqText = request().toString();

const N = 50_000;
const tests: Array<[string, () => number]> = [
  ['request frame (echo, 200 B), Buffer -> hub -> response sent', () => {
    const frames = Array.from({ length: N }, request);
    const before = ws.sent;
    const us = timeSync(N, (i) => ws.emit('message', frames[i], false));
    if (ws.sent - before !== N) throw new Error('missing responses');
    return us;
  }],
  ['  ws-style baseline: toString + JSON.parse + JSON.stringify({id,data})', () => {
    const frames = Array.from({ length: N }, request);
    return timeSync(N, (i) => {
      const msg = JSON.parse(frames[i]!.toString()) as { id: string; data: unknown };
      ws.send(JSON.stringify({ id: msg.id, data: msg.data }));
    });
  }],
  ['notification frame (200 B)', () => timeSync(N, () => ws.emit('message', notification, false))],
  ['ping frame', () => timeSync(N, () => ws.emit('message', ping, false))],
  ['decodeFrame(ClientFrame, request text): JSON.parse + guard', () => timeSync(N, () => decodeFrame(ClientFrame, reqText))],
  ['JSON.parse + ClientFrame zod schema (what the server ran before the guard)', () => timeSync(N, () => ClientFrameSchema.safeParse(JSON.parse(reqText)))],
  ['JSON.parse(request text)', () => timeSync(N, () => JSON.parse(reqText))],
];

for (const [, run] of tests) run();
const best = new Map<string, number>();
for (let repeat = 0; repeat < 7; repeat++) {
  for (const [what, run] of tests) best.set(what, Math.min(best.get(what) ?? Infinity, run()));
}
for (const [what, us] of best) console.log(`${us.toFixed(2).padStart(7)} µs  ${what}`);
