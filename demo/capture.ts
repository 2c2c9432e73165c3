// A test aid: the signaling server's view of the wire. Every text frame a `ws` socket in this
// process receives or sends is appended to a file as one JSON line
// { dir: 'in' | 'out', bytes, text }, bytes being the UTF-8 payload length (before any
// compression). The browser tests read it to prove what the server saw, and to count a call.
import { appendFileSync } from 'node:fs';
import { WebSocket } from 'ws';

export function captureFrames(file: string): void {
  const record = (dir: 'in' | 'out', data: unknown) => {
    const text = Buffer.isBuffer(data) ? data.toString() : String(data);
    appendFileSync(file, `${JSON.stringify({ dir, bytes: Buffer.byteLength(text), text })}\n`);
  };
  const proto = WebSocket.prototype as unknown as {
    send: (data: unknown, ...rest: unknown[]) => void;
    emit: (event: string | symbol, ...args: unknown[]) => boolean;
  };
  const send = proto.send;
  proto.send = function (this: unknown, data: unknown, ...rest: unknown[]) {
    record('out', data);
    return send.call(this, data, ...rest);
  };
  const emit = proto.emit;
  proto.emit = function (this: unknown, event: string | symbol, ...args: unknown[]) {
    if (event === 'message') record('in', args[0]);
    return emit.call(this, event, ...args);
  };
}
