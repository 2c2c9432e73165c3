// Messages larger than a frame, over real sockets on 127.0.0.1 against the real server: chunked
// and rebuilt both ways, limited by maxSignalBytes, bounded in reassembly memory, refused
// clearly by a server that does not take chunks, and delivered exactly once across a link cut
// in the middle of a chunked message (through the fault proxy).
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { WebSocketCtor } from '../../src/env.js';
import { Peer, Room, type PeerOptions } from '../../src/index.js';
import { SignalingServer, type SignalingServerOptions } from '../../src/server/index.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { rawServers } from '../support/raw-server.js';
import { scriptedServer } from '../support/scripted-server.js';
import { track } from '../support/track.js';
import { nextEvent, until } from '../support/wait.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});
const raw = rawServers();

const FRAME = 64 * 1024;
const isChunk = (text: string) => text.startsWith('{"type":"chunk"');
const big = (n: number, unit = 'x') => unit.repeat(n);

async function startServer(options: SignalingServerOptions = {}): Promise<SignalingServer> {
  const server = new SignalingServer({ port: 0, host: '127.0.0.1', path: '/rtc', ...options });
  await server.listen();
  cleanup.push(() => server.close());
  return server;
}

/** A `ws` WebSocket that records the size of every frame it writes and reads. */
function recordingSocket(log: { out: number[]; in: number[] }) {
  return class extends WebSocket {
    override send(data: unknown, ...rest: unknown[]): void {
      log.out.push(Buffer.byteLength(String(data)));
      (super.send as (...args: unknown[]) => void)(data, ...rest);
    }
    override emit(event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'message') log.in.push(Buffer.byteLength(String(args[0])));
      return super.emit(event, ...args);
    }
  };
}

function makePeer(url: string, options: Partial<PeerOptions> = {}): Peer {
  const peer = new Peer({ urls: url, backoff: { connect: [20, 40], reconnect: [50, 100], jitter: 0 }, heartbeat: { interval: 500, maxMissed: 4 }, ...options });
  peer.on('error', () => {});
  cleanup.push(() => peer.close());
  return peer;
}

const url = (server: SignalingServer) => `ws://127.0.0.1:${server.port}/rtc`;

describe('messages over the frame limit', () => {
  it('a 300 kB request and its 300 kB response travel as chunks of at most 64 KiB each way', async () => {
    const server = await startServer();
    let runs = 0;
    server.handle('echo', (data) => (runs++, { echo: data }));
    const log = { out: [] as number[], in: [] as number[] };
    // maxInboundBytes: a server frame over 64 KiB would close the link.
    const peer = makePeer(url(server), { WebSocket: recordingSocket(log) as unknown as WebSocketCtor, maxInboundBytes: FRAME });
    await peer.connect();
    const data = big(150_000, 'é'); // 300 kB of UTF-8
    expect(await peer.request('echo', data)).toEqual({ echo: data });
    expect(runs).toBe(1);
    expect(Math.max(...log.out)).toBeLessThanOrEqual(FRAME);
    expect(Math.max(...log.in)).toBeLessThanOrEqual(FRAME);
    expect(log.out.filter((n) => n > FRAME / 2).length).toBeGreaterThanOrEqual(4);
    expect(log.in.filter((n) => n > FRAME / 2).length).toBeGreaterThanOrEqual(4);
    expect(peer.state).toBe('open');
  });

  it('a 300 kB room signal reaches the other Peer whole, once', async () => {
    const server = await startServer();
    const [a, b] = [makePeer(url(server)), makePeer(url(server))];
    await Promise.all([a.connect(), b.connect()]);
    const roomB = await Room.join(b, 'call');
    const roomA = await Room.join(a, 'call');
    const signals: unknown[] = [];
    roomB.on('signal', ({ data }) => signals.push(data));
    const sdp = { sdp: big(6_000, 'a=candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host\r\n'.slice(0, 50)) };
    await roomA.signal(b.id!, sdp);
    await roomA.signal(b.id!, 'after'); // order: the small one comes after the big one
    await until(() => signals.length === 2, 10_000, 'both signals');
    expect(signals).toEqual([sdp, 'after']);
  });

  it('a 300 kB notification from the server reaches the Peer, and a Peer notification reaches the server', async () => {
    const server = await startServer();
    const peer = makePeer(url(server));
    await peer.connect();
    const got = nextEvent(peer, 'notification', ({ method }) => method === 'big');
    server.notify(peer.id!, 'big', big(300_000));
    expect((await got).data).toBe(big(300_000));
    const heard = new Promise<unknown>((resolve) => server.on('notification', ({ data }) => resolve(data)));
    peer.notify('up', big(300_000, 'y'));
    expect(await heard).toBe(big(300_000, 'y'));
  });

  it("a server request of 300 kB reaches the Peer's handler, and its 300 kB answer comes back", async () => {
    const server = await startServer();
    const peer = makePeer(url(server));
    peer.handle('mirror', (data) => (data as string).split('').reverse().join(''));
    await peer.connect();
    const data = `${big(150_000, 'a')}${big(150_000, 'b')}`;
    expect(await server.request(peer.id!, 'mirror', data)).toBe(`${big(150_000, 'b')}${big(150_000, 'a')}`);
  });
});

