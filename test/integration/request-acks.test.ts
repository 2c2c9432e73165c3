// Acks carried on requests, over real sockets against the real server: the client puts the ack
// it owes on its next small request instead of writing an `ack` frame, the server frees its
// resend buffer on it exactly as for an `ack` frame, and an older server (no `chunks` in its
// welcome) still gets `ack` frames.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { WebSocketCtor } from '../../src/env.js';
import { Peer, type PeerOptions } from '../../src/index.js';
import { SignalingServer } from '../../src/server/index.js';
import { rawServers } from '../support/raw-server.js';
import { scriptedServer } from '../support/scripted-server.js';
import { nextEvent, sleep } from '../support/wait.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});
const raw = rawServers();

/** A `ws` WebSocket that keeps every frame it writes. */
function recordingSocket(sent: string[]) {
  return class extends WebSocket {
    override send(data: unknown, ...rest: unknown[]): void {
      sent.push(String(data));
      (super.send as (...args: unknown[]) => void)(data, ...rest);
    }
  } as unknown as WebSocketCtor;
}

// Acks owed for a long while and no pings: only a request can carry the ack in these tests.
const quiet: Partial<PeerOptions> = { acks: { every: 1_000, delay: 60_000 }, heartbeat: { interval: 60_000, maxMissed: 3 } };

function makePeer(url: string, sent: string[]): Peer {
  const peer = new Peer({ urls: url, WebSocket: recordingSocket(sent), ...quiet });
  peer.on('error', () => {});
  cleanup.push(() => peer.close());
  return peer;
}

describe('acks on requests', () => {
  it('the Peer carries the ack it owes on its next request, and then owes nothing', async () => {
    const server = new SignalingServer({ port: 0, host: '127.0.0.1', path: '/rtc' });
    await server.listen();
    cleanup.push(() => server.close());
    server.handle('echo', (data) => data);
    const sent: string[] = [];
    const peer = makePeer(`ws://127.0.0.1:${server.port}/rtc`, sent);
    await peer.connect();
    const got = nextEvent(peer, 'notification', ({ method }) => method === 'n2');
    server.notify(peer.id!, 'n1', 1);
    server.notify(peer.id!, 'n2', 2);
    await got;
    await peer.request('echo', 'a');
    await peer.request('echo', 'b');
    const requests = sent.filter((text) => text.startsWith('{"type":"request"')).map((text) => JSON.parse(text) as { data: string; ack?: number });
    expect(requests.map((r) => [r.data, r.ack])).toEqual([
      ['a', 2],
      ['b', undefined],
    ]);
    expect(sent.filter((text) => text.startsWith('{"type":"ack"'))).toEqual([]);
  });

  it('the server frees its resend buffer on an ack carried by a request, as on an ack frame', async () => {
    const { server, connect } = await raw.start();
    server.handle('echo', (data) => data);
    const first = await connect();
    const welcome = await first.hello({ chunks: 1_048_576 });
    for (let n = 1; n <= 3; n++) server.notify(welcome.peer, 'n', n);
    await first.sync();
    first.send({ type: 'request', id: 'r1', method: 'echo', data: 1, ack: 2 });
    await first.next('response');
    await first.close(4999); // not 1000: the session waits for a resume
    const second = await connect();
    await second.hello({ resume: { peer: welcome.peer, secret: welcome.secret } }); // no ack in hello
    await second.sync();
    expect(second.unread().filter((frame) => frame.type === 'notification').map((frame) => frame.seq)).toEqual([3]);
  });

  it('to a server that does not announce chunks, the Peer writes ack frames and leaves requests alone', async () => {
    const scripted = await scriptedServer();
    cleanup.push(() => scripted.close());
    const sent: string[] = [];
    const peer = new Peer({ urls: scripted.url, WebSocket: recordingSocket(sent), acks: { every: 1, delay: 60_000 }, heartbeat: { interval: 60_000, maxMissed: 3 } });
    peer.on('error', () => {});
    cleanup.push(() => peer.close());
    const connected = peer.connect();
    const link = await scripted.nextLink();
    await link.hello();
    link.welcome();
    await connected;
    link.notify('n', 1, 1);
    await link.next((frame) => frame.type === 'ack' && frame.seq === 1);
    const answered = peer.request('echo', 'a');
    await link.answer('echo', 'a');
    await answered;
    await sleep(50);
    const request = sent.find((text) => text.startsWith('{"type":"request"'))!;
    expect(JSON.parse(request)).not.toHaveProperty('ack');
  });
});
