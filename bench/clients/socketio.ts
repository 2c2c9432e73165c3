// socket.io-client with its defaults, websocket transport only. Without `retries` an ack
// callback has no timeout and is never called if the link drops; with `retries` the
// callback gets (error, reply) and the client resends after `ackTimeout`.
import { io } from 'socket.io-client';
import { first, type BenchClient, type Contender } from './types.js';

export function socketIo(variant?: { retries: number; ackTimeout: number }): Contender {
  return {
    name: variant ? `socket.io (retries: ${variant.retries}, ackTimeout: ${variant.ackTimeout / 1000} s)` : 'socket.io',
    async connect(options) {
      const { host, port } = first(options);
      const socket = io(`http://${host}:${port}`, { transports: ['websocket'], ...(variant ?? options.retries ?? {}) });
      const withRetries = (variant ?? options.retries) !== undefined;
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      const client: BenchClient = {
        request(method, data) {
          return new Promise((resolve, reject) => {
            if (withRetries) {
              socket.emit(method, data, (error: Error | null, reply: unknown) => (error ? reject(error) : resolve(reply)));
            } else {
              socket.emit(method, data, resolve);
            }
          });
        },
        notify: (method, data) => void socket.emit(method, data),
        onNotification: (listener) => void socket.on('note', (data: unknown) => listener('note', data)),
        rooms: {
          join: async (room) => void (await client.request('join', { room })),
          broadcast: async (room, data) => void (await client.request('fan', { room, data })),
          onBroadcast: (listener) => void socket.on('fan', listener),
        },
        onDown: (listener) => void socket.on('disconnect', (reason) => reason !== 'io client disconnect' && listener()),
        onUp: (listener) => void socket.on('connect', () => listener()),
        close: () => void socket.disconnect(),
      };
      return client;
    },
  };
}
