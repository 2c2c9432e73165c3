// protoo-client with its defaults. In Node its WebSocketTransport uses WebSocket-Node's
// W3CWebSocket (the optional `websocket` dependency), so no global WebSocket is needed.
import protooClient from 'protoo-client';
import { first, type BenchClient, type Contender } from './types.js';

let peers = 0;

export const protoo: Contender = {
  name: 'protoo',
  async connect(options) {
    const { host, port } = first(options);
    const peerId = `bench-${process.pid}-${peers++}`;
    const transport = new protooClient.WebSocketTransport(`ws://${host}:${port}/rtc?peerId=${peerId}`);
    const peer = new protooClient.Peer(transport);
    await new Promise<void>((resolve, reject) => {
      peer.once('open', () => resolve());
      peer.once('close', () => reject(new Error('protoo peer closed before open')));
    });
    const client: BenchClient = {
      request: (method, data) => peer.request(method, data),
      notify: (method, data) => void peer.notify(method, data).catch(() => {}),
      onNotification: (listener) => void peer.on('notification', (notification) => listener(notification.method, notification.data)),
      onDown: (listener) => {
        peer.on('disconnected', listener);
        peer.on('close', () => !closedByUs && listener());
      },
      onUp: (listener) => void peer.on('open', listener),
      close() {
        closedByUs = true;
        peer.close();
      },
    };
    let closedByUs = false;
    return client;
  },
};
