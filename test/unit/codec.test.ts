import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SignalError } from '../../src/errors.js';
import { decodeFrame, encodeFrame, encodeSized, MAX_TIMER_DELAY, utf8Length, validDelay } from '../../src/protocol/codec.js';
import { ClientFrame, ServerFrame } from '../../src/protocol/frame-guards.js';

function expectBad(input: unknown, message: RegExp) {
  let result: ReturnType<typeof decodeFrame>;
  expect(() => (result = decodeFrame(ServerFrame, input))).not.toThrow();
  expect(result!.ok).toBe(false);
  if (result!.ok) return;
  expect(result!.error).toBeInstanceOf(SignalError);
  expect(result!.error.code).toBe('BAD_MESSAGE');
  expect(result!.error.message).toMatch(message);
}

describe('decodeFrame: valid frames', () => {
  it.each([
    { type: 'welcome', version: 1, peer: 'p1', secret: 's1', resumed: false },
    { type: 'request', id: 'r1', method: 'offer', data: { sdp: 'x' } },
    { type: 'request', id: 'r1', method: 'offer', replay: true },
    { type: 'response', id: 'r1', ok: true, data: [1, 2] },
    { type: 'response', id: 'r1', ok: false, error: { code: 'NOT_FOUND', message: 'no' } },
    { type: 'notification', method: 'candidate', data: null, seq: 3 },
    { type: 'pong', id: 7 },
  ])('accepts $type', (frame) => {
    const result = decodeFrame(ServerFrame, JSON.stringify(frame));
    expect(result).toEqual({ ok: true, frame });
  });

  it('ignores unknown fields (the protocol grows this way)', () => {
    const result = decodeFrame(ServerFrame, JSON.stringify({ type: 'pong', id: 1, extra: 'x' }));
    expect(result.ok).toBe(true);
  });

  it('validates against the schema it is given', () => {
    const ack = JSON.stringify({ type: 'ack', seq: 1 });
    expect(decodeFrame(ClientFrame, ack).ok).toBe(true);
    expect(decodeFrame(ServerFrame, ack).ok).toBe(false); // a client never receives ack
  });
});