describe('maxSignalBytes', () => {
  it('a message over the client limit rejects with TOO_LARGE at the call, and is never sent', async () => {
    const server = await startServer();
    let runs = 0;
    server.handle('echo', () => runs++);
    const peer = makePeer(url(server), { maxSignalBytes: 200_000 });
    await peer.connect();
    const refused = track(peer.request('echo', big(200_000)));
    await until(() => refused.settled);
    expect(refused.error).toMatchObject({ code: 'TOO_LARGE', message: expect.stringContaining('over maxSignalBytes (200000)') });
    expect(() => peer.notify('n', big(200_000))).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
    await peer.request('echo', 'small');
    expect(runs).toBe(1);
  });

  it("the server's lower limit, announced in welcome, is applied by the client before sending", async () => {
    const server = await startServer({ maxSignalBytes: 200_000 });
    const peer = makePeer(url(server));
    await peer.connect();
    const refused = track(peer.request('echo', big(250_000)));
    await until(() => refused.settled);
    expect(refused.error).toMatchObject({ code: 'TOO_LARGE', message: expect.stringContaining("the server's maxSignalBytes (200000)") });
    expect(peer.state).toBe('open');
  });

  it('the server closes with 1009 a client that sends a chunked message over its limit anyway, having held at most that much', async () => {
    const { connect } = await raw.start({ maxSignalBytes: 300_000 });
    const client = await connect();
    await client.hello({ chunks: 1_000_000 });
    const text = big(60_000);
    let sent = 0;
    for (let part = 0; part < 1_000; part++) {
      client.send({ type: 'chunk', id: 0, part, parts: 1_000, text });
      sent += text.length;
      try {
        await client.sync(part + 1);
      } catch {
        break; // closed
      }
    }
    expect(await client.closed).toEqual({ code: 1009, reason: 'message too big: over maxSignalBytes (300000)' });
    expect(sent).toBeLessThanOrEqual(300_000 + text.length);
  });
});

describe('reassembly memory on the server', () => {
  it('a flood of first chunks that never finish closes the socket with 4003 at the fifth message', async () => {
    const { connect, server } = await raw.start();
    const warnings: string[] = [];
    server.on('warning', ({ message }) => warnings.push(message));
    const client = await connect();
    await client.hello({ chunks: 1_000_000 });
    for (let id = 0; id < 4; id++) client.send({ type: 'chunk', id, part: 0, parts: 2, text: big(1_000) });
    await client.sync(); // four partial messages are held: the socket lives
    for (let id = 4; id < 100; id++) client.send({ type: 'chunk', id, part: 0, parts: 2, text: big(1_000) });
    expect(await client.closed).toEqual({ code: 4003, reason: 'more than 4 chunked messages in reassembly at once' });
    expect(warnings).toEqual(['more than 4 chunked messages in reassembly at once']);
  });

  it('tiny chunks that never end are bounded too: each counts an overhead, and the socket closes with 4003', async () => {
    const { connect } = await raw.start({ maxSignalBytes: 10_000, rateLimit: false });
    const client = await connect();
    await client.hello({ chunks: 1_000_000 });
    let sent = 0;
    for (let part = 0; part < 5_000; part++) {
      client.send({ type: 'chunk', id: 0, part, parts: 1_000_000, text: 'x' });
      sent++;
      if (part % 100 === 99) {
        try {
          await client.sync(part);
        } catch {
          break;
        }
      }
    }
    const closed = await client.closed;
    expect(closed.code).toBe(4003);
    expect(closed.reason).toMatch(/chunks in reassembly over 75536 bytes/);
    expect(sent).toBeLessThan(1_300); // (10 000 + 64 KiB) / 65 B per chunk ≈ 1 163 chunks, then closed
  });

  it('chunks before welcome, out of order, or holding a chunk are protocol errors (4003)', async () => {
    const { connect } = await raw.start();
    const early = await connect();
    early.send({ type: 'chunk', id: 0, part: 0, parts: 1, text: '{"type":"ping","id":1}' });
    expect((await early.closed).code).toBe(4003);
    const outOfOrder = await connect();
    await outOfOrder.hello();
    outOfOrder.send({ type: 'chunk', id: 0, part: 1, parts: 2, text: '' });
    expect((await outOfOrder.closed).reason).toMatch(/is out of order/);
    const nested = await connect();
    await nested.hello();
    nested.send({ type: 'chunk', id: 0, part: 0, parts: 1, text: JSON.stringify({ type: 'chunk', id: 1, part: 0, parts: 1, text: '{}' }) });
    expect((await nested.closed).reason).toBe('a chunked message holds a chunk');
  });

  it('writes whole frames to a client that did not announce chunks, and chunks to one that did', async () => {
    const { connect, server } = await raw.start();
    const old = await connect();
    const oldWelcome = await old.hello();
    expect(oldWelcome.chunks).toBe(1_048_576);
    const sizes: number[] = [];
    old.ws.on('message', (data) => sizes.push(String(data).length));
    server.notify(oldWelcome.peer, 'big', big(100_000));
    expect(await old.next('notification')).toMatchObject({ method: 'big', data: big(100_000), seq: 1 });
    expect(sizes[0]).toBeGreaterThan(100_000);
    const current = await connect();
    const welcome = await current.hello({ chunks: 1_048_576 });
    server.notify(welcome.peer, 'big', big(100_000));
    const first = await current.next('chunk');
    const second = await current.next('chunk');
    expect([first.part, first.parts, second.part]).toEqual([0, 2, 1]);
    expect(JSON.parse(`${first.text}${second.text}`)).toEqual({ type: 'notification', method: 'big', data: big(100_000), seq: 1 });
  });
});

