// The server side of rooms and sessions, spoken by hand over real sockets on 127.0.0.1:
// validation of every room request, limits, reserved method names, peer ids reused after a
// lost session, and which closes end a session.
import { describe, expect, it } from 'vitest';
import { SignalingServer, type SignalingServerOptions } from '../../src/server/index.js';
import { rawServers } from '../support/raw-server.js';
import { nextEvent, type Frame } from '../support/ws-client.js';

const servers = rawServers();

async function start(options: SignalingServerOptions = {}) {
  const { server, connect } = await servers.start(options);
  /** A welcomed client, with a `call` helper that sends a request and returns its response. */
  const peer = async (hello: object = {}) => {
    const client = await connect();
    const welcome = await client.hello(hello);
    let n = 0;
    const call = async (method: string, data?: unknown): Promise<Frame> => {
      const id = `r${++n}`;
      client.send({ type: 'request', id, method, data });
      return client.next((frame) => frame.type === 'response' && frame.id === id);
    };
    return { client, id: welcome.peer as string, secret: welcome.secret as string, call };
  };
  return { server, connect, peer };
}

const notification = (method: string) => (frame: Frame) => frame.type === 'notification' && frame.method === method;

describe('room requests are validated', () => {
  it('answers BAD_REQUEST with a clear message for every malformed request, and the socket stays usable', async () => {
    const { peer } = await start();
    const a = await peer();
    const cases: Array<[string, unknown, string]> = [
      ['join', undefined, '"join" expects data { room: string'],
      ['join', 'lobby', '"join" expects data'],
      ['join', { room: 42 }, 'at "room"'],
      ['join', { room: 'has space' }, 'invalid room name'],
      ['join', { room: '' }, 'invalid room name'],
      ['join', { room: 'a'.repeat(129) }, 'invalid room name'],
      ['join', { room: 'ok', meta: 'x'.repeat(5000) }, 'meta is 5002 bytes'],
      ['leave', {}, '"leave" expects data { room: string }'],
      ['signal', { room: 'ok', data: 1 }, 'at "to"'],
      ['broadcast', [], '"broadcast" expects data'],
      ['signal', { room: '../etc', to: 'x' }, 'invalid room name'],
    ];
    for (const [method, data, message] of cases) {
      const response = await a.call(method, data);
      expect(response, `${method} ${JSON.stringify(data)?.slice(0, 40)}`).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      expect(response.error.message).toContain(message);
    }
    expect(await a.call('join', { room: 'ok', extra: 'ignored' })).toMatchObject({ ok: true, data: { peers: [] } });
  });

  it('refuses signal to oneself, to a non-member, and in a room one has not joined', async () => {
    const { peer } = await start();
    const [a, b, c] = [await peer(), await peer(), await peer()];
    await a.call('join', { room: 'r' });
    await b.call('join', { room: 'r' });
    await c.call('join', { room: 'other' });
    expect((await a.call('signal', { room: 'r', to: a.id, data: 1 })).error).toMatchObject({ code: 'BAD_REQUEST' });
    expect((await a.call('signal', { room: 'r', to: c.id, data: 1 })).error).toMatchObject({ code: 'not-in-room' });
    expect((await a.call('signal', { room: 'other', to: c.id, data: 1 })).error).toMatchObject({ code: 'not-joined' });
    expect((await a.call('broadcast', { room: 'other', data: 1 })).error).toMatchObject({ code: 'not-joined' });
    expect((await a.call('broadcast', { room: 'nobody-here', data: 1 })).error).toMatchObject({ code: 'not-joined' });
    await c.client.sync();
    expect(c.client.unread()).toEqual([]);
  });

  it('enforces maxRooms per peer and a custom namePattern', async () => {
    const { peer } = await start({ rooms: { maxRooms: 2, namePattern: /^room-\d+$/g } });
    const a = await peer();
    expect(await a.call('join', { room: 'room-1' })).toMatchObject({ ok: true });
    expect(await a.call('join', { room: 'room-1' })).toMatchObject({ ok: true }); // again: no change
    expect(await a.call('join', { room: 'room-2' })).toMatchObject({ ok: true });
    expect((await a.call('join', { room: 'room-3' })).error).toMatchObject({ code: 'too-many-rooms' });
    expect((await a.call('join', { room: 'lobby' })).error).toMatchObject({ code: 'BAD_REQUEST' });
    await a.call('leave', { room: 'room-1' });
    expect(await a.call('join', { room: 'room-3' })).toMatchObject({ ok: true });
    // A global pattern keeps no state between names.
    expect(await a.call('leave', { room: 'room-3' })).toMatchObject({ ok: true });
    expect(await a.call('leave', { room: 'room-3' })).toMatchObject({ ok: true }); // idempotent
  });

  it('rejects invalid rooms options at construction', () => {
    expect(() => new SignalingServer({ rooms: { maxPeers: 0 } })).toThrow(/rooms.maxPeers/);
    expect(() => new SignalingServer({ rooms: { maxRooms: 1.5 } })).toThrow(/rooms.maxRooms/);
    expect(() => new SignalingServer({ rooms: { namePattern: 'x' as never } })).toThrow(/rooms.namePattern/);
  });
});

describe('room methods are reserved', () => {
  it('refuses handlers for the built-in names, unless rooms are off', async () => {
    const { server } = await start();
    for (const method of ['join', 'leave', 'signal', 'broadcast']) {
      expect(() => server.handle(method, () => 1)).toThrow(`"${method}" is a built-in rooms method`);
    }
    const { server: plain, peer } = await start({ rooms: false });
    const a = await peer();
    expect((await a.call('join', { room: 'r' })).error).toMatchObject({ code: 'NOT_FOUND' });
    plain.handle('join', (data) => ({ mine: data }));
    expect(await a.call('join', 1)).toMatchObject({ ok: true, data: { mine: 1 } });
  });
});

