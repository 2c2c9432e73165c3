import type { WebSocketLike } from '../env.js';

// What only `ws` (Node) can do, for the WebSocket transport. Browser builds replace this file
// with ws-node.browser.ts (rollup.config.mjs), so script tags and browser bundles carry none of it.

type NativeListener = (data: { toString(): string }, isBinary: boolean) => void;

/**
 * Listen with `ws`'s native 'message' event, which skips the MessageEvent its `onmessage` shim
 * allocates per frame. Returns how to stop, or undefined if `socket` is not a `ws` socket.
 */
export function listenNatively(socket: WebSocketLike, onMessage: (data: unknown) => void): (() => void) | undefined {
  if (typeof socket.on !== 'function' || typeof socket.off !== 'function') return undefined;
  const listener: NativeListener = (data, isBinary) => onMessage(isBinary ? data : data.toString());
  socket.on('message', listener);
  return () => socket.off?.('message', listener);
}

/** The error `ws` reports for an inbound frame over its maxPayload. */
export function isTooLarge(event: unknown): boolean {
  return (event as { error?: { code?: unknown } } | null)?.error?.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
}

interface TcpSocket {
  cork(): void;
  uncork(): void;
  writableCorked: number;
  /** Bytes received so far (net.Socket). */
  bytesRead?: number;
  /** `bytesRead` when this socket last wrote a frame without corking. */
  [lastDirect]?: number;
}
const lastDirect = Symbol('resignal.lastDirect');

const uncork = (tcp: TcpSocket) => tcp.uncork();

/**
 * Call before each send. `ws` writes each frame with its own system call, most of a small
 * frame's CPU cost; this lets a tick's frames go out together, in order, before any timer or
 * I/O callback. A frame sent after bytes arrived on its socket (an answer, or the next
 * request after a response: the request/response pattern) is written at once, as without
 * batching; a frame that follows it with nothing read in between (the rest of a burst) corks
 * the socket, which is uncorked on the next tick (after the promise callbacks of this one).
 * So a lone frame costs no tick entry (an allocation per frame), and a burst's frames after
 * its first share one system call. A frame that is wrongly taken for a lone one is only
 * written alone; one wrongly taken for part of a burst is only held to the end of its tick.
 * process.nextTick with a shared function rather than queueMicrotask, which allocates an
 * async resource per call in Node.
 */
export function batchWrites(socket: WebSocketLike): void {
  const tcp = socket._socket as TcpSocket | null | undefined;
  if (!tcp || tcp.writableCorked) return;
  const read = tcp.bytesRead;
  if (read !== tcp[lastDirect]) {
    tcp[lastDirect] = read;
    return;
  }
  tcp.cork();
  process.nextTick(uncork, tcp);
}
