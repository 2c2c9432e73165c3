// The reference server over real sockets on 127.0.0.1, driven by a raw protocol client:
// handshake, requests and exactly-once replay, sessions and resume, server requests, close.
import { describe, expect, it } from 'vitest';
import { isSignalError } from '../../src/errors.js';
import { SignalingServer } from '../../src/server/index.js';
import { rawServers } from '../support/raw-server.js';
import { nextEvent } from '../support/ws-client.js';

const { start } = rawServers();

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('SignalingServer handshake', () => {
  it('answers hello with welcome and emits connection', async () => {
    const { server, connect } = await start();
    const connected = nextEvent(server, 'connection');
    const client = await connect();
    const welcome = await client.hello();
    expect(welcome).toMatchObject({ type: 'welcome', version: 1, resumed: false });
    expect(welcome.peer).toEqual(expect.any(String));
    expect(welcome.secret).toEqual(expect.any(String));
    expect(await connected).toEqual({ peerId: welcome.peer, resumed: false });
    expect(server.peers()).toEqual([welcome.peer]);
  });

  it('answers ping with pong carrying the same id', async () => {
    const { connect } = await start();
    const client = await connect();
    await client.hello();
    client.send({ type: 'ping', id: 41 });
    expect(await client.next('pong')).toEqual({ type: 'pong', id: 41 });
  });

  it('ignores unknown fields, as the protocol grows by adding them', async () => {
    const { server, connect } = await start();
    server.handle('echo', (data) => data);
    const client = await connect();
    expect(await client.hello({ future: { x: 1 } })).toMatchObject({ type: 'welcome' });
    client.send({ type: 'request', id: '1', method: 'echo', data: 2, priority: 'high' });
    expect(await client.next('response')).toEqual({ type: 'response', id: '1', ok: true, data: 2 });
  });

  it('gives different peers different ids', async () => {
    const { connect } = await start();
    const a = await (await connect()).hello();
    const b = await (await connect()).hello();
    expect(a.peer).not.toBe(b.peer);
  });
});

describe('SignalingServer requests', () => {
  it('answers a request with the handler result and passes the context', async () => {
    const { server, connect } = await start();
    const contexts: unknown[] = [];
    server.handle('echo', async (data, ctx) => {
      contexts.push(ctx);
      return data;
    });
    const client = await connect();
    const { peer } = await client.hello();
    client.send({ type: 'request', id: 'a.1', method: 'echo', data: { sdp: 'v=0' } });
    expect(await client.next('response')).toEqual({ type: 'response', id: 'a.1', ok: true, data: { sdp: 'v=0' } });
    expect(contexts).toEqual([{ peerId: peer, method: 'echo', id: 'a.1', replay: false }]);
  });

  it('turns a throw into an error response, keeping a string code or using INTERNAL', async () => {
    const { server, connect } = await start();
    server.handle('deny', () => {
      throw Object.assign(new Error('not in this room'), { code: 'FORBIDDEN' });
    });
    server.handle('crash', async () => {
      throw new Error('boom');
    });
    const client = await connect();
    await client.hello();
    client.send({ type: 'request', id: '1', method: 'deny' });
    client.send({ type: 'request', id: '2', method: 'crash' });
    expect(await client.next('response')).toEqual({
      type: 'response', id: '1', ok: false, error: { code: 'FORBIDDEN', message: 'not in this room' },
    });
    expect(await client.next('response')).toEqual({
      type: 'response', id: '2', ok: false, error: { code: 'INTERNAL', message: 'boom' },
    });
  });

  it('answers NOT_FOUND for a method without handler', async () => {
    const { connect } = await start();
    const client = await connect();
    await client.hello();
    client.send({ type: 'request', id: 'x', method: 'nope' });
    const response = await client.next('response');
    expect(response).toMatchObject({ id: 'x', ok: false, error: { code: 'NOT_FOUND' } });
    expect(response.error.message).toContain('"nope"');
  });

  it('answers a replay of an answered request from the cache without running the handler again', async () => {
    const { server, connect } = await start();
    let runs = 0;
    server.handle('count', () => ++runs);
    const client = await connect();
    await client.hello();
    client.send({ type: 'request', id: 'r1', method: 'count' });
    expect(await client.next('response')).toMatchObject({ id: 'r1', ok: true, data: 1 });
    client.send({ type: 'request', id: 'r1', method: 'count', replay: true });
    expect(await client.next('response')).toMatchObject({ id: 'r1', ok: true, data: 1 });
    client.send({ type: 'request', id: 'r2', method: 'count' });
    expect(await client.next('response')).toMatchObject({ id: 'r2', ok: true, data: 2 });
    expect(runs).toBe(2);
  });

  it('makes a replay of a running request on a resumed socket wait for the same single run', async () => {
    const { server, connect } = await start();
    const started = deferred();
    const gate = deferred();
    const replays: boolean[] = [];
    server.handle('slow', async (data, ctx) => {
      replays.push(ctx.replay);
      started.resolve();
      await gate.promise;
      return data;
    });
    const first = await connect();
    const welcome = await first.hello();
    first.send({ type: 'request', id: 'r1', method: 'slow', data: 'once' });
    await started.promise;
    first.send({ type: 'request', id: 'r1', method: 'slow', data: 'once' }); // a duplicate on the same socket
    await first.sync();
    const gone = nextEvent(server, 'disconnect');
    await first.close();
    await gone;

    const second = await connect();
    expect(await second.hello({ resume: { peer: welcome.peer, secret: welcome.secret } })).toMatchObject({ resumed: true });
    second.send({ type: 'request', id: 'r1', method: 'slow', data: 'once', replay: true });
    await second.sync(); // the replay has reached the server and is waiting
    gate.resolve();
    expect(await second.next('response')).toEqual({ type: 'response', id: 'r1', ok: true, data: 'once' });
    await second.sync(2);
    expect(second.unread()).toEqual([]); // exactly one response
    expect(replays).toEqual([false]);
  });

  it.each([
    ['sync', () => { throw Object.create(null); }],
    ['async', async () => { throw Object.create(null); }],
  ])('answers once, and keeps serving, when a %s handler throws a value that cannot be printed', async (_kind, handler) => {
    const { server, connect } = await start();
    server.on('warning', () => {});
    server.handle('odd', handler);
    const client = await connect();
    await client.hello();
    client.send({ type: 'request', id: 'o1', method: 'odd' });
    expect(await client.next('response')).toMatchObject({ id: 'o1', ok: false, error: { code: 'INTERNAL' } });
    client.send({ type: 'request', id: 'o1', method: 'odd', replay: true });
    expect(await client.next('response')).toMatchObject({ id: 'o1', ok: false, error: { code: 'INTERNAL' } });
    await client.sync();
  });
});

