// What a peer id and a session are worth against a hostile client, over real sockets on
// 127.0.0.1: secrets that survive restarts only under a configured key, kick as a ban,
// request ids de-duplicated after their session ended, caches bounded in bytes, fair
// eviction from the resend buffer with `welcome.lost`, few drop warnings, room authorization,
// origin checks and token expiry.
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { SignalingServer, type SignalingServerOptions, type WarningEvent } from '../../src/server/index.js';
import { rawServers } from '../support/raw-server.js';
import { until } from '../support/wait.js';
import { nextEvent, RawClient, type Frame } from '../support/ws-client.js';

const servers = rawServers();

async function start(options: SignalingServerOptions = {}) {
  const { server, url, connect } = await servers.start(options);
  /** A welcomed client, with `call` (a request with a fresh id, awaiting its response). */
  const peer = async (hello: object = {}) => {
    const client = await connect();
    const welcome = await client.hello(hello);
    let n = 0;
    const call = (method: string, data?: unknown, id = `r${++n}`): Promise<Frame> => {
      client.send({ type: 'request', id, method, data });
      return client.next((frame) => frame.type === 'response' && frame.id === id);
    };
    return { client, welcome, id: welcome.peer as string, secret: welcome.secret as string, call };
  };
  return { server, url, connect, peer };
}

const notes = (client: RawClient, method: string) => client.unread().filter((frame) => frame.type === 'notification' && frame.method === method);

describe('peer ids and secrets', () => {
  it('gives a fresh id to a client returning after a restart when no secretKey is set', async () => {
    const first = await start();
    const victim = await first.peer();
    const port = first.server.port;
    await first.server.close();
    const next = new SignalingServer({ port, host: '127.0.0.1', path: '/rtc' });
    await next.listen();
    servers.defer(() => next.close());
    const client = await servers.connectTo(`ws://127.0.0.1:${port}/rtc`);
    const welcome = await client.hello({ resume: { peer: victim.id, secret: victim.secret } });
    expect(welcome.resumed).toBe(false);
    expect(welcome.peer).not.toBe(victim.id);
  });

  it('keeps the id across a restart under the same secretKey, and nobody else can claim it', async () => {
    const secretKey = 'restart-test-key-restart-test-key';
    const first = await start({ secretKey });
    const victim = await first.peer();
    const port = first.server.port;
    await first.server.close();
    const next = new SignalingServer({ port, host: '127.0.0.1', path: '/rtc', secretKey });
    await next.listen();
    servers.defer(() => next.close());
    const url = `ws://127.0.0.1:${port}/rtc`;
    // A room member knows the victim's id and races it after the restart: a hand-made
    // secret (even one shaped like a server's) no longer wins the id.
    for (const secret of ['Qy4bJ0wN3kZ8_pV-2xR7t', 'x', victim.secret.slice(0, -1) + (victim.secret.endsWith('A') ? 'B' : 'A')]) {
      const thief = await (await servers.connectTo(url)).hello({ resume: { peer: victim.id, secret } });
      expect(thief.peer).not.toBe(victim.id);
    }
    const back = await (await servers.connectTo(url)).hello({ resume: { peer: victim.id, secret: victim.secret } });
    expect(back.peer).toBe(victim.id);
  });

  it('kick ends the session and revokes the secret: the client comes back under a new id, through authenticate', async () => {
    let authenticated = 0;
    const { server, peer } = await start({ authenticate: () => (authenticated++, true) });
    const victim = await peer();
    expect(server.kick(victim.id, 'banned')).toBe(true);
    expect(await victim.client.closed).toEqual({ code: 4000, reason: 'banned' });
    const back = await peer({ resume: { peer: victim.id, secret: victim.secret } });
    expect(back.welcome.resumed).toBe(false);
    expect(back.id).not.toBe(victim.id);
    expect(authenticated).toBe(2);
    expect(server.peers()).toEqual([back.id]);
  });
});

