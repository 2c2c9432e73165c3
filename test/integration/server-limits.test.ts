// The reference server under memory pressure, over real sockets on 127.0.0.1: outboxes bounded
// in bytes, clients that stop reading, the exact bytes of shared (room) notifications, and
// timer options too large for setTimeout.
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SignalingServer, type SignalingServerOptions } from '../../src/server/index.js';
import { rawServers } from '../support/raw-server.js';
import { nextEvent, type Frame, type RawClient } from '../support/ws-client.js';

const servers = rawServers();

/** Every text frame the client receives, as sent. */
function texts(client: RawClient): string[] {
  const seen: string[] = [];
  client.ws.on('message', (data) => seen.push(data.toString()));
  return seen;
}

const seqs = (frames: Frame[]) => frames.filter((frame) => frame.type === 'notification').map((frame) => frame.seq as number);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('maxBufferedBytes', () => {
  it('drops the oldest unacknowledged notifications past the byte limit, counting UTF-8 bytes, and warns', async () => {
    const data = 'é'.repeat(100); // 200 bytes, 100 UTF-16 units: a limit in characters would keep all 3
    const frameBytes = Buffer.byteLength(JSON.stringify({ type: 'notification', method: 'n', data, seq: 1 }));
    const { server, connect } = await servers.start({ maxBufferedBytes: 2 * frameBytes });
    const first = await connect();
    const welcome = await first.hello();
    await first.close(4999); // not 1000: the session waits for a resume
    const warning = nextEvent(server, 'warning');
    for (let n = 0; n < 3; n++) server.notify(welcome.peer, 'n', data);
    expect(await warning).toMatchObject({ code: 'NOTIFICATIONS_DROPPED', peerId: welcome.peer, message: expect.stringContaining('bytes') });
    const second = await connect();
    await second.hello({ resume: { peer: welcome.peer, secret: welcome.secret } });
    await second.sync();
    expect(seqs(second.unread())).toEqual([2, 3]);
  });

  it('keeps the newest notification even when it alone is over the limit', async () => {
    const { server, connect } = await servers.start({ maxBufferedBytes: 10 });
    const first = await connect();
    const welcome = await first.hello();
    await first.close(4999);
    server.notify(welcome.peer, 'n', 'small');
    server.notify(welcome.peer, 'n', 'x'.repeat(100));
    const second = await connect();
    await second.hello({ resume: { peer: welcome.peer, secret: welcome.secret } });
    await second.sync();
    expect(second.unread().filter((frame) => frame.type === 'notification')).toEqual([{ type: 'notification', method: 'n', data: 'x'.repeat(100), seq: 2 }]);
  });

  it('forgets acknowledged notifications from a long outbox and resends exactly the rest', async () => {
    const { server, connect } = await servers.start({ maxBufferedNotifications: 5_000 });
    const first = await connect();
    const welcome = await first.hello();
    for (let n = 1; n <= 3_000; n++) server.notify(welcome.peer, 'n', n);
    await first.sync(1, 2_500);
    server.notify(welcome.peer, 'n', 3_001);
    await first.sync(2, 2_990);
    await first.close(4999);
    const second = await connect();
    await second.hello({ resume: { peer: welcome.peer, secret: welcome.secret }, ack: 2_990 });
    await second.sync();
    expect(seqs(second.unread())).toEqual(range(2_991, 3_001));
  });
});

describe('slow consumers', () => {
  it('closes with 4503 a socket that stops reading; it resumes and gets what it missed, and a reading peer is unaffected', async () => {
    const payload = 'x'.repeat(16 * 1024);
    const { server, connect } = await servers.start({ maxSocketBuffer: 64 * 1024, maxBufferedBytes: 64 * 1024 * 1024, maxBufferedNotifications: 10_000 });
    const slow = await connect();
    const slowWelcome = await slow.hello();
    const fast = await connect();
    const fastWelcome = await fast.hello();
    const disconnected = nextEvent(server, 'disconnect');
    const warning = nextEvent(server, 'warning');
    let closed = false;
    void disconnected.then(() => (closed = true));
    slow.ws.pause(); // stops reading its socket: the kernel buffers fill, then the server's
    let sent = 0;
    while (!closed && sent < 2_000) {
      server.notify(slowWelcome.peer, 'n', payload);
      server.notify(fastWelcome.peer, 'n', payload);
      sent++;
      await tick();
    }
    expect(await disconnected).toMatchObject({ peerId: slowWelcome.peer, code: 4503 });
    expect(await warning).toMatchObject({ code: 'SLOW_CONSUMER', peerId: slowWelcome.peer });
    for (let n = 0; n < 3; n++) server.notify(slowWelcome.peer, 'n', 'after');
    const total = sent + 3;

    slow.ws.resume();
    expect((await slow.closed).code).toBe(4503);
    const got = seqs(slow.unread());
    expect(got).toEqual(range(1, got.length));
    expect(got.length).toBeLessThan(total);

    const again = await connect();
    const welcome = await again.hello({ resume: { peer: slowWelcome.peer, secret: slowWelcome.secret }, ack: got.length });
    expect(welcome).toMatchObject({ peer: slowWelcome.peer, resumed: true });
    await again.sync();
    expect(seqs(again.unread())).toEqual(range(got.length + 1, total));

    await fast.sync();
    expect(seqs(fast.unread())).toEqual(range(1, sent));
    expect(server.peers()).toContain(fastWelcome.peer);
  });
});