describe('SignalingServer sessions', () => {
  it('resumes a session: same peer id, missed notifications in order with seq, acked ones not resent', async () => {
    const { server, connect } = await start();
    const first = await connect();
    const welcome = await first.hello();
    server.notify(welcome.peer, 'candidate', 'c1');
    expect(await first.next('notification')).toEqual({ type: 'notification', method: 'candidate', data: 'c1', seq: 1 });
    const gone = nextEvent(server, 'disconnect');
    await first.close();
    expect(await gone).toMatchObject({ peerId: welcome.peer });
    expect(server.notify(welcome.peer, 'candidate', 'c2')).toBe(true);
    expect(server.notify(welcome.peer, 'candidate', 'c3')).toBe(true);

    const connected = nextEvent(server, 'connection');
    const second = await connect();
    const resumed = await second.hello({ resume: { peer: welcome.peer, secret: welcome.secret }, ack: 1 });
    expect(resumed).toMatchObject({ peer: welcome.peer, resumed: true });
    expect(await connected).toEqual({ peerId: welcome.peer, resumed: true });
    expect(await second.next('notification')).toMatchObject({ data: 'c2', seq: 2 });
    expect(await second.next('notification')).toMatchObject({ data: 'c3', seq: 3 });
    await second.sync();
    expect(second.unread()).toEqual([]);
  });

  it('forgets notifications acknowledged in a ping', async () => {
    const { server, connect } = await start();
    const first = await connect();
    const welcome = await first.hello();
    server.notify(welcome.peer, 'n', 1);
    server.notify(welcome.peer, 'n', 2);
    await first.next((frame) => frame.seq === 2);
    await first.sync(1, 2);
    await first.close();

    const second = await connect();
    await second.hello({ resume: { peer: welcome.peer, secret: welcome.secret } });
    await second.sync();
    expect(second.unread()).toEqual([]);
    server.notify(welcome.peer, 'n', 3);
    expect(await second.next('notification')).toMatchObject({ data: 3, seq: 3 });
  });

  it('starts a new session when the secret does not match', async () => {
    const { connect } = await start();
    const welcome = await (await connect()).hello();
    const other = await (await connect()).hello({ resume: { peer: welcome.peer, secret: 'wrong-secret' } });
    expect(other.resumed).toBe(false);
    expect(other.peer).not.toBe(welcome.peer);
  });

  it('closes the older socket with 4501 when its session is resumed elsewhere', async () => {
    const { connect } = await start();
    const first = await connect();
    const welcome = await first.hello();
    const second = await connect();
    const resumed = await second.hello({ resume: { peer: welcome.peer, secret: welcome.secret } });
    expect(resumed).toMatchObject({ peer: welcome.peer, resumed: true });
    expect((await first.closed).code).toBe(4501);
    await second.sync();
  });

  it('ends a session sessionTtl after its socket dropped', async () => {
    const { server, connect } = await start({ sessionTtl: 50 });
    const first = await connect();
    const welcome = await first.hello();
    const ended = nextEvent(server, 'session-end');
    await first.close();
    expect(await ended).toEqual({ peerId: welcome.peer });
    expect(server.peers()).toEqual([]);
    expect(server.notify(welcome.peer, 'n', 1)).toBe(false);
    const again = await (await connect()).hello({ resume: { peer: welcome.peer, secret: welcome.secret } });
    expect(again.resumed).toBe(false);
    // A new session (its notifications and rooms are gone), though under the same id and
    // secret: the secret proves the id, so the peer keeps it.
    expect(again.peer).toBe(welcome.peer);
    expect(again.secret).toBe(welcome.secret);
  });

  it('emits client notifications', async () => {
    const { server, connect } = await start();
    const client = await connect();
    const { peer } = await client.hello();
    const received = nextEvent(server, 'notification');
    client.send({ type: 'notification', method: 'candidate', data: { c: 1 } });
    expect(await received).toEqual({ peerId: peer, method: 'candidate', data: { c: 1 } });
  });

  it('drops the oldest unacknowledged notification past maxBufferedNotifications and warns', async () => {
    const { server, connect } = await start({ maxBufferedNotifications: 2 });
    const first = await connect();
    const welcome = await first.hello();
    await first.close();
    const warning = nextEvent(server, 'warning');
    for (const n of [1, 2, 3]) server.notify(welcome.peer, 'n', n);
    expect(await warning).toMatchObject({ code: 'NOTIFICATIONS_DROPPED', peerId: welcome.peer });
    const second = await connect();
    await second.hello({ resume: { peer: welcome.peer, secret: welcome.secret } });
    await second.sync();
    expect(second.unread().map((frame) => frame.seq)).toEqual([2, 3]);
  });
});