describe('a server without chunks', () => {
  it('a message over maxMessageBytes fails at once with TOO_LARGE saying why; queued ones fail when the link opens', async () => {
    const scripted = await scriptedServer();
    cleanup.push(() => scripted.close());
    const peer = makePeer(scripted.url);
    const queued = track(peer.request('offline', big(100_000)));
    const queuedNote = nextEvent(peer, 'error', (error) => error.code === 'TOO_LARGE');
    peer.notify('note', big(100_000));
    const connected = peer.connect();
    const link = await scripted.nextLink();
    const hello = await link.hello();
    expect(hello.chunks).toBe(1_048_576);
    link.welcome(); // no `chunks`: an older server
    await connected;
    await until(() => queued.settled);
    expect(queued.error).toMatchObject({ code: 'TOO_LARGE', message: expect.stringContaining('takes no chunked messages') });
    expect((await queuedNote).message).toContain('notification "note"');
    const now = track(peer.request('online', big(100_000)));
    await until(() => now.settled);
    expect(now.error).toMatchObject({ code: 'TOO_LARGE', message: expect.stringContaining('takes no chunked messages') });
    const small = peer.request('small', 'fits');
    await link.answer('small', 'ok');
    expect(await small).toBe('ok');
    expect(link.received.filter((f) => f.type !== 'ping' && f.type !== 'hello').map((f) => f.method)).toEqual(['small']);
  });
});

describe('reassembly memory on the client', () => {
  async function welcomed(options: Partial<PeerOptions> = {}) {
    const scripted = await scriptedServer();
    cleanup.push(() => scripted.close());
    const peer = makePeer(scripted.url, options);
    const errors: Array<{ code: string; message: string }> = [];
    peer.on('error', (error) => errors.push(error));
    const connected = peer.connect();
    const link = await scripted.nextLink();
    await link.hello();
    link.welcome(undefined, { chunks: 1_048_576 });
    await connected;
    const delivered: unknown[] = [];
    peer.on('notification', ({ method }) => delivered.push(method));
    return { peer, link, errors, delivered };
  }

  it('a chunked message from the server over maxSignalBytes is dropped with a TOO_LARGE event; the link stays up', async () => {
    const { peer, link, errors, delivered } = await welcomed({ maxSignalBytes: 100_000 });
    for (let part = 0; part < 10; part++) link.send({ type: 'chunk', id: 0, part, parts: 10, text: big(20_000) });
    link.notify('after', 1, 2);
    await until(() => delivered.length === 1);
    expect(delivered).toEqual(['after']);
    expect(errors).toEqual([expect.objectContaining({ code: 'TOO_LARGE', message: expect.stringContaining('raise maxSignalBytes') })]);
    expect(peer.state).toBe('open');
  });

  it('a fifth unfinished message from the server is refused with BAD_MESSAGE; what completes is still delivered', async () => {
    const { link, errors, delivered } = await welcomed();
    const note = JSON.stringify({ type: 'notification', method: 'whole', seq: 1 });
    for (let id = 0; id < 5; id++) link.send({ type: 'chunk', id, part: 0, parts: 2, text: id === 0 ? note.slice(0, 10) : 'x' });
    link.send({ type: 'chunk', id: 0, part: 1, parts: 2, text: note.slice(10) });
    await until(() => delivered.length === 1);
    expect(errors).toEqual([expect.objectContaining({ code: 'BAD_MESSAGE', message: expect.stringContaining('more than 4 chunked messages') })]);
  });
});