describe('request de-duplication outlives the session', () => {
  it('does not run a handler twice when its session ended while it ran and the id comes back', async () => {
    let runs = 0;
    let finish!: (value: string) => void;
    const { server, peer } = await start({ sessionTtl: 20 });
    server.handle('slow', () => {
      runs++;
      return new Promise<string>((resolve) => (finish = resolve));
    });
    const first = await peer();
    first.client.send({ type: 'request', id: 'q1', method: 'slow' });
    await until(() => runs === 1);
    const ended = nextEvent(server, 'session-end');
    first.client.ws.terminate(); // no close frame: the session waits sessionTtl, then ends
    await ended;
    const again = await peer({ resume: { peer: first.id, secret: first.secret } });
    expect(again.welcome.resumed).toBe(false);
    expect(again.id).toBe(first.id);
    again.client.send({ type: 'request', id: 'q1', method: 'slow', replay: true });
    await again.client.sync();
    finish('done');
    expect(await again.client.next('response')).toMatchObject({ id: 'q1', ok: true, data: 'done' });
    // And after it answered, another replay is served from the cache.
    again.client.send({ type: 'request', id: 'q1', method: 'slow', replay: true });
    expect(await again.client.next('response')).toMatchObject({ id: 'q1', ok: true, data: 'done' });
    expect(runs).toBe(1);
  });

  it('answers a replay from the cache of an ended session', async () => {
    let runs = 0;
    const { server, peer } = await start({ sessionTtl: 20 });
    server.handle('count', () => ++runs);
    const first = await peer();
    expect(await first.call('count', undefined, 'c1')).toMatchObject({ ok: true, data: 1 });
    const ended = nextEvent(server, 'session-end');
    first.client.ws.terminate();
    await ended;
    const again = await peer({ resume: { peer: first.id, secret: first.secret } });
    expect(await again.call('count', undefined, 'c1')).toMatchObject({ ok: true, data: 1 });
    expect(runs).toBe(1);
  });
});

describe('de-duplication cache bounded in bytes', () => {
  it('forgets the oldest answers past dedupeMaxBytes, keeps the newest', async () => {
    let runs = 0;
    const { server, peer } = await start({ dedupeMaxBytes: 64 * 1024 });
    server.handle('big', () => (runs++, 'x'.repeat(10_000)));
    const client = await peer();
    for (let i = 0; i < 30; i++) expect(await client.call('big', undefined, `b${i}`)).toMatchObject({ ok: true });
    expect(runs).toBe(30);
    await client.call('big', undefined, 'b29'); // the newest: from the cache
    expect(runs).toBe(30);
    await client.call('big', undefined, 'b0'); // 300 kB ago: forgotten, so it runs again
    expect(runs).toBe(31);
  });
});

describe('join answers and room size', () => {
  it('answers a replayed join with the members present now', async () => {
    const { peer } = await start();
    const alice = await peer();
    expect(await alice.call('join', { room: 'r', meta: 'A' }, 'j1')).toMatchObject({ ok: true, data: { peers: [] } });
    const bob = await peer();
    await bob.call('join', { room: 'r', meta: 'B' });
    expect(await alice.call('join', { room: 'r', meta: 'A' }, 'j1')).toMatchObject({ ok: true, data: { peers: [{ id: bob.id, meta: 'B' }] } });
  });

  it('limits a room to 50 peers by default', { timeout: 60_000 }, async () => {
    const { peer } = await start({ rateLimit: false });
    const peers = await Promise.all(Array.from({ length: 51 }, () => peer()));
    const answers: Frame[] = [];
    for (const p of peers) answers.push(await p.call('join', { room: 'big' }));
    expect(answers.slice(0, 50).every((answer) => answer.ok)).toBe(true);
    expect(answers[50]).toMatchObject({ ok: false, error: { code: 'room-full' } });
  });
});

