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

const uncork = (tcp: { uncork(): void }) => tcp.uncork();

/**
 * Call before each send. `ws` writes each frame with its own system call, most of a small
 * frame's CPU cost; this corks its TCP socket at a tick's first frame and uncorks it on the
 * next tick (after the promise callbacks of this one), so the tick's frames go out together,
 * in order, before any timer or I/O callback. process.nextTick with a shared function rather
 * than queueMicrotask, which allocates an async resource per call in Node.
 */
export function batchWrites(socket: WebSocketLike): void {
  const tcp = socket._socket;
  if (!tcp || tcp.writableCorked) return;
  tcp.cork();
  process.nextTick(uncork, tcp);
}
