// Raw `ws`: the smallest request/response protocol that works. A request is
// {"id":n,"method":"echo","data":…}; the answer is {"id":n,"data":…} or {"id":n,"error":"…"};
// a frame without id is a notification. Rooms are a Map of Sets of sockets.
import { WebSocketServer, type WebSocket } from 'ws';
import { echo, note, PUSH_DATA, pushCount, slow, stats, whoami } from './common.js';

export async function start(port: number): Promise<number> {
  const wss = new WebSocketServer({ port, host: '127.0.0.1', path: '/rtc', perMessageDeflate: false });
  const rooms = new Map<string, Set<WebSocket>>();
  wss.on('connection', (socket) => {
    const joined = new Set<string>();
    socket.on('close', () => joined.forEach((room) => rooms.get(room)?.delete(socket)));
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
        case 'push': {
          const n = pushCount(msg.data);
          for (let i = 0; i < n; i++) socket.send(JSON.stringify({ method: 'note', data: PUSH_DATA }));
          return reply({ n });
        }
        case 'join': {
          const { room } = msg.data as { room: string };
          let members = rooms.get(room);
          if (members === undefined) rooms.set(room, (members = new Set()));
          members.add(socket);
          joined.add(room);
          return reply({ ok: true });
        }
        case 'fan': {
          const { room, data } = msg.data as { room: string; data: unknown };
          const text = JSON.stringify({ method: 'fan', data });
          for (const member of rooms.get(room) ?? []) if (member !== socket) member.send(text);
          return reply({ ok: true });
        }
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
