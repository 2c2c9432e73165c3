/**
 * A hand-written server on 127.0.0.1 that speaks the wire protocol as each test scripts it:
 * for what the reference server never does (an older server that reports no `lost`, a hostile
 * one that floods or sends huge frames, a close with a code of the test's choosing). It answers
 * pings by itself; everything else is up to the test.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

type Frame = Record<string, unknown> & { type: string };

export class ScriptedLink {
  /** Every frame the client sent, parsed, pings and acks included. */
  readonly received: Frame[] = [];
  readonly #waiters: Array<{ test: (frame: Frame) => boolean; resolve: (frame: Frame) => void }> = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      this.received.push(frame);
      if (frame.type === 'ping') this.send({ type: 'pong', id: frame.id });
      for (const waiter of [...this.#waiters]) {
        if (!waiter.test(frame)) continue;
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve(frame);
      }
    });
  }

  send(frame: object | string): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  welcome(peer = 'scripted-peer-id-00001', fields: Record<string, unknown> = {}): void {
    this.send({ type: 'welcome', version: 1, peer, secret: 'scripted-secret', resumed: false, ...fields });
  }

  notify(method: string, data: unknown, seq: number): void {
    this.send({ type: 'notification', method, data, seq });
  }

  /** The next frame (already received or to come) that passes `test`; rejects after a generous bound. */
  next(test: (frame: Frame) => boolean, ms = 10_000): Promise<Frame> {
    const seen = this.received.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the client sent no matching frame within ${ms} ms`)), ms);
      this.#waiters.push({ test, resolve: (frame) => (clearTimeout(timer), resolve(frame)) });
    });
  }

  /** The client's `hello`. */
  hello(): Promise<Frame> {
    return this.next((frame) => frame.type === 'hello');
  }

  /** Answer the client's next request for `method` with `data`. */
  async answer(method: string, data: unknown): Promise<Frame> {
    const request = await this.next((frame) => frame.type === 'request' && frame.method === method && !this.#answered.has(frame));
    this.#answered.add(request);
    this.send({ type: 'response', id: request.id, ok: true, data });
    return request;
  }
  readonly #answered = new Set<Frame>();
}

export async function scriptedServer(): Promise<{ url: string; links: ScriptedLink[]; nextLink(): Promise<ScriptedLink>; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await once(wss, 'listening');
  const links: ScriptedLink[] = [];
  let taken = 0;
  wss.on('connection', (ws) => links.push(new ScriptedLink(ws)));
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    links,
    /** The next connection not handed out yet (waits for it). */
    async nextLink() {
      const index = taken++;
      if (!links[index]) await new Promise<void>((resolve) => {
        const check = () => (links[index] ? (wss.off('connection', check), resolve()) : undefined);
        wss.on('connection', check);
      });
      return links[index]!;
    },
    async close() {
      for (const link of links) link.ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