describe('room notifications ride the session outbox', () => {
  it('buffers them for a member whose link is down and resends them in order with seq; nobody hears it left', async () => {
    const { peer, connect } = await start();
    const [a, b] = [await peer(), await peer()];
    await a.call('join', { room: 'r' });
    await b.call('join', { room: 'r', meta: { n: 'B' } });
    await a.client.next(notification('peer-joined'));
    await a.client.sync(1, 1);
    await a.client.close(); // 1005: not a normal close, the session stays
    await b.call('signal', { room: 'r', to: a.id, data: 'one' });
    await b.call('broadcast', { room: 'r', data: 'two' });
    const back = await connect();
    expect(await back.hello({ resume: { peer: a.id, secret: a.secret }, ack: 1 })).toMatchObject({ resumed: true });
    await back.sync();
    expect(back.unread().filter((frame) => frame.type === 'notification')).toEqual([
      { type: 'notification', method: 'signal', data: { room: 'r', from: b.id, data: 'one' }, seq: 2 },
      { type: 'notification', method: 'broadcast', data: { room: 'r', from: b.id, data: 'two' }, seq: 3 },
    ]);
    await b.client.sync();
    expect(b.client.unread().filter(notification('peer-left'))).toEqual([]);
  });

  it('tells the others when a member is kicked', async () => {
    const { server, peer } = await start();
    const [a, b] = [await peer(), await peer()];
    await a.call('join', { room: 'r' });
    await b.call('join', { room: 'r' });
    server.kick(b.id);
    const left = await a.client.next(notification('peer-left'));
    expect(left.data).toEqual({ room: 'r', peerId: b.id, reason: 'session-end' });
  });
});

describe('which closes end a session', () => {
  it('ends it at once on a client close with 1000; keeps it on other codes', async () => {
    const { server, peer } = await start({ sessionTtl: 60_000 });
    const [a, b, c] = [await peer(), await peer(), await peer()];
    for (const x of [a, b, c]) await x.call('join', { room: 'r' });
    const ended = nextEvent(server, 'session-end');
    await c.client.close(1001); // a closing tab: may not come back, but the session stays
    await b.client.close(1000);
    expect(await ended).toEqual({ peerId: b.id });
    const left = await a.client.next(notification('peer-left'));
    expect(left.data).toEqual({ room: 'r', peerId: b.id, reason: 'session-end' });
    expect(server.peers().sort()).toEqual([a.id, c.id].sort());
  });
});

describe('peer ids across lost sessions', () => {
  const someId = 'V1StGXR8_Z5jdHi6B-myT';

  const secretKey = 'a-key-shared-by-the-whole-cluster';

  it('reuses the id a hello asks to resume when no session holds it, if its secret proves it', async () => {
    // Two nodes with one key: an id and secret issued by one resume on the other.
    const issuer = await start({ secretKey });
    const { server, peer } = await start({ secretKey });
    const original = await issuer.peer();
    const fresh = await peer({ resume: { peer: original.id, secret: original.secret }, ack: 7 });
    expect(fresh.id).toBe(original.id);
    expect(fresh.secret).toBe(original.secret);
    expect(server.peers()).toEqual([original.id]);
    // The same secret resumes it as usual.
    const again = await peer({ resume: { peer: original.id, secret: fresh.secret } });
    expect(again.id).toBe(original.id);
    expect((await fresh.client.closed).code).toBe(4501);
  });

  it('gives a fresh id to a claim whose secret was issued under another key', async () => {
    const issuer = await start({ secretKey: 'some-other-key-some-other-key' });
    const { peer } = await start({ secretKey });
    const original = await issuer.peer();
    const claimed = await peer({ resume: { peer: original.id, secret: original.secret } });
    expect(claimed.id).not.toBe(original.id);
  });

  it('issues a fresh id when the id is held by a live session, or is not shaped like a server id', async () => {
    const { peer } = await start();
    const owner = await peer();
    const thief = await peer({ resume: { peer: owner.id, secret: 'guess' } });
    expect(thief.id).not.toBe(owner.id);
    expect(thief.id).toMatch(/^[A-Za-z0-9_-]{21}$/);
    for (const wanted of ['admin', 'x'.repeat(22), 'V1StGXR8_Z5jdHi6B-my!']) {
      const claimed = await peer({ resume: { peer: wanted, secret: 's' } });
      expect(claimed.id).not.toBe(wanted);
    }
    await owner.client.sync(); // the owner was not disturbed
  });

  it('lets authenticate see hello.resume and refuse the claim', async () => {
    const seen: unknown[] = [];
    const { connect, peer } = await start({
      authenticate: (hello) => {
        seen.push(hello.resume?.peer);
        return hello.resume?.peer === someId ? 'that id belongs to someone else' : true;
      },
    });
    const refused = await connect();
    refused.send({ type: 'hello', version: 1, resume: { peer: someId, secret: 's' } });
    expect(await refused.closed).toEqual({ code: 4001, reason: 'that id belongs to someone else' });
    const ok = await peer();
    expect(seen).toEqual([someId, undefined]);
    expect(ok.id).not.toBe(someId);
  });

  it('starts notifications of the new session from seq 1 under the kept id', async () => {
    const issuer = await start({ secretKey });
    const { server, peer } = await start({ secretKey });
    const original = await issuer.peer();
    const a = await peer({ resume: { peer: original.id, secret: original.secret }, ack: 99 });
    expect(a.id).toBe(original.id);
    server.notify(a.id, 'hello', 1);
    expect(await a.client.next('notification')).toMatchObject({ method: 'hello', seq: 1 });
  });
});
