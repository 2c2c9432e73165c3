import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocketLike } from '../../../src/env.js';
import { batchWrites } from '../../../src/transport/ws-node.js';

// batchWrites on a real TCP socket pair: what it corks, and that everything arrives in order.
let sockets: Socket[] = [];
let close: () => void = () => {};

async function pair(): Promise<{ local: Socket; remote: Socket; socket: WebSocketLike; received: () => string }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const local = connect((server.address() as { port: number }).port, '127.0.0.1');
  await once(local, 'connect');
  const [remote] = await accepted;
  let text = '';
  remote.on('data', (chunk: Buffer) => (text += chunk.toString()));
  sockets = [local, remote];
  close = () => server.close();
  return { local, remote, socket: { _socket: local } as unknown as WebSocketLike, received: () => text };
}

const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve));
const arrived = async (received: () => string, text: string) => {
  for (let i = 0; i < 200 && received() !== text; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  return received();
};

afterEach(() => {
  for (const socket of sockets) socket.destroy();
  close();
});

describe('batchWrites', () => {
  it('writes the first frame at once, corks the ones after it in the same tick and uncorks on the next tick', async () => {
    const { local, socket, received } = await pair();
    batchWrites(socket);
    expect(local.writableCorked).toBe(0);
    local.write('a');
    batchWrites(socket);
    expect(local.writableCorked).toBe(1);
    local.write('b');
    batchWrites(socket); // already corked: nothing more
    expect(local.writableCorked).toBe(1);
    local.write('c');
    await nextTick();
    expect(local.writableCorked).toBe(0);
    expect(await arrived(received, 'abc')).toBe('abc');
  });

  it('writes a frame at once again after bytes arrived on its socket (an answer to what it read)', async () => {
    const { local, remote, socket, received } = await pair();
    batchWrites(socket);
    local.write('1');
    remote.write('reply');
    await once(local, 'data');
    batchWrites(socket);
    expect(local.writableCorked).toBe(0);
    local.write('2');
    expect(await arrived(received, '12')).toBe('12');
  });

  it('corks a later tick\'s frame when nothing arrived since the last frame written at once', async () => {
    const { local, socket, received } = await pair();
    batchWrites(socket);
    local.write('x');
    await new Promise((resolve) => setTimeout(resolve, 5));
    batchWrites(socket);
    expect(local.writableCorked).toBe(1);
    local.write('y');
    await nextTick();
    expect(local.writableCorked).toBe(0);
    expect(await arrived(received, 'xy')).toBe('xy');
  });

  it('does nothing for a socket without a TCP socket (browsers, other WebSocket implementations)', () => {
    expect(() => batchWrites({} as WebSocketLike)).not.toThrow();
    expect(() => batchWrites({ _socket: null } as unknown as WebSocketLike)).not.toThrow();
  });
});