describe('a link cut in the middle of a chunked message', () => {
  async function throughProxy(options: SignalingServerOptions = {}) {
    const server = await startServer({ secretKey: 'chunks-test-key-chunks-test-key-32', ...options });
    const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: server.port } });
    cleanup.push(() => proxy.close());
    return { server, proxy };
  }

  it('a request cut after two of its chunks reached the server runs once, after the replay, and its answer arrives', async () => {
    const { server, proxy } = await throughProxy();
    let runs = 0;
    server.handle('big', (data) => (runs++, { length: (data as string).length, data }));
    const cut = { done: false, chunks: 0, reached: undefined as Promise<void> | undefined };
    // The first socket writes two chunks of the request, proves with a ping that the server
    // has read them, and then writes nothing more: the proxy then cuts the link.
    class CuttingSocket extends WebSocket {
      #holding = false;
      override send(data: unknown, ...rest: unknown[]): void {
        const text = String(data);
        if (isChunk(text)) {
          if (this.#holding) return;
          if (!cut.done && ++cut.chunks === 2) {
            cut.done = true;
            this.#holding = true;
            (super.send as (...args: unknown[]) => void)(data, ...rest);
            cut.reached = new Promise((resolve) => {
              const onPong = (reply: unknown) => String(reply) === '{"type":"pong","id":987654}' && (this.off('message', onPong), resolve());
              this.on('message', onPong);
            });
            return void super.send('{"type":"ping","id":987654}');
          }
        }
        (super.send as (...args: unknown[]) => void)(data, ...rest);
      }
    }
    const peer = makePeer(proxy.url(), { WebSocket: CuttingSocket as unknown as WebSocketCtor });
    await peer.connect();
    const payload = big(400_000);
    const answer = track(peer.request('big', payload));
    await until(() => cut.reached !== undefined);
    await cut.reached;
    expect(runs).toBe(0); // two chunks are not a message
    const reopened = nextEvent(peer, 'open');
    proxy.resetAll();
    expect((await reopened).resumed).toBe(true);
    await until(() => answer.settled, 10_000, 'the answer');
    expect(answer.value).toEqual({ length: 400_000, data: payload });
    expect(runs).toBe(1);
  });

  it('a notification cut after two of its chunks reached the Peer is resent whole after the resume and delivered once', async () => {
    const { server, proxy } = await throughProxy();
    const cut = { done: false, chunks: 0 };
    // The first socket reads two chunks of the notification, then cuts the link at the proxy
    // and hears nothing more on that socket.
    class CuttingSocket extends WebSocket {
      #deaf = false;
      override emit(event: string | symbol, ...args: unknown[]): boolean {
        if (event === 'message') {
          if (this.#deaf) return false;
          if (isChunk(String(args[0])) && !cut.done && ++cut.chunks === 2) {
            cut.done = true;
            this.#deaf = true;
            proxy.resetAll();
            return false;
          }
        }
        return super.emit(event, ...args);
      }
    }
    const peer = makePeer(proxy.url(), { WebSocket: CuttingSocket as unknown as WebSocketCtor });
    await peer.connect();
    const delivered: unknown[] = [];
    peer.on('notification', ({ method, data }) => delivered.push([method, typeof data === 'string' ? data.length : data]));
    const reopened = nextEvent(peer, 'open');
    server.notify(peer.id!, 'big', big(300_000));
    expect((await reopened).resumed).toBe(true);
    expect(cut.done).toBe(true);
    server.notify(peer.id!, 'after', 1);
    await until(() => delivered.length >= 2, 10_000, 'both notifications');
    await peer.request('sync-nothing').catch(() => {}); // one more round trip: nothing else arrives
    expect(delivered).toEqual([
      ['big', 300_000],
      ['after', 1],
    ]);
  });
});
