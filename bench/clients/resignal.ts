import type { Room } from '../../src/index.js';
import { loadClient } from '../lib/resignal-module.js';
import type { BenchClient, Contender } from './types.js';

export const resignal: Contender = {
  name: 'resignal',
  async connect(options) {
    const { Peer, Room } = await loadClient();
    const peer = new Peer({
      urls: options.targets.map(({ host, port }) => `ws://${host}:${port}/rtc`),
      ...(options.heartbeatMs !== undefined && { heartbeat: { interval: options.heartbeatMs } }),
    });
    peer.on('error', () => {}); // reported, but the harness counts outcomes itself
    await peer.connect();
    const joined = new Map<string, Room>();
    const fans: Array<(data: unknown) => void> = [];
    const client: BenchClient = {
      request: (method, data) => peer.request(method, data),
      notify: (method, data) => peer.notify(method, data),
      onNotification: (listener) => void peer.on('notification', ({ method, data }) => listener(method, data)),
      rooms: {
        async join(name) {
          const room = await Room.join(peer, name);
          room.on('broadcast', ({ data }) => fans.forEach((listener) => listener(data)));
          joined.set(name, room);
        },
        broadcast: (name, data) => joined.get(name)!.broadcast(data),
        onBroadcast: (listener) => void fans.push(listener),
      },
      onDown: (listener) => void peer.on('close', ({ willReconnect }) => willReconnect && listener()),
      onUp: (listener) => void peer.on('open', () => listener()),
      close: () => peer.close(),
    };
    return client;
  },
};
