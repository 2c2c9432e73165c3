// Raw `ws` with the smallest useful request/response layer: numeric ids and a Map of
// pending promises. No reconnect, no keepalive: what you get before adding a library.
import { WebSocket } from 'ws';
import { first, type BenchClient, type Contender } from './types.js';

export const rawWs: Contender = {
  name: 'ws',
  async connect(options) {
    const { host, port } = first(options);
    const socket = new WebSocket(`ws://${host}:${port}/rtc`, { perMessageDeflate: false });
    const pending = new Map<number, { resolve(data: unknown): void; reject(error: Error): void }>();
    const down: Array<() => void> = [];
    const notes: Array<(method: string, data: unknown) => void> = [];
    const fans: Array<(data: unknown) => void> = [];
    let nextId = 0;
    let closedByUs = false;
    socket.on('message', (raw) => {
      const msg = JSON.parse(raw.toString()) as { id?: number; method?: string; data?: unknown; error?: string };
      if (msg.id === undefined) {
        if (msg.method === 'fan') for (const listener of fans) listener(msg.data);
        else for (const listener of notes) listener(msg.method!, msg.data);
        return;
      }
      const entry = pending.get(msg.id);
      if (!entry) return;
      pending.delete(msg.id);
      if (msg.error !== undefined) entry.reject(new Error(msg.error));
      else entry.resolve(msg.data);
    });
    socket.on('close', () => {
      for (const entry of pending.values()) entry.reject(new Error('socket closed'));
      pending.clear();
      if (!closedByUs) down.forEach((listener) => listener());
    });
    socket.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const client: BenchClient = {
      request(method, data) {
        if (socket.readyState !== WebSocket.OPEN) return Promise.reject(new Error('socket not open'));
        const id = nextId++;
        return new Promise((resolve, reject) => {
          pending.set(id, { resolve, reject });
          socket.send(JSON.stringify({ id, method, data }));
        });
      },
      notify(method, data) {
        if (socket.readyState !== WebSocket.OPEN) throw new Error('socket not open');
        socket.send(JSON.stringify({ method, data }));
      },
      onNotification: (listener) => void notes.push(listener),
      rooms: {
        join: async (room) => void (await client.request('join', { room })),
        broadcast: async (room, data) => void (await client.request('fan', { room, data })),
        onBroadcast: (listener) => void fans.push(listener),
      },
      onDown: (listener) => void down.push(listener),
      onUp: () => {}, // never reconnects
      close() {
        closedByUs = true;
        socket.terminate();
      },
    };
    return client;
  },
};
