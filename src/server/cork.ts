import type { WebSocket } from 'ws';

/** The TCP socket under a `ws` WebSocket: not in ws's typings, but there in every ws 8. */
interface Tcp {
  cork(): void;
  uncork(): void;
  writableCorked: number;
}

const uncork = (tcp: Tcp) => tcp.uncork();

/**
 * Call before each `ws.send()`: the frames written to a socket within one tick then go out
 * in one system call. `ws` writes each frame at once (a `writev` per frame), and for small
 * frames that system call is most of their CPU: answers to a burst of requests that arrived
 * in one TCP read, or a room's notifications, each paid for one. The socket is corked at the
 * first frame and uncorked on the next tick (after this tick's promise callbacks), so the
 * frames leave together and in order before any timer or I/O callback runs: no frame waits
 * for anything but the code already running. process.nextTick with a shared function rather
 * than queueMicrotask, which allocates an async resource per call.
 */
export function batchWrites(ws: WebSocket): void {
  const tcp = (ws as unknown as { _socket?: Partial<Tcp> | null })._socket;
  if (typeof tcp?.cork !== 'function' || tcp.writableCorked !== 0) return;
  tcp.cork();
  process.nextTick(uncork, tcp as Tcp);
}
