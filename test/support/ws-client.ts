/**
 * A raw protocol client for server integration tests: a real `ws` socket that queues every
 * frame it receives, so a test can speak the wire protocol by hand (and break it on purpose).
 */
import { WebSocket } from 'ws';
import type { SignalingServer, SignalingServerEvents } from '../../src/server/index.js';

export type Frame = Record<string, any>;
export interface Closed {
  code: number;
  reason: string;
}

interface Waiter {
  match: (frame: Frame) => boolean;
  what: string;
  resolve: (frame: Frame) => void;
  reject: (error: Error) => void;
}

export class RawClient {
  /** Settles when the socket has closed, with the code and reason the client saw. */
  readonly closed: Promise<Closed>;
  private readonly inbox: Frame[] = [];
  private waiters: Waiter[] = [];
  private closedWith: Closed | undefined;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closedWith = { code, reason: reason.toString() };
        for (const waiter of this.waiters) {
          waiter.reject(new Error(`socket closed (${code} ${reason.toString()}) while waiting for ${waiter.what}`));
        }
        this.waiters = [];
        resolve(this.closedWith);
      });
    });
    ws.on('message', (data) => this.deliver(JSON.parse(data.toString()) as Frame));
    ws.on('error', () => {}); // the close event tells the tests what happened
  }

  static connect(url: string): Promise<RawClient> {
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RawClient(ws)));
      ws.once('error', reject);
    });
  }

  send(frame: object): void {
    this.ws.send(JSON.stringify(frame));
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  /** Send `hello` and wait for `welcome`. */
  async hello(extra: object = {}): Promise<Frame> {
    this.send({ type: 'hello', version: 1, ...extra });
    return this.next('welcome');
  }

  /** Take the first received frame of this type (or matching this test), waiting if needed. */
  next(match: string | ((frame: Frame) => boolean)): Promise<Frame> {
    const test = typeof match === 'string' ? (frame: Frame) => frame.type === match : match;
    const what = typeof match === 'string' ? `a "${match}" frame` : 'a matching frame';
    const index = this.inbox.findIndex(test);
    if (index >= 0) return Promise.resolve(this.inbox.splice(index, 1)[0]!);
    if (this.closedWith) return Promise.reject(new Error(`socket already closed (${this.closedWith.code}) while waiting for ${what}`));
    return new Promise((resolve, reject) => this.waiters.push({ match: test, what, resolve, reject }));
  }

  /** Frames received and not taken by `next()` yet. */
  unread(): Frame[] {
    return [...this.inbox];
  }

  /** Round-trip a ping: every frame the server sent before the pong has arrived after this. */
  async sync(id = 1, ack?: number): Promise<void> {
    this.send(ack === undefined ? { type: 'ping', id } : { type: 'ping', id, ack });
    await this.next((frame) => frame.type === 'pong' && frame.id === id);
  }

  close(code?: number): Promise<Closed> {
    this.ws.close(code);
    return this.closed;
  }

  private deliver(frame: Frame): void {
    const index = this.waiters.findIndex((waiter) => waiter.match(frame));
    if (index >= 0) this.waiters.splice(index, 1)[0]!.resolve(frame);
    else this.inbox.push(frame);
  }
}

/** The payload of the server's next event of this name. */
export function nextEvent<E extends keyof SignalingServerEvents>(
  server: SignalingServer,
  event: E,
): Promise<Parameters<SignalingServerEvents[E]>[0]> {
  return new Promise((resolve) => server.once(event, ((payload: Parameters<SignalingServerEvents[E]>[0]) => resolve(payload)) as never));
}
