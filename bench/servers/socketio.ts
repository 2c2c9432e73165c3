// socket.io with its defaults, websocket transport only (no HTTP long-polling).
// Requests are emits with an acknowledgement callback; notifications are plain emits.
// Rooms are socket.io's own (socket.join, socket.to(room).emit).
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { echo, note, PUSH_DATA, pushCount, slow, stats, whoami } from './common.js';

type Ack = (reply: unknown) => void;

export async function start(port: number): Promise<number> {
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], serveClient: false });
  io.on('connection', (socket) => {
    socket.on('echo', (data: unknown, ack: Ack) => ack(echo(data)));
    socket.on('stats', (_data: unknown, ack: Ack) => ack(stats()));
    socket.on('slow', (data: unknown, ack: Ack) => void slow(data).then(ack));
    socket.on('whoami', (_data: unknown, ack: Ack) => ack(whoami()));
    socket.on('note', () => note());
    socket.on('push', (data: unknown, ack: Ack) => {
      const n = pushCount(data);
      for (let i = 0; i < n; i++) socket.emit('note', PUSH_DATA);
      ack({ n });
    });
    socket.on('join', (data: { room: string }, ack: Ack) => {
      void socket.join(data.room);
      ack({ ok: true });
    });
    socket.on('fan', (data: { room: string; data: unknown }, ack: Ack) => {
      socket.to(data.room).emit('fan', data.data);
      ack({ ok: true });
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, '127.0.0.1', resolve);
  });
  const address = http.address();
  return typeof address === 'object' && address !== null ? address.port : port;
}
