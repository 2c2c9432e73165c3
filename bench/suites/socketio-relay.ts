// The same call's messages through a bare socket.io relay, for the call-cost table: the
// tutorial flow (each tab emits `join` with the room name; then one emit per offer, answer
// and candidate, which the server relays to the rest of the room), counted as call-cost.ts
// counts resignal: text frames the server received (up) and sent (down), their UTF-8 bytes,
// and TCP bytes on the clients' links, HTTP upgrade included. socket.io runs websocket-only:
// its default client would first open an HTTP long-polling session, which costs more.
// The messages are the app data the resignal run's tabs sent, in the order the server relayed them.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';

export interface RelayMessage {
  /** Which tab sent it: 0 or 1. */
  from: 0 | 1;
  data: unknown;
}

export interface RelayCost {
  messages: number;
  frames: { up: number; down: number };
  payloadBytes: { up: number; down: number };
  wireBytes: { up: number; down: number };
}

/** One emit per offer, answer and candidate, named as the tutorials name them. */
function eventOf(data: unknown): string {
  const signal = data as { rtc?: string; description?: { type?: string } };
  return signal.rtc === 'description' ? (signal.description?.type ?? 'description') : (signal.rtc ?? 'message');
}

/**
 * Counts text frames on the clients' side of their `ws` sockets: what they send is what the
 * server receives (up), what they receive is what it sent (down). The server's side cannot be
 * counted at `send`: socket.io writes room broadcasts as pre-encoded frames, below it.
 */
function countFrames(): { counts: { up: number; down: number; upBytes: number; downBytes: number }; restore(): void } {
  const require = createRequire(import.meta.url);
  const copies = new Set(['engine.io', 'engine.io-client'].map((from) => createRequire(require.resolve(from))('ws') as { WebSocket: { prototype: object } }).map((ws) => ws.WebSocket.prototype));
  const counts = { up: 0, down: 0, upBytes: 0, downBytes: 0 };
  const restores: Array<() => void> = [];
  for (const proto of copies) {
    const methods = proto as { send: (...args: unknown[]) => unknown; emit: (...args: unknown[]) => unknown };
    const { send, emit } = methods;
    methods.send = function (this: { _isServer?: boolean }, data: unknown, ...rest: unknown[]) {
      if (!this._isServer) (counts.up++, (counts.upBytes += Buffer.byteLength(String(data))));
      return send.call(this, data, ...rest);
    };
    methods.emit = function (this: { _isServer?: boolean }, event: unknown, ...args: unknown[]) {
      if (!this._isServer && event === 'message') (counts.down++, (counts.downBytes += Buffer.byteLength(String(args[0]))));
      return emit.call(this, event, ...args);
    };
    restores.push(() => Object.assign(methods, { send, emit }));
  }
  return { counts, restore: () => restores.forEach((restore) => restore()) };
}

/** A TCP relay in front of the server that counts the bytes of the clients' links. */
async function countingProxy(port: number): Promise<{ port: number; wire: { up: number; down: number }; close(): void }> {
  const wire = { up: 0, down: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    for (const s of [client, upstream]) (sockets.add(s), s.on('error', () => {}));
    client.on('data', (chunk: Buffer) => ((wire.up += chunk.length), upstream.write(chunk)));
    upstream.on('data', (chunk: Buffer) => ((wire.down += chunk.length), client.write(chunk)));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as net.AddressInfo).port, wire, close: () => (sockets.forEach((s) => s.destroy()), server.close()) };
}

const next = (client: Socket, event: string) => new Promise<void>((resolve) => client.once(event, () => resolve()));

export async function socketIoRelayCost(messages: RelayMessage[], room = 'call'): Promise<RelayCost> {
  const { counts, restore } = countFrames();
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], serveClient: false });
  io.on('connection', (socket) => {
    socket.on('join', (name: string) => {
      void socket.join(name);
      socket.data.room = name;
      socket.to(name).emit('joined', socket.id);
    });
    socket.onAny((event: string, data: unknown) => {
      if (event !== 'join') socket.to(socket.data.room as string).emit(event, data);
    });
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const proxy = await countingProxy((http.address() as net.AddressInfo).port);
  const clients: Socket[] = [];
  try {
    for (let n = 0; n < 2; n++) {
      const client = connect(`http://127.0.0.1:${proxy.port}`, { transports: ['websocket'], reconnection: false });
      clients.push(client);
      await next(client, 'connect');
    }
    // Whichever join the server handles second tells the other tab.
    const joined = Promise.race(clients.map((client) => next(client, 'joined')));
    for (const client of clients) client.emit('join', room);
    await joined;
    for (const { from, data } of messages) {
      const event = eventOf(data);
      const received = next(clients[1 - from]!, event);
      clients[from]!.emit(event, data);
      await received;
    }
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the last frames land in the counts
    return { messages: messages.length, frames: { up: counts.up, down: counts.down }, payloadBytes: { up: counts.upBytes, down: counts.downBytes }, wireBytes: { ...proxy.wire } };
  } finally {
    for (const client of clients) client.close();
    proxy.close();
    await io.close();
    restore();
  }
}
