// The reference server against bad or hostile clients: protocol errors, oversized frames,
// refused tokens, floods, silence, kicks. One bad socket must never affect another.
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { SignalingServer, type SignalingServerOptions } from '../../src/server/index.js';
import { rawServers } from '../support/raw-server.js';
import { nextEvent, RawClient } from '../support/ws-client.js';

const servers = rawServers();

/** A server with an `echo` handler. */
async function start(options: SignalingServerOptions = {}) {
  const { server, connect } = await servers.start(options);
  server.handle('echo', (data) => data);
  return { server, connect };
}

async function expectEcho(client: RawClient, id: string): Promise<void> {
  client.send({ type: 'request', id, method: 'echo', data: id });
  expect(await client.next((frame) => frame.id === id)).toMatchObject({ ok: true, data: id });
}

describe('SignalingServer protocol errors', () => {
  const cases: Array<{ name: string; hello: boolean; send: string | Buffer }> = [
    { name: 'text that is not JSON', hello: true, send: 'not json{' },
    { name: 'a frame of the wrong shape', hello: true, send: JSON.stringify({ type: 'request', id: '', method: 'echo' }) },
    { name: 'an unknown frame type', hello: true, send: JSON.stringify({ type: 'subscribe', topic: 'x' }) },
    { name: 'a JSON value that is not an object', hello: true, send: '[1,2,3]' },
    { name: 'a binary frame', hello: true, send: Buffer.from(JSON.stringify({ type: 'ping', id: 1 })) },
    { name: 'a second hello', hello: true, send: JSON.stringify({ type: 'hello', version: 1 }) },
    { name: 'a request before hello', hello: false, send: JSON.stringify({ type: 'request', id: '1', method: 'echo' }) },
    { name: 'garbage before hello', hello: false, send: '\u0000\u0001' },
  ];

  for (const { name, hello, send } of cases) {
    it(`closes with 4003 on ${name}, and another peer keeps working`, async () => {
      const { server, connect } = await start();
      const good = await connect();
      await good.hello();
      const bad = await connect();
      if (hello) await bad.hello();
      const warning = nextEvent(server, 'warning');
      bad.sendRaw(send);
      const closed = await bad.closed;
      expect(closed.code).toBe(4003);
      expect(closed.reason.length).toBeGreaterThan(0);
      expect(await warning).toMatchObject({ code: 'PROTOCOL_ERROR' });
      await expectEcho(good, 'still-here');
    });
  }

  it('keeps close reasons within the 123-byte WebSocket limit', async () => {
    const { connect } = await start();
    const bad = await connect();
    await bad.hello();
    bad.sendRaw(`${'é'.repeat(500)}`);
    const closed = await bad.closed;
    expect(closed.code).toBe(4003);
    expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
  });

  it('closes with 4002 on an unsupported protocol version', async () => {
    const { connect } = await start();
    const client = await connect();
    client.send({ type: 'hello', version: 2 });
    expect((await client.closed).code).toBe(4002);
  });

  it('closes with 1009 on a frame larger than maxPayload', async () => {
    const { connect } = await start({ maxPayload: 1024 });
    const good = await connect();
    await good.hello();
    const big = await connect();
    await big.hello();
    big.send({ type: 'request', id: 'big', method: 'echo', data: 'x'.repeat(2048) });
    expect((await big.closed).code).toBe(1009);
    await expectEcho(good, 'small');
  });
});

describe('SignalingServer authentication', () => {
  it('closes with 4001 and the given reason when authenticate refuses, and welcomes a good token', async () => {
    const seen: Array<{ token: string | undefined; url: string | undefined }> = [];
    const { connect } = await start({
      authenticate: async (hello, req) => {
        seen.push({ token: hello.token, url: req.url });
        return hello.token === 'good' || 'bad token';
      },
    });
    const refused = await connect();
    refused.send({ type: 'hello', version: 1, token: 'bad' });
    expect(await refused.closed).toEqual({ code: 4001, reason: 'bad token' });
    const accepted = await connect();
    expect(await accepted.hello({ token: 'good' })).toMatchObject({ type: 'welcome' });
    expect(seen).toEqual([
      { token: 'bad', url: '/rtc' },
      { token: 'good', url: '/rtc' },
    ]);
  });

  it('closes with 4001 when authenticate returns false or throws', async () => {
    const { connect } = await start({
      authenticate: (hello) => {
        if (hello.token === undefined) return false;
        throw new Error('token expired');
      },
    });
    const none = await connect();
    none.send({ type: 'hello', version: 1 });
    expect((await none.closed).code).toBe(4001);
    const expired = await connect();
    expired.send({ type: 'hello', version: 1, token: 'old' });
    expect(await expired.closed).toEqual({ code: 4001, reason: 'token expired' });
  });
});

describe('SignalingServer limits and timeouts', () => {
  it('closes with 4004 a socket that exceeds the rate limit', async () => {
    const { connect } = await start({ rateLimit: { messages: 5, perMs: 60_000 } });
    const good = await connect();
    await good.hello();
    const flood = await connect();
    await flood.hello();
    for (let id = 1; id <= 10; id++) flood.send({ type: 'ping', id });
    expect((await flood.closed).code).toBe(4004);
    await expectEcho(good, 'calm');
  });

  it('closes with 4500 a socket that sends no hello in time', async () => {
    const { connect } = await start({ helloTimeout: 30 });
    const client = await connect();
    expect((await client.closed).code).toBe(4500);
  });

  it('closes a welcomed socket that stays silent for idleTimeout, keeping its session', async () => {
    const { server, connect } = await start({ idleTimeout: 40 });
    const client = await connect();
    const { peer } = await client.hello();
    expect((await client.closed).code).toBe(4502);
    expect(server.peers()).toEqual([peer]);
  });
});

describe('SignalingServer.kick', () => {
  it('closes with 4000 and the reason, and deletes the session at once', async () => {
    const { server, connect } = await start();
    const client = await connect();
    const welcome = await client.hello();
    const ended = nextEvent(server, 'session-end');
    expect(server.kick(welcome.peer, 'banned')).toBe(true);
    expect(await ended).toEqual({ peerId: welcome.peer });
    expect(server.peers()).toEqual([]);
    expect(await client.closed).toEqual({ code: 4000, reason: 'banned' });
    expect(server.kick(welcome.peer, 'again')).toBe(false);
    const again = await (await connect()).hello({ resume: { peer: welcome.peer, secret: welcome.secret } });
    expect(again.resumed).toBe(false);
  });
});

describe('SignalingServer on an existing http.Server', () => {
  it('accepts sockets on its path and leaves the http server running on close', async () => {
    const http = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    servers.defer(() => new Promise((resolve) => http.close(resolve)));
    const server = new SignalingServer({ server: http, path: '/rtc' });
    server.handle('echo', (data) => data);
    await server.listen();
    servers.defer(() => server.close());
    const client = await servers.connectTo(`ws://127.0.0.1:${server.port}/rtc`);
    await client.hello();
    await expectEcho(client, 'attached');
    await expect(RawClient.connect(`ws://127.0.0.1:${server.port}/elsewhere`)).rejects.toThrow();
    await server.close();
    expect((await client.closed).code).toBe(1001);
    expect(http.listening).toBe(true);
  });
});