describe('fair eviction and lost notifications', () => {
  /** Alice (away), Bob and Carol in room "r"; Alice's session waits for her resume. */
  async function room(options: SignalingServerOptions) {
    const { server, peer } = await start({ rateLimit: false, ...options });
    const alice = await peer();
    await alice.call('join', { room: 'r' });
    const bob = await peer();
    await bob.call('join', { room: 'r' });
    const carol = await peer();
    await carol.call('join', { room: 'r' });
    const warnings: WarningEvent[] = [];
    server.on('warning', (warning) => warnings.push(warning));
    await alice.client.close(4999);
    return { server, peer, alice, bob, carol, warnings };
  }

  it('keeps a signal when another member floods broadcasts, reports what it dropped, and warns a few times', { timeout: 20_000 }, async () => {
    const { peer, alice, bob, carol, warnings } = await room({ maxBufferedNotifications: 100 });
    await bob.call('signal', { room: 'r', to: alice.id, data: 'offer' });
    for (let i = 0; i < 300; i++) carol.client.send({ type: 'request', id: `f${i}`, method: 'broadcast', data: { room: 'r', data: i } });
    await carol.client.next((frame) => frame.type === 'response' && frame.id === 'f299');
    const back = await peer({ resume: { peer: alice.id, secret: alice.secret }, ack: 0 });
    expect(back.welcome.resumed).toBe(true);
    await back.client.sync();
    expect(notes(back.client, 'signal').map((frame) => frame.data.data)).toEqual(['offer']);
    // Alice's outbox held 2 peer-joined, 1 signal and 300 broadcasts; 100 kept, broadcasts went first.
    expect(notes(back.client, 'peer-joined')).toHaveLength(2);
    const broadcasts = notes(back.client, 'broadcast');
    expect(broadcasts).toHaveLength(97);
    expect(broadcasts.map((frame) => frame.data.data)).toEqual(Array.from({ length: 97 }, (_, i) => 203 + i));
    expect(back.welcome.lost).toEqual({ count: 203, rooms: { r: 203 } });
    // Warnings are aggregated: the first drop at once, the rest of the burst counted in a later one.
    const dropped = () => warnings.filter((warning) => warning.code === 'NOTIFICATIONS_DROPPED' && warning.peerId === alice.id);
    const total = () => dropped().reduce((sum, warning) => sum + warning.count!, 0);
    await until(() => total() === 203, 10_000, 'the aggregated warnings to count every drop');
    expect(dropped().length).toBeLessThanOrEqual(5);
  });

  it('keeps one member signal when another floods signals: the flooder loses its own oldest', async () => {
    const { peer, alice, bob, carol } = await room({ maxBufferedNotifications: 50 });
    await bob.call('signal', { room: 'r', to: alice.id, data: 'bob-offer' });
    for (let i = 0; i < 200; i++) carol.client.send({ type: 'request', id: `s${i}`, method: 'signal', data: { room: 'r', to: alice.id, data: i } });
    await carol.client.next((frame) => frame.type === 'response' && frame.id === 's199');
    const back = await peer({ resume: { peer: alice.id, secret: alice.secret }, ack: 0 });
    await back.client.sync();
    const signals = notes(back.client, 'signal').map((frame) => frame.data.data);
    expect(signals[0]).toBe('bob-offer');
    expect(signals.slice(1)).toEqual(Array.from({ length: signals.length - 1 }, (_, i) => 200 - signals.length + 1 + i));
    expect(back.welcome.lost).toMatchObject({ count: 202 + 1 - signals.length - notes(back.client, 'peer-joined').length });
  });

  it('reports nothing lost for drops the client acknowledged (it had them live)', async () => {
    const { server, peer } = await start({ maxBufferedNotifications: 10 });
    const alice = await peer();
    for (let i = 0; i < 50; i++) server.notify(alice.id, 'n', i);
    await alice.client.sync();
    await alice.client.close(4999);
    const back = await peer({ resume: { peer: alice.id, secret: alice.secret }, ack: 50 });
    expect(back.welcome.resumed).toBe(true);
    expect(back.welcome.lost).toBeUndefined();
  });
});

