// perMessageDeflate on the reference server, with the Node client (ws offers the extension):
// the same SDP-sized signals cost far fewer bytes on the TCP wire, and a server without the
// option never compresses.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Peer, Room } from '../../src/index.js';
import { SignalingServer, type SignalingServerOptions } from '../../src/server/index.js';
import { nextEvent, until } from '../support/wait.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A TCP relay on 127.0.0.1 that counts the bytes it forwards each way. */
async function countingProxy(targetPort: number) {
  const bytes = { up: 0, down: 0 };
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (d: Buffer) => (bytes.up += d.length));
    upstream.on('data', (d: Buffer) => (bytes.down += d.length));
    client.pipe(upstream).pipe(client);
    const end = () => (client.destroy(), upstream.destroy());
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => (sockets.forEach((s) => s.destroy()), new Promise((resolve) => proxy.close(resolve))));
  return { port: (proxy.address() as net.AddressInfo).port, bytes };
}

/** An SDP-like text: long, and mostly repeating itself, as real offers do. */
const sdp = (n: number) =>
  ['v=0', `o=- ${4611731400430051336 + n} 2 IN IP4 127.0.0.1`, 's=-', 't=0 0', 'a=group:BUNDLE 0 1 2']
    .concat(Array.from({ length: 60 }, (_, i) => `a=rtpmap:${96 + i} VP8/90000\r\na=rtcp-fb:${96 + i} nack pli\r\na=fmtp:${96 + i} apt=${i}`))
    .join('\r\n');

async function call(options: SignalingServerOptions) {
  const server = new SignalingServer({ host: '127.0.0.1', port: 0, path: '/rtc', ...options });
  await server.listen();
  cleanup.push(() => server.close());
  const proxy = await countingProxy(server.port);
  const extensions: string[] = [];
  class Recording extends WebSocket {
    constructor(url: string) {
      super(url);
      this.once('open', () => extensions.push(this.extensions));
    }
  }
  const peers = [0, 1].map(() => new Peer({ urls: `ws://127.0.0.1:${proxy.port}/rtc`, WebSocket: Recording as never }));
  cleanup.push(() => peers.forEach((p) => p.close()));
  await Promise.all(peers.map((p) => p.connect()));
  const [ra, rb] = [await Room.join(peers[0]!, 'z'), await Room.join(peers[1]!, 'z')];
  await until(() => ra.peers.size === 1, 10_000, 'both in the room');
  const before = { ...proxy.bytes };
  const got: unknown[] = [];
  rb.on('signal', ({ data }) => got.push(data));
  for (let n = 0; n < 5; n++) await ra.signal(peers[1]!.id!, { rtc: 'description', description: { type: 'offer', sdp: sdp(n) } });
  await until(() => got.length === 5, 10_000, 'the five signals');
  const signalBytes = proxy.bytes.up + proxy.bytes.down - before.up - before.down;
  return { signalBytes, extensions, got };
}

describe('perMessageDeflate', () => {
  it('compresses large signals on the wire when on, and the Node client negotiates it', async () => {
    const off = await call({});
    const on = await call({ perMessageDeflate: { threshold: 512 } });
    expect(off.extensions.every((e) => e === '')).toBe(true);
    expect(on.extensions.every((e) => e.startsWith('permessage-deflate'))).toBe(true);
    expect(on.got).toEqual(off.got);
    console.info(`5 SDP-sized signals (${sdp(0).length} chars each), request + answer + notification: ${off.signalBytes} B on the wire without compression, ${on.signalBytes} B with`);
    expect(on.signalBytes).toBeLessThan(off.signalBytes / 4);
  });

  it('refuses bad settings with a clear error', () => {
    expect(() => new SignalingServer({ perMessageDeflate: { threshold: -1 } })).toThrow(/perMessageDeflate.threshold/);
    expect(() => new SignalingServer({ perMessageDeflate: { level: 12 } })).toThrow(/perMessageDeflate.level/);
  });
});