describe('SignalingServer.request', () => {
  it('reaches the client, which answers', async () => {
    const { server, connect } = await start();
    const client = await connect();
    const { peer } = await client.hello();
    const answer = server.request(peer, 'whoami', { q: 1 });
    const request = await client.next('request');
    expect(request).toMatchObject({ method: 'whoami', data: { q: 1 } });
    client.send({ type: 'response', id: request.id, ok: true, data: { me: peer } });
    expect(await answer).toEqual({ me: peer });
  });

  it('rejects with REMOTE when the client answers with an error', async () => {
    const { server, connect } = await start();
    const client = await connect();
    const { peer } = await client.hello();
    const answer = server.request(peer, 'offer', null);
    const request = await client.next('request');
    client.send({ type: 'response', id: request.id, ok: false, error: { code: 'BUSY', message: 'in a call' } });
    await expect(answer).rejects.toMatchObject({ code: 'REMOTE', remoteCode: 'BUSY' });
  });

  it('rejects with CLOSED when the link drops first, UNREACHABLE for unknown peers, TIMEOUT without answer', async () => {
    const { server, connect } = await start();
    const client = await connect();
    const { peer } = await client.hello();
    const silent = server.request(peer, 'ignored', null, { timeout: 20 });
    await expect(silent).rejects.toMatchObject({ code: 'TIMEOUT' });
    const dropped = server.request(peer, 'offer', null).catch((e: unknown) => e);
    await client.next('request');
    await client.close();
    const error = await dropped;
    expect(isSignalError(error) && error.code).toBe('CLOSED');
    await expect(server.request(peer, 'offer', null)).rejects.toMatchObject({ code: 'UNREACHABLE' });
    await expect(server.request('no-such-peer', 'offer', null)).rejects.toMatchObject({ code: 'UNREACHABLE' });
  });
});

describe('SignalingServer.close', () => {
  it('closes every socket with 1001, ends sessions, and is idempotent', async () => {
    const { server, connect } = await start();
    const a = await connect();
    const b = await connect();
    await a.hello();
    await b.hello();
    const ended: string[] = [];
    server.on('session-end', ({ peerId }) => ended.push(peerId));
    await Promise.all([server.close(), server.close()]);
    expect((await a.closed).code).toBe(1001);
    expect((await b.closed).code).toBe(1001);
    expect(ended).toHaveLength(2);
    expect(server.peers()).toEqual([]);
    await server.close();
    await expect(server.listen()).rejects.toThrow();
  });

  it('closes a server that never listened, or is still binding', async () => {
    const idle = new SignalingServer({ port: 0 });
    await idle.close();
    await idle.close();
    const binding = new SignalingServer({ port: 0, host: '127.0.0.1' });
    const listening = binding.listen();
    await binding.close();
    await listening;
    expect(() => binding.port).toThrow();
  });
});
