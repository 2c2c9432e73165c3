import { describe, expect, it } from 'vitest';
import { normalizeOptions, type PeerOptions } from '../../src/options.js';
import { fakeWebSocket } from '../support/fake-socket.js';

const URL = 'ws://localhost:1/rtc';

describe('normalizeOptions: defaults', () => {
  it('fills every default from urls alone', () => {
    const o = normalizeOptions({ urls: URL });
    expect(o.urls).toEqual([URL]);
    expect(o.backoff).toEqual({ connect: [200, 400, 600], reconnect: [2000, 4000, 6000], jitter: 0.2, maxAttempts: Infinity });
    expect(o.heartbeat).toEqual({ interval: 5000, maxMissed: 3 });
    expect(o.connectTimeout).toBe(5000);
    expect(o.requestTimeout).toBe(15000);
    expect(o.sendBuffer).toEqual({ maxMessages: 1000, maxBytes: 1_048_576 });
    expect(o.maxMessageBytes).toBe(65536);
    expect(o.maxSignalBytes).toBe(1_048_576);
    expect(o.token).toBeUndefined();
    expect(typeof o.env.setTimeout).toBe('function');
    expect(typeof o.env.WebSocket).toBe('function');
  });

  it('keeps the other defaults when a nested option is given in part', () => {
    const o = normalizeOptions({ urls: URL, backoff: { jitter: 0 }, heartbeat: { interval: 1000 }, sendBuffer: { maxBytes: 10 } });
    expect(o.backoff).toEqual({ connect: [200, 400, 600], reconnect: [2000, 4000, 6000], jitter: 0, maxAttempts: Infinity });
    expect(o.heartbeat).toEqual({ interval: 1000, maxMissed: 3 });
    expect(o.sendBuffer).toEqual({ maxMessages: 1000, maxBytes: 10 });
    const o2 = normalizeOptions({ urls: URL, backoff: { connect: [50] }, heartbeat: { maxMissed: 5 } });
    expect(o2.backoff).toEqual({ connect: [50], reconnect: [2000, 4000, 6000], jitter: 0.2, maxAttempts: Infinity });
    expect(o2.heartbeat).toEqual({ interval: 5000, maxMissed: 5 });
  });

  it('keeps urls in order and copies arrays so later changes by the caller do not leak in', () => {
    const urls = ['ws://a', 'wss://b'];
    const connect = [1, 2];
    const o = normalizeOptions({ urls, backoff: { connect } });
    urls.push('ws://c');
    connect.push(3);
    expect(o.urls).toEqual(['ws://a', 'wss://b']);
    expect(o.backoff.connect).toEqual([1, 2]);
  });

  it('accepts ws and wss urls in any case, a token string or function, and zero delays', () => {
    expect(normalizeOptions({ urls: ['WS://A', 'wss://b:443/x?y=1'] }).urls).toHaveLength(2);
    expect(normalizeOptions({ urls: URL, token: 't' }).token).toBe('t');
    const fn = () => 't';
    expect(normalizeOptions({ urls: URL, token: fn }).token).toBe(fn);
    expect(normalizeOptions({ urls: URL, backoff: { connect: [0], jitter: 1 } }).backoff).toMatchObject({ connect: [0], jitter: 1 });
  });

  it('merges a partial env over the runtime one, and the WebSocket option wins', () => {
    const random = () => 0.25;
    const fake = fakeWebSocket();
    const o = normalizeOptions({ urls: URL, env: { random }, WebSocket: fake.WebSocket });
    expect(o.env.random).toBe(random);
    expect(o.env.WebSocket).toBe(fake.WebSocket);
    expect(typeof o.env.now()).toBe('number');
  });
});

