// protoo-server with its defaults: one Room; the client names itself with ?peerId=…
// (protoo's convention). A reconnecting peer replaces its stale Peer object.
import { createServer } from 'node:http';
import protooServer from 'protoo-server';
import { echo, note, PUSH_DATA, pushCount, slow, stats, whoami } from './common.js';

export async function start(port: number): Promise<number> {
  const http = createServer();
  const wss = new protooServer.WebSocketServer(http);
  const room = new protooServer.Room();
  wss.on('connectionrequest', (info, accept, reject) => {
    const peerId = new URL(info.request.url ?? '/', 'http://x').searchParams.get('peerId');
    if (!peerId) return reject(400, 'peerId missing');
    room.getPeer(peerId)?.close();
    const peer = room.createPeer(peerId, accept());
    peer.on('request', (request, resolve, fail) => {
      switch (request.method) {
        case 'echo':
          return resolve(echo(request.data));
        case 'stats':
          return resolve(stats());
        case 'whoami':
          return resolve(whoami());
        case 'slow':
          return void slow(request.data).then(resolve);
        case 'push': {
          const n = pushCount(request.data);
          for (let i = 0; i < n; i++) peer.notify('note', PUSH_DATA).catch(() => {});
          return resolve({ n });
        }
        default:
          return fail(404, `no method ${request.method}`);
      }
    });
    peer.on('notification', (notification) => {
      if (notification.method === 'note') note();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, '127.0.0.1', resolve);
  });
  const address = http.address();
  return typeof address === 'object' && address !== null ? address.port : port;
}
