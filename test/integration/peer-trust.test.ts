// The Peer against the real reference server over real sockets on 127.0.0.1: acks that keep
// up with a fast stream, handlers that throw values nothing can print, and a link closed with
// 4505 (token expired) that resumes the same session at once with a fresh token.
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Peer, type PeerOptions } from '../../src/index.js';
import { SignalingServer, type SignalingServerOptions } from '../../src/server/index.js';
import { nextEvent, until } from '../support/wait.js';

// Nothing may escape as an unhandled rejection or uncaught exception here.
const escaped: unknown[] = [];
const onEscape = (error: unknown) => void escaped.push(error);
beforeAll(() => {
  process.on('unhandledRejection', onEscape);
  process.on('uncaughtException', onEscape);
});
afterAll(() => {
  process.off('unhandledRejection', onEscape);
  process.off('uncaughtException', onEscape);
});

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  expect(escaped.splice(0)).toEqual([]);
});

async function startServer(options: SignalingServerOptions = {}): Promise<SignalingServer> {
  const server = new SignalingServer({ port: 0, host: '127.0.0.1', path: '/rtc', ...options });
  await server.listen();
  cleanup.push(() => server.close());
  return server;
}

function makePeer(server: SignalingServer, options: Partial<PeerOptions> = {}): Peer {
  const peer = new Peer({ urls: `ws://127.0.0.1:${server.port}/rtc`, backoff: { connect: [20], reconnect: [50], jitter: 0 }, connectTimeout: 2000, ...options });
  peer.on('error', () => {});
  cleanup.push(() => peer.close());
  return peer;
}

describe('Peer: acks keep up with the traffic', () => {
  it('a server -> client stream far above 200/s drops nothing from the resend buffer on a healthy link', async () => {
    const server = await startServer();
    const warnings: string[] = [];
    server.on('warning', ({ code }) => warnings.push(code));
    // Default heartbeat (pings, and the acks they carry, every 5 s): only the ack frames can keep up.
    const peer = makePeer(server);
    let received = 0;
    let inOrder = true;
    peer.on('notification', ({ data }) => {
      inOrder &&= data === received;
      received++;
    });
    await peer.connect();
    const total = 5000;
    // Bursts of 100, thousands per second when the machine allows, well within one ping
    // interval. At most 300 unread at a time: what is in flight to a client starved of CPU
    // on a busy machine must not be what overflows the resend buffer; only missing acks can.
    for (let sent = 0; sent < total; ) {
      await until(() => sent - received <= 200, 20_000, 'the client to read');
      for (const end = sent + 100; sent < end; sent++) server.notify(peer.id!, 'tick', sent);
    }
    await until(() => received === total, 20_000, `all ${total} notifications`);
    expect(inOrder).toBe(true);
    expect(warnings.filter((code) => code === 'NOTIFICATIONS_DROPPED')).toEqual([]);
  }, 60_000);
});

describe('Peer: a handler that throws a value nothing can print', () => {
  const unprintable = () => {
    const proxy = new Proxy({}, {
      get() {
        throw Object.create(null);
      },
      getPrototypeOf() {
        throw Object.create(null);
      },
    });
    return proxy;
  };

  it.each([
    ['Object.create(null)', () => { throw Object.create(null); }],
    ['Object.create(null), async', async () => { throw Object.create(null); }],
    ['a Proxy whose getters throw', () => { throw unprintable(); }],
    ['a result that cannot be encoded', () => ({ value: unprintable() })],
  ])('%s: the server gets one INTERNAL answer and the client process carries on', async (_label, handler) => {
    const server = await startServer();
    const peer = makePeer(server);
    peer.handle('bad', handler as () => unknown);
    peer.handle('good', () => 'fine');
    await peer.connect();
    const failure = await server.request(peer.id!, 'bad', null).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ remoteCode: 'INTERNAL' });
    expect(await server.request(peer.id!, 'good', null)).toBe('fine');
  }, 30_000);
});

describe('Peer: token expiry (4505) against the reference server', () => {
  /** Close a server-side socket with `code` by writing the close frame on its TCP socket (the server keeps the session, as for any abnormal close). */
  function closeWith(socket: Socket, code: number, reason: string): void {
    const text = Buffer.from(reason);
    const frame = Buffer.alloc(4 + text.length);
    frame[0] = 0x88; // FIN + close
    frame[1] = 2 + text.length;
    frame.writeUInt16BE(code, 2);
    text.copy(frame, 4);
    socket.end(frame);
  }

  it('fetches a new token and resumes the same session at once; a refused token stays terminal', async () => {
    const sockets = new Map<string, Socket>();
    const refused = new Set<string>();
    const server = await startServer({
      authenticate: (hello, req) => {
        if (hello.token === undefined || refused.has(hello.token)) return false;
        sockets.set(hello.token, req.socket);
        return true;
      },
    });
    let tokens = 0;
    const peer = makePeer(server, { token: () => `token-${++tokens}`, heartbeat: { interval: 200 }, backoff: { connect: [20], reconnect: [60_000], jitter: 0 } });
    const notes: unknown[] = [];
    peer.on('notification', ({ data }) => notes.push(data));
    await peer.connect();
    const id = peer.id!;
    await new Promise((resolve) => setTimeout(resolve, 600)); // open for a few heartbeat intervals: a stable link

    const reopened = nextEvent(peer, 'open');
    const reconnecting = nextEvent(peer, 'reconnecting');
    closeWith(sockets.get('token-1')!, 4505, 'token expired');
    expect(await reconnecting).toMatchObject({ delay: 0, reason: 'token-expired' });
    expect(await reopened).toMatchObject({ resumed: true, peerId: id }); // well before the 60 s backoff
    expect(sockets.has('token-2')).toBe(true);
    server.notify(id, 'after', 1);
    await until(() => notes.length === 1, 10_000, 'a notification on the resumed session');

    await new Promise((resolve) => setTimeout(resolve, 600));
    refused.add('token-3');
    const kicked = nextEvent(peer, 'error', (error) => error.code === 'KICKED');
    closeWith(sockets.get('token-2')!, 4505, 'token expired');
    expect(await kicked).toMatchObject({ closeCode: 4001 });
    expect(peer.state).toBe('closed');
    expect(tokens).toBe(3);
  }, 30_000);
});
