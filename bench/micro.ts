// The resignal client's per-request cost in isolation: no network, no server process.
// A fake WebSocket answers every request in a microtask, so what is measured is only the
// client library's own work per request. Pieces of the hot path are timed on their own.
// CPU time (process.cpuUsage), best of several interleaved repeats, so other load on the
// machine matters little. Used by profile.ts; run alone with `tsx bench/micro.ts`.
import { fileURLToPath } from 'node:url';
import type { WebSocketLike } from '../src/index.js';
import { encodeFrame, decodeFrame, utf8Length } from '../src/protocol/codec.js';
import { ServerFrame } from '../src/protocol/frame-guards.js';
import { ServerFrame as ServerFrameSchema } from '../src/protocol/frames.js';
import { loadClient } from './lib/resignal-module.js';
import { cpuUs, payload, timeSync } from './lib/util.js';

const DATA = payload(200);
const DATA_JSON = JSON.stringify(DATA);

/** Answers hello with welcome and every request with a response, one microtask later. */
class FakeSocket implements WebSocketLike {
  readyState = 0;
  bufferedAmount = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(_url: string) {
    setImmediate(() => {
      this.readyState = 1;
      this.onopen?.({});
    });
  }

  send(text: string): void {
    let reply: string;
    if (text.startsWith('{"type":"hello"')) {
      reply = '{"type":"welcome","version":1,"peer":"p1234567890","secret":"s1234567890","resumed":false}';
    } else if (text.startsWith('{"type":"request"')) {
      const start = text.indexOf('"id":"') + 6;
      reply = `{"type":"response","id":"${text.slice(start, text.indexOf('"', start))}","ok":true,"data":${DATA_JSON}}`;
    } else if (text.startsWith('{"id":')) {
      reply = `{"id":${text.slice(6, text.indexOf(',', 6))},"data":${DATA_JSON}}`; // the minimal client's format
    } else {
      return;
    }
    queueMicrotask(() => this.onmessage?.({ data: reply }));
  }

  close(): void {}
  terminate(): void {}
}

/** The smallest request/response client, as in clients/ws.ts, on the same fake socket. */
function minimalClient(): { request(method: string, data: unknown): Promise<unknown> } {
  const socket = new FakeSocket('fake://');
  const pending = new Map<number, (data: unknown) => void>();
  let nextId = 0;
  socket.onmessage = ({ data }) => {
    const msg = JSON.parse(data as string) as { id: number; data: unknown };
    const resolve = pending.get(msg.id);
    pending.delete(msg.id);
    resolve?.(msg.data);
  };
  return {
    request(method, data) {
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        socket.send(JSON.stringify({ id, method, data }));
      });
    },
  };
}



async function timeAsync(n: number, body: () => Promise<unknown>): Promise<number> {
  const t0 = cpuUs();
  for (let i = 0; i < n; i++) await body();
  return (cpuUs() - t0) / n;
}

export interface MicroRow {
  what: string;
  us: number;
}

export async function runMicro(): Promise<MicroRow[]> {
  const { Peer } = await loadClient();
  const peer = new Peer({ urls: 'ws://fake', WebSocket: FakeSocket });
  await peer.connect();
  const noTimers = new Peer({
    urls: 'ws://fake',
    WebSocket: FakeSocket,
    env: { setTimeout: () => 0, clearTimeout: () => {} },
  });
  await noTimers.connect();
  const minimal = minimalClient();

  const responseText = `{"type":"response","id":"AbCdEfGhIj.1a2b","ok":true,"data":${DATA_JSON}}`;
  const requestFrame = { type: 'request', id: 'AbCdEfGhIj.1a2b', method: 'echo', data: DATA };
  const requestText = JSON.stringify(requestFrame);
  const noop = () => {};

  // The two objects SendBuffer.request / Peer.request build per request, built the way the
  // source builds them (object spread) and with the same fields listed explicitly.
  const encoded = { text: requestText, bytes: requestText.length };
  const spreadEntry = (i: number) => {
    const init = { id: `AbCdEfGhIj.${i.toString(36)}`, method: 'echo', ...encoded, timeout: 15_000, signal: undefined, replay: true };
    return { ...init, kind: 'request', sent: false, resolve: noop, reject: noop, timer: 0, onAbort: undefined };
  };
  const explicitEntry = (i: number) => {
    const init = { id: `AbCdEfGhIj.${i.toString(36)}`, method: 'echo', text: encoded.text, bytes: encoded.bytes, timeout: 15_000, signal: undefined, replay: true };
    return {
      id: init.id, method: init.method, text: init.text, bytes: init.bytes, timeout: init.timeout, signal: init.signal, replay: init.replay,
      kind: 'request', sent: false, resolve: noop, reject: noop, timer: 0, onAbort: undefined,
    };
  };
  const keep = new Map<string, object>(); // held until answered, as in SendBuffer

  const N = 100_000;
  const tests: Array<[string, () => number | Promise<number>]> = [
    ['Peer.request() round trip, defaults (fake socket)', () => timeAsync(N, () => peer.request('echo', DATA))],
    ['Peer.request() round trip, request timers replaced by no-ops', () => timeAsync(N, () => noTimers.request('echo', DATA))],
    ['minimal ws-style client round trip (same fake socket)', () => timeAsync(N, () => minimal.request('echo', DATA))],
    ['JSON.parse(response frame)', () => timeSync(N, () => JSON.parse(responseText))],
    ['decodeFrame(ServerFrame, response frame): JSON.parse + guard', () => timeSync(N, () => decodeFrame(ServerFrame, responseText))],
    ['JSON.parse + ServerFrame zod schema (what the client ran before the guard)', () => timeSync(N, () => ServerFrameSchema.safeParse(JSON.parse(responseText)))],
    ['JSON.stringify(request frame)', () => timeSync(N, () => JSON.stringify(requestFrame))],
    ['encodeFrame(request frame)', () => timeSync(N, () => encodeFrame(requestFrame))],
    ['utf8Length(request frame text)', () => timeSync(N, () => utf8Length(requestText))],
    ['Buffer.byteLength(request frame text)', () => timeSync(N, () => Buffer.byteLength(requestText))],
    ['request entry built with object spread (as SendBuffer.request did before it became a class), held in a Map', () => timeSync(N, (i) => {
      const entry = spreadEntry(i);
      keep.set(entry.id, entry);
      keep.delete(entry.id);
    })],
    ['the same entry with its fields listed explicitly, held in a Map', () => timeSync(N, (i) => {
      const entry = explicitEntry(i);
      keep.set(entry.id, entry);
      keep.delete(entry.id);
    })],
    ['setTimeout(fn, 15000) + clearTimeout', () => timeSync(N, () => clearTimeout(setTimeout(noop, 15_000)))],
    ['new Promise + resolve + await', () => timeAsync(N, () => new Promise<void>((resolve) => resolve()))],
  ];
  // Warm up, then 5 interleaved repeats; keep the best (least disturbed) of each.
  for (const [, run] of tests) await run();
  const best = new Map<string, number>();
  for (let repeat = 0; repeat < 5; repeat++) {
    for (const [what, run] of tests) {
      const us = await run();
      best.set(what, Math.min(best.get(what) ?? Infinity, us));
    }
  }
  peer.close();
  noTimers.close();
  return [...best].map(([what, us]) => ({ what, us }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const row of await runMicro()) console.log(`${row.us.toFixed(2).padStart(7)} µs  ${row.what}`);
}
