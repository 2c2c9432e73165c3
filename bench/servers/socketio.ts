// socket.io with its defaults, websocket transport only (no HTTP long-polling).
// Requests are emits with an acknowledgement callback; notifications are plain emits.
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { echo, note, slow, stats, whoami } from './common.js';

export async function start(port: number): Promise<number> {
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], serveClient: false });
  io.on('connection', (socket) => {
    socket.on('echo', (data: unknown, ack: (reply: unknown) => void) => ack(echo(data)));
    socket.on('stats', (_data: unknown, ack: (reply: unknown) => void) => ack(stats()));
    socket.on('slow', (data: unknown, ack: (reply: unknown) => void) => void slow(data).then(ack));
    socket.on('whoami', (_data: unknown, ack: (reply: unknown) => void) => ack(whoami()));
    socket.on('note', () => note());
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, '127.0.0.1', resolve);
  });
  const address = http.address();
  return typeof address === 'object' && address !== null ? address.port : port;
}
