import type { WebSocketCtor, WebSocketLike } from '../env.js';
import type { Transport, TransportFactory, TransportHandlers } from './transport.js';
import { batchWrites, isTooLarge, listenNatively } from './ws-node.js';

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
  /** Stops `ws`'s native message listener (Node only). */
  #unlisten: (() => void) | undefined;
  readonly #socket: WebSocketLike;

  constructor(socket: WebSocketLike, handlers: TransportHandlers) {
    this.#socket = socket;
    socket.onopen = () => {
      if (!this.#done) handlers.onOpen();
    };
    const onMessage = (data: unknown) => {
      if (!this.#done) handlers.onMessage(data);
    };
    this.#unlisten = listenNatively(socket, onMessage);
    if (!this.#unlisten) socket.onmessage = (event) => onMessage(event.data);
    // An error is always followed by close; close alone carries the code the Peer acts on.
    // Except a frame over `ws`'s maxPayload: it stops reading and waits for the server's close
    // (which a hostile server may never send), then reports 1006. Report 1009 now instead.
    socket.onerror = (event) => {
      if (this.#done || !isTooLarge(event)) return;
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
    if (this.#done) return;
    batchWrites(this.#socket);
    this.#socket.send(text);
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
    this.#unlisten?.();
    this.#socket.onclose = null;
  }
}
