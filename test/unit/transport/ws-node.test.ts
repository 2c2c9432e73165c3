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

/** One tick with one frame: the socket learns that its frames come one per tick. */
async function loneTick(local: Socket, socket: WebSocketLike, text: string): Promise<void> {
  batchWrites(socket);
  local.write(text);
  await nextTick();
}

describe('batchWrites', () => {
  it("corks at a tick's first frame and uncorks on the next tick; everything arrives in order", async () => {
    const { local, socket, received } = await pair();
    batchWrites(socket);
    expect(local.writableCorked).toBe(1);
    local.write('a');
    batchWrites(socket); // already corked: nothing more
    expect(local.writableCorked).toBe(1);
    local.write('b');
    await nextTick();
    expect(local.writableCorked).toBe(0);
    expect(await arrived(received, 'ab')).toBe('ab');
  });

  it('after a tick with one frame, writes a frame at once when bytes arrived since (an answer), and corks the ones after it', async () => {
    const { local, remote, socket, received } = await pair();
    await loneTick(local, socket, '1');
    remote.write('reply');
    await once(local, 'data');
    batchWrites(socket);
    expect(local.writableCorked).toBe(0);
    local.write('2');
    batchWrites(socket); // nothing read since '2': possibly the same tick
    expect(local.writableCorked).toBe(1);
    local.write('3');
    await nextTick();
    expect(local.writableCorked).toBe(0);
    expect(await arrived(received, '123')).toBe('123');
  });

  it('corks when nothing arrived since the last frame written at once', async () => {
    const { local, remote, socket, received } = await pair();
    await loneTick(local, socket, 'x');
    remote.write('reply');
    await once(local, 'data');
    await loneTick(local, socket, 'y'); // written at once
    await new Promise((resolve) => setTimeout(resolve, 5));
    batchWrites(socket);
    expect(local.writableCorked).toBe(1);
    local.write('z');
    await nextTick();
    expect(await arrived(received, 'xyz')).toBe('xyz');
  });

  it('after a tick with several frames, corks from the first frame again', async () => {
    const { local, remote, socket, received } = await pair();
    await loneTick(local, socket, 'a');
    batchWrites(socket);
    local.write('b');
    batchWrites(socket);
    local.write('c');
    await nextTick();
    remote.write('reply');
    await once(local, 'data');
    batchWrites(socket);
    expect(local.writableCorked).toBe(1);
    local.write('d');
    await nextTick();
    expect(await arrived(received, 'abcd')).toBe('abcd');
  });

  it('does nothing for a socket without a TCP socket (browsers, other WebSocket implementations)', () => {
    expect(() => batchWrites({} as WebSocketLike)).not.toThrow();
    expect(() => batchWrites({ _socket: null } as unknown as WebSocketLike)).not.toThrow();
  });
});