describe('decodeFrame: bad frames become BAD_MESSAGE results, never exceptions', () => {
  it.each([
    ['truncated JSON', '{"type":"pong",', /not JSON/],
    ['plain text', 'hello', /not JSON/],
    ['empty string', '', /not JSON/],
  ])('%s', (_name, input, message) => expectBad(input, message));

  it.each([
    ['null', 'null'],
    ['a number', '42'],
    ['a string', '"pong"'],
    ['an array', '[{"type":"pong","id":1}]'],
    ['an unknown type', '{"type":"shout","id":1}'],
    ['no type', '{"id":1}'],
    ['a pong with a string id', '{"type":"pong","id":"1"}'],
    ['a negative seq', '{"type":"notification","method":"m","seq":-1}'],
    ['a fractional seq', '{"type":"notification","method":"m","seq":1.5}'],
    ['an empty request id', '{"type":"request","id":"","method":"m"}'],
    ['an over-long request id', JSON.stringify({ type: 'request', id: 'x'.repeat(129), method: 'm' })],
    ['an error response without error body', '{"type":"response","id":"r","ok":false}'],
    ['a welcome without secret', '{"type":"welcome","version":1,"peer":"p","resumed":false}'],
  ])('wrong shape: %s', (_name, input) => expectBad(input, /wrong shape/));

  it.each([
    ['an ArrayBuffer', new ArrayBuffer(4)],
    ['a Node Buffer', Buffer.from('{"type":"pong","id":1}')],
    ['a Uint8Array', new Uint8Array([123, 125])],
    ['a Blob', new Blob(['{}'])],
  ])('binary: %s', (_name, input) => expectBad(input, /binary/));

  it('undefined, numbers and objects are not text either', () => {
    expectBad(undefined, /binary/);
    expectBad(5, /binary/);
    expectBad({ type: 'pong', id: 1 }, /binary/);
  });

  it('keeps the error message short for huge frames', () => {
    const result = decodeFrame(ServerFrame, `{"type":"nope","data":"${'x'.repeat(100_000)}"}`);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message.length).toBeLessThan(400);
  });

  it('survives deeply nested input', () => {
    expectBad('['.repeat(100_000), /not JSON/);
    const deep = `{"type":"notification","method":"m","data":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expect(decodeFrame(ServerFrame, deep).ok).toBe(true);
  });
});

describe('encodeFrame', () => {
  it('encodes plain data as JSON', () => {
    expect(encodeFrame({ type: 'pong', id: 1 })).toBe('{"type":"pong","id":1}');
  });

  it('throws BAD_MESSAGE for data that cannot be JSON', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => encodeFrame({ type: 'notification', method: 'm', data: cyclic })).toThrow(expect.objectContaining({ code: 'BAD_MESSAGE' }));
    expect(() => encodeFrame({ data: 10n })).toThrow(expect.objectContaining({ code: 'BAD_MESSAGE' }));
  });
});

describe('utf8Length', () => {
  const cases: Array<[string, string]> = [
    ['empty', ''],
    ['ASCII', '{"type":"notification","method":"m","data":"hello world ~!@#$%^&*()"}'],
    ['2-byte characters', 'é ß ñ Ω ק ع'],
    ['3-byte characters', '€ 中文 日本語 한국어 \u0800 \uffff'],
    ['4-byte characters (surrogate pairs)', '😀 🎉 𝄞 \u{10000} \u{10ffff}'],
    ['a mix', 'a é € 😀 z'.repeat(50)],
    ['a lone high surrogate at the end', 'abc\ud83d'],
    ['a lone low surrogate', 'a\ude00b'],
    ['a lone high surrogate before ASCII', '\ud83da'],
  ];

  it.each(cases)('equals Buffer.byteLength for %s', (_name, text) => {
    expect(utf8Length(text)).toBe(Buffer.byteLength(text, 'utf8'));
  });

  it('equals Buffer.byteLength for any JSON.stringify output, including strings with lone surrogates', () => {
    // This is how the Peer uses it: JSON.stringify escapes lone surrogates (\udXXX), so the encoded frame is well-formed.
    for (const data of ['\ud800\u00e9', '\ud800\u20ac', '\ud800\ud800', 'x\udc00\ud800y', '😀\ud83d']) {
      const text = JSON.stringify({ data });
      expect(utf8Length(text)).toBe(Buffer.byteLength(text, 'utf8'));
    }
  });

  // Formerly undercounted: a high surrogate was assumed to start a pair, so the unit after it
  // was skipped even when it was not a low surrogate. A lone surrogate is encoded as U+FFFD (3 bytes).
  it.each([
    ['a lone high surrogate before a 2-byte character', '\ud800\u00e9'],
    ['a lone high surrogate before a 3-byte character', '\ud800\u20ac'],
    ['two high surrogates', '\ud800\ud800'],
  ])('equals Buffer.byteLength for %s', (_name, text) => {
    expect(utf8Length(text)).toBe(Buffer.byteLength(text, 'utf8'));
  });

  it('equals Buffer.byteLength for any sequence of UTF-16 units, well-formed or not', () => {
    const units = fc.array(fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0xd800, max: 0xdfff })), { maxLength: 40 });
    fc.assert(
      fc.property(units, (codes) => {
        const text = String.fromCharCode(...codes);
        expect(utf8Length(text)).toBe(Buffer.byteLength(text, 'utf8'));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('encodeSized', () => {
  it('returns the encoded text and its UTF-8 length', () => {
    const frame = { type: 'notification', method: 'm', data: 'é😀' };
    const text = JSON.stringify(frame);
    expect(encodeSized(frame, 1000, 'x')).toEqual({ text, bytes: Buffer.byteLength(text, 'utf8') });
  });

  it('accepts exactly maxBytes and throws TOO_LARGE one byte over, naming what was refused', () => {
    const frame = { data: 'é'.repeat(10) };
    const bytes = Buffer.byteLength(JSON.stringify(frame), 'utf8');
    expect(encodeSized(frame, bytes, 'x').bytes).toBe(bytes);
    expect(() => encodeSized(frame, bytes - 1, 'notification "m"')).toThrow(
      expect.objectContaining({ code: 'TOO_LARGE', message: expect.stringContaining(`notification "m" is ${bytes} bytes`) }),
    );
  });

  it('throws BAD_MESSAGE for data that cannot be JSON, whatever the limit', () => {
    expect(() => encodeSized({ data: 1n }, Infinity, 'x')).toThrow(expect.objectContaining({ code: 'BAD_MESSAGE' }));
  });
});

describe('validDelay', () => {
  it.each([1, 0.5, 1000, MAX_TIMER_DELAY])('accepts %s', (ms) => {
    expect(validDelay(ms)).toBe(true);
  });

  it.each([0, -1, NaN, Infinity, -Infinity, MAX_TIMER_DELAY + 1, '100', null, undefined])('refuses %s', (ms) => {
    expect(validDelay(ms)).toBe(false);
  });

  it('MAX_TIMER_DELAY is the longest delay setTimeout honours (2^31-1 ms)', () => {
    expect(MAX_TIMER_DELAY).toBe(2 ** 31 - 1);
  });
});
