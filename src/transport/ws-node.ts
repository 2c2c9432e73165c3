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
  /** Frames written in the tick being corked. */
  [corkedFrames]?: number;
  /** Its last corked tick had one frame: frames come one per tick, so write the next at once. */
  [lone]?: boolean;
}
const lastDirect = Symbol('resignal.lastDirect');
const corkedFrames = Symbol('resignal.corkedFrames');
const lone = Symbol('resignal.lone');

const uncork = (tcp: TcpSocket) => {
  tcp[lone] = tcp[corkedFrames] === 1;
  tcp.uncork();
};

/**
 * Call before each send. `ws` writes each frame with its own system call, most of a small
 * frame's CPU cost; this corks the TCP socket so that a tick's frames go out together, in
 * order, before any timer or I/O callback, and uncorks it on the next tick (after the promise
 * callbacks of this one). A socket whose last corked tick held one frame (request/response
 * traffic) writes its next frame at once instead, if bytes arrived since its last frame written
 * that way (a frame with nothing read in between may be the second of a tick: it corks), so
 * a lone frame costs no tick entry (an allocation); a burst after it switches back to corking
 * from a tick's first frame. A wrong guess only costs a system call, or holds a frame to the
 * end of its tick. process.nextTick with a shared function rather than queueMicrotask, which
 * allocates an async resource per call in Node.
 */
export function batchWrites(socket: WebSocketLike): void {
  const tcp = socket._socket as TcpSocket | null | undefined;
  if (!tcp) return;
  if (tcp.writableCorked) {
    tcp[corkedFrames] = (tcp[corkedFrames] ?? 0) + 1;
    return;
  }
  const read = tcp.bytesRead;
  if (tcp[lone] && read !== tcp[lastDirect]) {
    tcp[lastDirect] = read;
    return;
  }
  tcp.cork();
  // In lone mode this follows a frame written at once with nothing read since: count that one too.
  tcp[corkedFrames] = tcp[lone] ? 2 : 1;
  process.nextTick(uncork, tcp);
}
