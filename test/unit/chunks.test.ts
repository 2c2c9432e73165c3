// The chunker and reassembler on their own: every chunk frame fits its limit, the pieces join
// back to the exact text whatever characters it holds, and reassembly stays within its bounds
// whatever order or volume of chunks arrives.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHUNK_OVERHEAD, overFrame, reassemblyLimits, Reassembler, splitMessage, type ChunkFault } from '../../src/protocol/chunks.js';
import { ChunkFrame as chunkGuard } from '../../src/protocol/frame-guards.js';
import type { ChunkFrame } from '../../src/protocol/frames.js';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const parse = (frames: string[]) => frames.map((f) => JSON.parse(f) as ChunkFrame);
const limits = { maxMessageBytes: 10_000, maxMessages: 2, maxBytes: 12_000 };

function chunk(id: number, part: number, parts: number, text: string): ChunkFrame {
  return { type: 'chunk', id, part, parts, text };
}

describe('splitMessage', () => {
  it('cuts any text into valid chunk frames within the limit that join back to it exactly', () => {
    // JSON text with the characters that cost more than one byte in a chunk: quotes and
    // backslashes (escaped again), 2- and 3-byte UTF-8, surrogate pairs, control escapes.
    const unit = fc.constantFrom('a', '"', '\\', 'é', '€', '😀', '\n', '\u0001', '\u2028', ' ');
    const text = fc.array(unit, { minLength: 1, maxLength: 3_000 }).map((units) => JSON.stringify({ type: 'request', id: 'x', method: 'm', data: units.join('') }));
    fc.assert(
      fc.property(text, fc.integer({ min: 120, max: 2_000 }), fc.nat(10_000), (message, frameBytes, id) => {
        const frames = splitMessage(message, id, frameBytes);
        for (const frame of frames) {
          expect(bytes(frame)).toBeLessThanOrEqual(frameBytes);
          expect(chunkGuard(JSON.parse(frame))).toBeUndefined();
        }
        const chunks = parse(frames);
        expect(chunks.map((c) => c.part)).toEqual(chunks.map((_, i) => i));
        expect(new Set(chunks.map((c) => `${c.id}/${c.parts}`))).toEqual(new Set([`${id}/${frames.length}`]));
        expect(chunks.map((c) => c.text).join('')).toBe(message);
        // Never half a surrogate pair in a chunk.
        for (const c of chunks) expect(c.text).not.toMatch(LONE_SURROGATE);
      }),
      { numRuns: 300 },
    );
  });

  it('fills its chunks: an ASCII message needs no more chunks than its size calls for', () => {
    const message = JSON.stringify({ data: 'x'.repeat(300_000) });
    const frames = splitMessage(message, 0, 65_536);
    expect(frames).toHaveLength(Math.ceil(bytes(message) / (65_536 - 80)));
    expect(bytes(frames[0]!)).toBeGreaterThan(65_536 - 80);
  });

  it('refuses a frame limit too small to carry a chunk', () => {
    expect(() => splitMessage('x'.repeat(100), 1, 60)).toThrow(RangeError);
  });

  it('overFrame measures UTF-8, not UTF-16 units', () => {
    expect(overFrame('x'.repeat(100), 100)).toBe(false);
    expect(overFrame('é'.repeat(51), 100)).toBe(true);
    expect(overFrame('é'.repeat(50), 100)).toBe(false);
  });
});

