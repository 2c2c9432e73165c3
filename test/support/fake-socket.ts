/**
 * A fake WebSocket for the unit tests of timing logic (never for integration tests).
 *
 * It behaves like a browser WebSocket as seen from its handlers: it starts CONNECTING,
 * nothing happens until the test says so (`open()`, `receive()`, `drop()`), and a close the
 * client asks for completes later, never inside the call. It refuses what a real socket
 * refuses: `send()` while CONNECTING throws, `close()` with a code a browser rejects throws.
 */
import type { WebSocketCtor, WebSocketLike } from '../../src/env.js';

export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;

export interface FakeSocketOptions {
  /** Give sockets a `ws`-style `terminate()`. Without it the transport must fall back to `close()`. @default true */
  terminate?: boolean;
  /** Make the constructor throw for these urls, like a browser does for a malformed URL. */
  refuse?: (url: string) => boolean;
}

export class FakeSocket implements WebSocketLike {
  readyState = CONNECTING;
  bufferedAmount = 0;
  onerror: ((event: unknown) => void) | null = null;
  declare terminate?: () => void;
  /** `Date.now()` when the socket was created (fake time). */
  readonly createdAt = Date.now();

  // The last non-null handler of each kind, kept after the client removes it, so a test can
  // deliver an event the runtime had already queued when the client let go (see `late*`).
  private handlers: { open?: (event: unknown) => void; message?: (event: { data: unknown }) => void; close?: (event: { code: number; reason: string }) => void } = {};
  private current: { open: FakeSocket['onopen']; message: FakeSocket['onmessage']; close: FakeSocket['onclose'] } = { open: null, message: null, close: null };

  get onopen(): ((event: unknown) => void) | null {
    return this.current.open;
  }
  set onopen(handler: ((event: unknown) => void) | null) {
    this.current.open = handler;
    if (handler) this.handlers.open = handler;
  }
  get onmessage(): ((event: { data: unknown }) => void) | null {
    return this.current.message;
  }
  set onmessage(handler: ((event: { data: unknown }) => void) | null) {
    this.current.message = handler;
    if (handler) this.handlers.message = handler;
  }
  get onclose(): ((event: { code: number; reason: string }) => void) | null {
    return this.current.close;
  }
  set onclose(handler: ((event: { code: number; reason: string }) => void) | null) {
    this.current.close = handler;
    if (handler) this.handlers.close = handler;
  }

  /** Every text frame the client wrote, parsed. */
  readonly sent: Array<Record<string, unknown>> = [];
  /** Every text frame the client wrote, as written. */
  readonly sentText: string[] = [];
  /** `close()` calls from the client, in order. */
  readonly closeCalls: Array<{ code: number | undefined; reason: string | undefined }> = [];
  /** True once the client called `terminate()`. */
  terminated = false;
  /** Frames the client tried to write after the socket was closing or closed (a real socket discards them). */
  sentAfterClose = 0;

  constructor(
    readonly url: string,
    withTerminate: boolean,
  ) {
    if (withTerminate) {
      this.terminate = () => {
        this.terminated = true;
        if (this.readyState === CLOSED) return;
        this.readyState = CLOSED;
        // `ws` emits 'close' (1006) on the next turn.
        queueMicrotask(() => this.onclose?.({ code: 1006, reason: '' }));
      };
    }
  }

  send(data: string): void {
    if (this.readyState === CONNECTING) throw new Error('InvalidStateError: send() while the WebSocket is still CONNECTING');
    if (typeof data !== 'string') throw new TypeError('resignal only sends text frames');
    if (this.readyState !== OPEN) {
      this.sentAfterClose++;
      return;
    }
    this.sentText.push(data);
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(code?: number, reason?: string): void {
    if (code !== undefined && code !== 1000 && !(code >= 3000 && code <= 4999)) {
      throw new Error(`InvalidAccessError: close code ${code} is not 1000 or in 3000-4999`);
    }
    this.closeCalls.push({ code, reason });
    if (this.readyState === CLOSING || this.readyState === CLOSED) return;
    this.readyState = CLOSING;
    // The close handshake finishes later, never inside close().
    queueMicrotask(() => {
      if (this.readyState === CLOSED) return;
      this.readyState = CLOSED;
      this.onclose?.({ code: code ?? 1005, reason: reason ?? '' });
    });
  }

  // ---- test controls ----

  /** The connection is established: fires `open`. */
  open(): void {
    if (this.readyState !== CONNECTING) throw new Error(`fake socket ${this.url}: open() on a socket in state ${this.readyState}`);
    this.readyState = OPEN;
    this.onopen?.({ type: 'open' });
  }

  /** The server sends a frame: an object is JSON-encoded, anything else is delivered as is (text or binary). */
  receive(frame: unknown): void {
    if (this.readyState !== OPEN) throw new Error(`fake socket ${this.url}: receive() on a socket that is not open`);
    const data = typeof frame === 'object' && frame !== null && !ArrayBuffer.isView(frame) && !(frame instanceof ArrayBuffer) ? JSON.stringify(frame) : frame;
    this.onmessage?.({ data });
  }

  /** Open (if needed) and answer with `welcome`. */
  welcome(peer: string, resumed = false, secret = `secret-of-${peer}`): void {
    if (this.readyState === CONNECTING) this.open();
    this.receive({ type: 'welcome', version: 1, peer, secret, resumed });
  }

  /** The connection ends from the other side (or the network): fires `error` for abnormal codes, then `close`. */
  drop(code = 1006, reason = ''): void {
    if (this.readyState === CLOSED) throw new Error(`fake socket ${this.url}: drop() on a closed socket`);
    this.readyState = CLOSED;
    if (code === 1006) this.onerror?.({ type: 'error' });
    this.onclose?.({ code, reason });
  }

  /**
   * Deliver an event through the handler the client had installed, even if it has removed it
   * since: an event the runtime queued before the client let go of this socket.
   */
  lateOpen(): void {
    this.handlers.open?.({ type: 'open' });
  }
  lateMessage(frame: unknown): void {
    this.handlers.message?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }
  lateClose(code = 1006, reason = ''): void {
    this.handlers.close?.({ code, reason });
  }

  /** Frames of one type the client wrote. */
  sentOfType(type: string): Array<Record<string, unknown>> {
    return this.sent.filter((frame) => frame.type === type);
  }

  /** The last frame the client wrote. */
  lastSent(): Record<string, unknown> | undefined {
    return this.sent[this.sent.length - 1];
  }
}

export interface FakeWebSocketFactory {
  /** Pass this as `WebSocket` (or `env.WebSocket`). */
  WebSocket: WebSocketCtor;
  /** Every socket created so far, oldest first. */
  sockets: FakeSocket[];
  /** The newest socket; throws when none was created. */
  last(): FakeSocket;
}

export function fakeWebSocket(options: FakeSocketOptions = {}): FakeWebSocketFactory {
  const sockets: FakeSocket[] = [];
  const withTerminate = options.terminate ?? true;
  const refuse = options.refuse;
  class FakeWebSocket extends FakeSocket {
    static readonly CONNECTING = CONNECTING;
    static readonly OPEN = OPEN;
    static readonly CLOSING = CLOSING;
    static readonly CLOSED = CLOSED;
    constructor(url: string) {
      if (refuse?.(url)) throw new SyntaxError(`The URL '${url}' is invalid.`);
      super(url, withTerminate);
      sockets.push(this);
    }
  }
  return {
    WebSocket: FakeWebSocket,
    sockets,
    last() {
      const socket = sockets[sockets.length - 1];
      if (!socket) throw new Error('no fake socket was created');
      return socket;
    },
  };
}
