import type { WebSocketCtor, WebSocketLike } from '../env.js';
import type { Transport, TransportFactory, TransportHandlers } from './transport.js';

/**
 * A Transport over a WHATWG-style WebSocket (the browser's, or `ws` in Node). `maxPayload`
 * caps inbound frames where the implementation supports it (`ws`; browsers have no such limit).
 */
export function webSocketTransport(WebSocket: WebSocketCtor, maxPayload?: number): TransportFactory {
  const options = maxPayload === undefined ? undefined : { maxPayload };
  return (url, handlers) => new WebSocketTransport(options ? new WebSocket(url, [], options) : new WebSocket(url), handlers);
}

class WebSocketTransport implements Transport {
  #done = false;
  #nativeListener: ((data: { toString(): string }, isBinary: boolean) => void) | undefined;
  readonly #socket: WebSocketLike;

  constructor(socket: WebSocketLike, handlers: TransportHandlers) {
    this.#socket = socket;
    socket.onopen = () => {
      if (!this.#done) handlers.onOpen();
    };
    if (typeof socket.on === 'function' && typeof socket.off === 'function') {
      // In Node (`ws`), skip the per-frame MessageEvent its `onmessage` shim allocates.
      this.#nativeListener = (data, isBinary) => {
        if (!this.#done) handlers.onMessage(isBinary ? data : data.toString());
      };
      socket.on('message', this.#nativeListener);
    } else {
      socket.onmessage = (event) => {
        if (!this.#done) handlers.onMessage(event.data);
      };
    }
    // An error is always followed by close; close alone carries the code the Peer acts on.
    // Except a frame over `ws`'s maxPayload: it stops reading and waits for the server's close
    // (which a hostile server may never send), then reports 1006. Report 1009 now instead.
    socket.onerror = (event) => {
      if (this.#done || (event as { error?: { code?: unknown } } | null)?.error?.code !== 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return;
      this.#done = true;
      handlers.onClose(1009, 'a frame from the server was larger than maxInboundBytes');
    };
    socket.onclose = (event) => {
      if (this.#done) return;
      this.#done = true;
      handlers.onClose(event.code, event.reason);
    };
  }

  send(text: string): void {
    if (!this.#done) this.#socket.send(text);
  }

  close(code: number, reason: string): void {
    this.#detach();
    try {
      this.#socket.close(code, reason);
    } catch {
      // Closing a socket that is still connecting throws in some runtimes; it is abandoned either way.
    }
  }

  terminate(): void {
    this.#detach();
    if (typeof this.#socket.terminate === 'function') {
      this.#socket.terminate();
    } else {
      try {
        this.#socket.close(4999, 'stale link');
      } catch {
        // see close()
      }
    }
  }

  #detach(): void {
    this.#done = true;
    // Keep an error listener: `ws` emits 'error' for a socket closed while connecting.
    this.#socket.onopen = null;
    this.#socket.onmessage = null;
    if (this.#nativeListener) this.#socket.off?.('message', this.#nativeListener);
    this.#socket.onclose = null;
  }
}