describe('shared notifications', () => {
  it('writes room notifications to each member byte-identical to JSON.stringify of the frame, with its own seq', async () => {
    const { server, connect } = await servers.start();
    const join = async (client: RawClient, id: string) => {
      client.send({ type: 'request', id, method: 'join', data: { room: 'r' } });
      expect(await client.next((frame) => frame.id === id)).toMatchObject({ ok: true });
    };
    const [a, b, c] = [await connect(), await connect(), await connect()];
    const aId = (await a.hello()).peer as string;
    await b.hello();
    const cId = (await c.hello()).peer as string;
    const [bTexts, cTexts] = [texts(b), texts(c)];
    await join(a, 'j1');
    await join(b, 'j2'); // a gets seq 1
    await join(c, 'j3'); // a gets 2, b gets 1
    for (let n = 0; n < 11; n++) server.notify(cId, 'pad', n); // c's seqs reach two digits
    const data = { text: 'héllo "quoted" \\ \u2028 😀', list: [1, null, true], nested: { x: {} } };
    for (const [i, payload] of [data, undefined, 'é'].entries()) {
      a.send({ type: 'request', id: `b${i}`, method: 'broadcast', data: { room: 'r', data: payload } });
      await a.next((frame) => frame.id === `b${i}`);
    }
    await b.sync();
    await c.sync();
    const check = (seen: string[], from: number) => {
      const broadcasts = seen.map((text) => JSON.parse(text) as Frame).filter((frame) => frame.method === 'broadcast');
      expect(broadcasts.map((frame) => frame.seq)).toEqual([from, from + 1, from + 2]);
      const expected = broadcasts.map((frame) => JSON.stringify({ type: 'notification', method: 'broadcast', data: frame.data, seq: frame.seq }));
      expect(seen.filter((text) => text.includes('"method":"broadcast"'))).toEqual(expected);
    };
    check(bTexts, 2);
    check(cTexts, 12);
    expect(JSON.parse(bTexts.find((text) => text.includes('"method":"broadcast"'))!)).toMatchObject({ data: { room: 'r', from: aId, data } });
  });

  it('writes server.notify frames exactly as JSON.stringify would: undefined data omitted, toJSON given the "data" key', async () => {
    const { server, connect } = await servers.start();
    const client = await connect();
    const { peer } = await client.hello();
    const seen = texts(client);
    const cases: unknown[] = [undefined, null, 0, 'é😀', [undefined, () => 1], { toJSON: (key: string) => `key:${key}` }, { a: undefined, b: 1 }];
    for (const data of cases) server.notify(peer, 'm', data);
    await client.sync();
    const notes = seen.filter((text) => text.includes('"notification"'));
    expect(notes).toEqual(cases.map((data, i) => JSON.stringify({ type: 'notification', method: 'm', data, seq: i + 1 })));
    expect(notes[5]).toBe('{"type":"notification","method":"m","data":"key:data","seq":6}');
  });

  it('throws BAD_MESSAGE for data that is not JSON, using no seq', async () => {
    const { server, connect } = await servers.start();
    const client = await connect();
    const { peer } = await client.hello();
    expect(() => server.notify(peer, 'm', { big: 1n })).toThrow(expect.objectContaining({ code: 'BAD_MESSAGE' }));
    server.notify(peer, 'm', 'ok');
    expect(await client.next('notification')).toEqual({ type: 'notification', method: 'm', data: 'ok', seq: 1 });
  });
});

describe('timer options', () => {
  const TOO_LONG = 2 ** 31;
  for (const name of ['sessionTtl', 'helloTimeout', 'idleTimeout', 'requestTimeout', 'dedupeWindow'] as const) {
    it(`refuses ${name} above 2^31-1 ms with a TypeError naming it`, () => {
      for (const value of [TOO_LONG, 1e12]) {
        expect(() => new SignalingServer({ [name]: value } as SignalingServerOptions)).toThrow(TypeError);
        expect(() => new SignalingServer({ [name]: value } as SignalingServerOptions)).toThrow(`"${name}"`);
      }
      expect(() => new SignalingServer({ [name]: 2 ** 31 - 1 } as SignalingServerOptions)).not.toThrow();
    });
  }

  it('rejects server.request with a timeout above 2^31-1 ms (or not positive) without sending it', async () => {
    const { server, connect } = await servers.start();
    const client = await connect();
    const { peer } = await client.hello();
    for (const timeout of [TOO_LONG, Infinity, 0, -1, Number.NaN]) {
      const error = await server.request(peer, 'm', null, { timeout }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TypeError);
      expect(String(error)).toContain('"timeout"');
    }
    await client.sync();
    expect(client.unread()).toEqual([]);
    const answered = server.request(peer, 'm', null, { timeout: 2 ** 31 - 1 });
    const request = await client.next('request');
    client.send({ type: 'response', id: request.id, ok: true, data: 'yes' });
    expect(await answered).toBe('yes');
  });
});
