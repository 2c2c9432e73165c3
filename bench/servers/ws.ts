// Raw `ws`: the smallest request/response protocol that works. A request is
// {"id":n,"method":"echo","data":…}; the answer is {"id":n,"data":…} or {"id":n,"error":"…"};
// a frame without id is a notification.
import { WebSocketServer } from 'ws';
import { echo, note, slow, stats, whoami } from './common.js';

export async function start(port: number): Promise<number> {
  const wss = new WebSocketServer({ port, host: '127.0.0.1', path: '/rtc', perMessageDeflate: false });
  wss.on('connection', (socket) => {
    socket.on('message', (raw) => {
      const msg = JSON.parse(raw.toString()) as { id?: number; method: string; data?: unknown };
      if (msg.id === undefined) {
        if (msg.method === 'note') note();
        return;
      }
      const { id } = msg;
      const reply = (data: unknown) => socket.send(JSON.stringify({ id, data }));
      switch (msg.method) {
        case 'echo':
          return reply(echo(msg.data));
        case 'stats':
          return reply(stats());
        case 'whoami':
          return reply(whoami());
        case 'slow':
          return void slow(msg.data).then(reply);
        default:
          return socket.send(JSON.stringify({ id, error: `no method ${msg.method}` }));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const address = wss.address();
  return typeof address === 'object' && address !== null ? address.port : port;
}
