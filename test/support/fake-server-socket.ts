/**
 * A fake server-side `ws` socket, for unit tests of the Hub's timing logic (never for
 * integration tests). The test plays the client: `receive()` a frame, `drop()` the
 * connection. A close the server starts completes on a later microtask, like a real close
 * handshake, unless `holdClose` is set: then only `terminate()` ends it.
 */
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import type { Hub } from '../../src/server/hub.js';

const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

export type SentFrame = { type: string } & Record<string, unknown>;

export class FakeServerSocket {
  readyState = OPEN;
  bufferedAmount = 0;
  /** Every frame the server sent, decoded, oldest first. */
  readonly sent: SentFrame[] = [];
  /** The code and reason of the server's `close()`, if it called it. */
  closedWith: { code: number; reason: string } | undefined;
  terminated = false;
  private readonly listeners = new Map<string, (...args: unknown[]) => void>();

  constructor(private readonly holdClose = false) {}

  on(event: string, listener: (...args: unknown[]) => void): this {
    this.listeners.set(event, listener);
    return this;
  }

  send(text: string): void {
    this.sent.push(JSON.parse(text) as SentFrame);
  }

  close(code: number, reason: string): void {
    if (this.readyState !== OPEN) return;
    this.readyState = CLOSING;
    this.closedWith = { code, reason };
    if (!this.holdClose) void Promise.resolve().then(() => this.finish(code, reason));
  }

  terminate(): void {
    this.terminated = true;
    this.finish(1006, '');
  }

  /** The client sends a text frame (an object is JSON-encoded). */
  receive(frame: object | string): void {
    const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
    this.listeners.get('message')?.(Buffer.from(text), false);
  }

  /** The client closes, or the connection drops, with `code`. */
  drop(code = 1006, reason = ''): void {
    this.finish(code, reason);
  }

  /** The frames of one type the server sent, oldest first. */
  frames(type: string): SentFrame[] {
    return this.sent.filter((frame) => frame.type === type);
  }

  private finish(code: number, reason: string): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.listeners.get('close')?.(code, Buffer.from(reason));
  }
}

/** Open a socket on `hub` and send `hello` (a new session unless it has `resume`). */
export function connect(hub: Hub, hello: object = { type: 'hello', version: 1 }, socket = new FakeServerSocket()): FakeServerSocket {
  hub.accept(socket as unknown as WebSocket, {} as IncomingMessage);
  socket.receive(hello);
  return socket;
}

/** The `welcome` the socket got; throws when it got none. */
export function welcomeOf(socket: FakeServerSocket): { peer: string; secret: string; resumed: boolean } {
  const welcome = socket.frames('welcome')[0];
  if (welcome === undefined) throw new Error(`no welcome; got ${JSON.stringify(socket.sent)}`);
  return welcome as unknown as { peer: string; secret: string; resumed: boolean };
}

/** The hello that resumes the session welcomed on `socket`, acknowledging up to `ack`. */
export function resumeHello(socket: FakeServerSocket, ack?: number): object {
  const { peer, secret } = welcomeOf(socket);
  return { type: 'hello', version: 1, resume: { peer, secret }, ...(ack === undefined ? {} : { ack }) };
}