describe('Reassembler', () => {
  it('rebuilds a message from its chunks, and nothing before the last one', () => {
    const message = JSON.stringify({ data: 'é😀"'.repeat(500) });
    const r = new Reassembler(limits);
    const chunks = parse(splitMessage(message, 7, 500));
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks.slice(0, -1)) expect(r.add(c)).toBeUndefined();
    expect(r.held).toBeGreaterThan(0);
    expect(r.add(chunks.at(-1)!)).toBe(message);
    expect(r.held).toBe(0);
  });

  it('rebuilds interleaved messages independently, each when its own last chunk arrives', () => {
    const r = new Reassembler(limits);
    expect(r.add(chunk(1, 0, 2, 'a1'))).toBeUndefined();
    expect(r.add(chunk(2, 0, 3, 'b1'))).toBeUndefined();
    expect(r.add(chunk(2, 1, 3, 'b2'))).toBeUndefined();
    expect(r.add(chunk(1, 1, 2, 'a2'))).toBe('a1a2');
    expect(r.add(chunk(2, 2, 3, 'b3'))).toBe('b1b2b3');
    // An id is free again once its message is complete.
    expect(r.add(chunk(1, 0, 1, 'again'))).toBe('again');
    expect(r.held).toBe(0);
  });

  it.each<[string, ChunkFrame[]]>([
    ['a chunk before chunk 0', [chunk(1, 1, 2, 'x')]],
    ['a skipped chunk', [chunk(1, 0, 3, 'x'), chunk(1, 2, 3, 'x')]],
    ['a repeated chunk', [chunk(1, 0, 3, 'x'), chunk(1, 0, 3, 'x')]],
    ['a changed part count', [chunk(1, 0, 3, 'x'), chunk(1, 1, 4, 'x')]],
    ['zero parts', [chunk(1, 0, 0, 'x')]],
  ])('refuses %s as a protocol fault and forgets that message', (_what, frames) => {
    const r = new Reassembler(limits);
    const results = frames.map((f) => r.add(f));
    expect(results.at(-1)).toMatchObject({ fault: 'protocol', message: expect.stringMatching(/chunk/) });
    expect(r.held).toBe(0);
  });

  it('refuses more messages in reassembly than maxMessages', () => {
    const r = new Reassembler(limits);
    expect(r.add(chunk(1, 0, 2, 'x'))).toBeUndefined();
    expect(r.add(chunk(2, 0, 2, 'x'))).toBeUndefined();
    expect(r.add(chunk(3, 0, 2, 'x'))).toEqual<ChunkFault>({ fault: 'protocol', message: 'more than 2 chunked messages in reassembly at once' });
  });

  it('reports a message over maxMessageBytes once, holds none of it, and skips the rest of its chunks', () => {
    const r = new Reassembler(limits);
    expect(r.add(chunk(1, 0, 4, 'x'.repeat(6_000)))).toBeUndefined();
    expect(r.add(chunk(1, 1, 4, 'x'.repeat(6_000)))).toMatchObject({ fault: 'too-large' });
    expect(r.held).toBe(0);
    expect(r.add(chunk(1, 2, 4, 'x'.repeat(6_000)))).toBeUndefined();
    expect(r.add(chunk(2, 0, 2, 'y'))).toBeUndefined(); // others go on meanwhile
    expect(r.add(chunk(1, 3, 4, 'x'))).toBeUndefined();
    expect(r.add(chunk(2, 1, 2, 'z'))).toBe('yz');
    expect(r.add(chunk(1, 0, 1, 'fresh'))).toBe('fresh'); // the skipped message is gone
  });

  it('bounds what partial messages hold, counting an overhead per chunk so tiny chunks are bounded too', () => {
    const r = new Reassembler({ maxMessageBytes: 1_000_000, maxMessages: 4, maxBytes: 10_000 });
    let fault: string | ChunkFault | undefined;
    let sent = 0;
    for (let part = 0; fault === undefined; part++) {
      fault = r.add(chunk(1, part, 1_000_000, 'x'));
      sent++;
      expect(r.held).toBeLessThanOrEqual(10_000);
    }
    expect(fault).toMatchObject({ fault: 'protocol', message: expect.stringContaining('10000 bytes') });
    expect(sent).toBe(Math.floor(10_000 / (1 + CHUNK_OVERHEAD)) + 1);
    expect(r.held).toBe(0);
  });

  it('default limits hold one largest message in chunks of any size down to 1 KiB, and four partial ones at most', () => {
    const l = reassemblyLimits(1_048_576);
    const message = JSON.stringify({ data: 'x'.repeat(1_048_576 - 20) });
    expect(bytes(message)).toBeLessThanOrEqual(1_048_576);
    const r = new Reassembler(l);
    const chunks = parse(splitMessage(message, 0, 1_100));
    let last: unknown;
    for (const c of chunks) last = r.add(c);
    expect(last).toBe(message);
    expect(l.maxMessages).toBe(4);
  });
});

describe('server option maxSignalBytes', () => {
  it('defaults to 1 MiB, or maxPayload when larger, and must be a positive integer', async () => {
    const { normalizeOptions } = await import('../../src/server/options.js');
    expect(normalizeOptions({}).maxSignalBytes).toBe(1_048_576);
    expect(normalizeOptions({ maxPayload: 4_000_000 }).maxSignalBytes).toBe(4_000_000);
    expect(normalizeOptions({ maxSignalBytes: 100 }).maxSignalBytes).toBe(100);
    expect(() => normalizeOptions({ maxSignalBytes: 0 })).toThrow('SignalingServer: option "maxSignalBytes" must be an integer >= 1, got 0');
  });
});