describe('normalizeOptions: bad options throw a TypeError naming the option', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['no options', undefined, /options object/],
    ['null options', null, /options object/],
    ['no urls', {}, /`urls`/],
    ['empty urls', { urls: [] }, /`urls`/],
    ['an http url', { urls: 'http://x' }, /"http:\/\/x" is not a ws:\/\/ or wss:\/\//],
    ['a url without host', { urls: 'ws://' }, /not a ws:\/\/ or wss:\/\//],
    ['a non-string url', { urls: [URL, 5] }, /5 is not a ws/],
    ['jitter above 1', { urls: URL, backoff: { jitter: 1.5 } }, /`backoff.jitter` must be between 0 and 1, got 1.5/],
    ['negative jitter', { urls: URL, backoff: { jitter: -0.1 } }, /`backoff.jitter`/],
    ['NaN jitter', { urls: URL, backoff: { jitter: NaN } }, /`backoff.jitter`/],
    ['string jitter', { urls: URL, backoff: { jitter: '0.2' } }, /`backoff.jitter`/],
    ['empty connect schedule', { urls: URL, backoff: { connect: [] } }, /`backoff.connect` must be a non-empty array/],
    ['negative delay', { urls: URL, backoff: { reconnect: [1000, -1] } }, /`backoff.reconnect`/],
    ['infinite delay', { urls: URL, backoff: { reconnect: [Infinity] } }, /`backoff.reconnect`/],
    ['a schedule that is a number', { urls: URL, backoff: { connect: 200 } }, /`backoff.connect`/],
    ['zero maxAttempts', { urls: URL, backoff: { maxAttempts: 0 } }, /`backoff.maxAttempts` must be a number above 0, got 0/],
    ['zero heartbeat interval', { urls: URL, heartbeat: { interval: 0 } }, /`heartbeat.interval`/],
    ['NaN maxMissed', { urls: URL, heartbeat: { maxMissed: NaN } }, /`heartbeat.maxMissed`.*NaN/],
    ['negative connectTimeout', { urls: URL, connectTimeout: -5 }, /`connectTimeout`/],
    ['string requestTimeout', { urls: URL, requestTimeout: '15000' }, /`requestTimeout`/],
    ['zero maxMessages', { urls: URL, sendBuffer: { maxMessages: 0 } }, /`sendBuffer.maxMessages`/],
    ['negative maxBytes', { urls: URL, sendBuffer: { maxBytes: -1 } }, /`sendBuffer.maxBytes`/],
    ['zero maxMessageBytes', { urls: URL, maxMessageBytes: 0 }, /`maxMessageBytes`/],
    ['zero maxSignalBytes', { urls: URL, maxSignalBytes: 0 }, /`maxSignalBytes`/],
    ['a numeric token', { urls: URL, token: 42 }, /`token` must be a string or a function/],
  ];

  it('maxSignalBytes is never below maxMessageBytes by default, so a larger frame limit keeps working', () => {
    expect(normalizeOptions({ urls: URL, maxMessageBytes: 4_000_000 }).maxSignalBytes).toBe(4_000_000);
    expect(normalizeOptions({ urls: URL, maxSignalBytes: 100 }).maxSignalBytes).toBe(100);
  });

  it.each(bad)('%s', (_name, options, message) => {
    let thrown: unknown;
    try {
      normalizeOptions(options as PeerOptions);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as TypeError).message).toMatch(/^resignal: /);
    expect((thrown as TypeError).message).toMatch(message);
  });

  // setTimeout cannot wait longer than 2^31 - 1 ms: a longer (or infinite) delay fires after
  // about 1 ms in Node and browsers, so accepting it would time out everything at once.
  it.each([
    ['connectTimeout', { connectTimeout: Infinity }],
    ['requestTimeout', { requestTimeout: Infinity }],
    ['requestTimeout', { requestTimeout: 2 ** 31 }],
    ['heartbeat.interval', { heartbeat: { interval: Infinity } }],
    ['backoff.connect', { backoff: { connect: [2 ** 31] } }],
  ])('%s beyond what a timer can wait (%o)', (name, extra) => {
    expect(() => normalizeOptions({ urls: URL, ...extra } as PeerOptions)).toThrow(new RegExp(`\`${name.replace('.', '\\.')}\``));
  });

  it('the largest timer delay is still accepted, and maxAttempts may be Infinity', () => {
    expect(normalizeOptions({ urls: URL, requestTimeout: 2 ** 31 - 1 }).requestTimeout).toBe(2 ** 31 - 1);
    expect(normalizeOptions({ urls: URL, backoff: { maxAttempts: Infinity } }).backoff.maxAttempts).toBe(Infinity);
  });
});