describe('rooms.authorize', () => {
  it('refuses with the code it returns, sees auth from authenticate, and lets true in', async () => {
    const asked: unknown[] = [];
    const { server, peer } = await start({
      authenticate: (hello) => ({ auth: { user: hello.token } }),
      rooms: {
        authorize: async ({ auth, room, meta, peerId }) => {
          asked.push({ auth, room, meta, peerId });
          if (room === 'vip') return 'members-only';
          if (room === 'thrown') throw Object.assign(new Error('no entry'), { code: 'closed-room' });
          if (room === 'false') return false;
          return room === `user-${(auth as { user: string }).user}`;
        },
      },
    });
    let ctxAuth: unknown;
    server.handle('whoami', (_data, ctx) => (ctxAuth = ctx.auth));
    const connected = nextEvent(server, 'connection');
    const ann = await peer({ token: 'ann' });
    expect((await connected).auth).toEqual({ user: 'ann' });
    expect(await ann.call('join', { room: 'vip' })).toMatchObject({ ok: false, error: { code: 'members-only' } });
    expect(await ann.call('join', { room: 'thrown' })).toMatchObject({ ok: false, error: { code: 'closed-room', message: expect.stringContaining('no entry') } });
    expect(await ann.call('join', { room: 'false' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await ann.call('join', { room: 'user-bob' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await ann.call('join', { room: 'user-ann', meta: { n: 1 } })).toMatchObject({ ok: true, data: { peers: [] } });
    expect(asked.at(-1)).toEqual({ auth: { user: 'ann' }, room: 'user-ann', meta: { n: 1 }, peerId: ann.id });
    await ann.call('whoami');
    expect(ctxAuth).toEqual({ user: 'ann' });
    // Refused joins left no trace: only the allowed room has a member.
    expect(await ann.call('signal', { room: 'vip', to: 'x', data: 1 })).toMatchObject({ ok: false, error: { code: 'not-joined' } });
  });
});

describe('allowOrigins', () => {
  function upgrade(port: number, origin: string | undefined): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' };
      if (origin !== undefined) headers.origin = origin;
      const req = httpRequest({ host: '127.0.0.1', port, path: '/rtc', headers });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve({ status: res.statusCode!, body: '' });
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('answers a refused origin with HTTP 403 and says why; allowed origins and non-browsers connect', async () => {
    const { server } = await start({ allowOrigins: ['https://app.example.com'] });
    const refused = await upgrade(server.port, 'https://evil.example.net');
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('origin "https://evil.example.net" is not allowed');
    expect((await upgrade(server.port, 'https://app.example.com')).status).toBe(101);
    expect((await upgrade(server.port, undefined)).status).toBe(101);
  });

  it('takes a function, and a throwing one refuses', async () => {
    const { server } = await start({ allowOrigins: (origin) => origin?.endsWith('.example.com') ?? (() => { throw new Error('boom'); })() });
    expect((await upgrade(server.port, 'https://a.example.com')).status).toBe(101);
    expect((await upgrade(server.port, 'https://a.example.org')).status).toBe(403);
    expect((await upgrade(server.port, undefined)).status).toBe(403);
  });
});

describe('token expiry', () => {
  it('closes the link with 4505 at expiresAt; a fresh token resumes the same session', async () => {
    let expiresIn = 300;
    const { server, peer } = await start({ authenticate: () => ({ auth: 'u', expiresAt: Date.now() + expiresIn }) });
    const first = await peer();
    server.notify(first.id, 'kept', 1);
    expect(await first.client.closed).toMatchObject({ code: 4505 });
    expect(server.peers()).toEqual([first.id]); // the session waits for the resume
    expiresIn = 60_000;
    const again = await peer({ resume: { peer: first.id, secret: first.secret } });
    expect(again.welcome.resumed).toBe(true);
    await again.client.sync();
    expect(notes(again.client, 'kept')).toHaveLength(1);
  });

  it('refuses a token that has already expired with 4001, and clears the timer of a closed link', async () => {
    let expiresAt = Date.now() - 1;
    const { server, connect, peer } = await start({ authenticate: () => ({ expiresAt }) });
    const refused = await connect();
    refused.send({ type: 'hello', version: 1 });
    expect(await refused.closed).toMatchObject({ code: 4001, reason: expect.stringContaining('expired') });
    expiresAt = Date.now() + 200;
    const closedEarly = await peer();
    await closedEarly.client.close(1000);
    const seen: number[] = [];
    server.on('disconnect', ({ code }) => seen.push(code));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(seen).toEqual([]);
    expect(server.peers()).toEqual([]);
  });
});
