// The compact guards (src/protocol/frame-guards.ts, room-guards.ts) must accept exactly what the
// zod schemas (src/protocol/frames.ts, rooms.ts) accept, and point at the same place when they
// reject. Thousands of valid, mutated and arbitrary values per shape prove it; hand-made faulty
// guards prove the comparison is sharp enough to catch a wrong rule.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type * as z from 'zod/mini';
import { array, boolean, count, either, literal, number, object, oneOf, optional, record, string, unknown, isObject, type Check, type Issue } from '../../src/protocol/check.js';
import * as frameGuards from '../../src/protocol/frame-guards.js';
import * as frameSchemas from '../../src/protocol/frames.js';
import * as roomGuards from '../../src/protocol/room-guards.js';
import * as roomSchemas from '../../src/protocol/rooms.js';
import { clientFrames, mixed, serverFrames, valid, type ShapeName } from './support/frame-arbitraries.js';

const RUNS = 3_000;
type Schema = z.ZodMiniType<unknown>;

const guards: Record<ShapeName, Check> = { ...frameGuards, ...roomGuards };
const schemas = { ...frameSchemas, ...roomSchemas } as unknown as Record<ShapeName | 'ServerFrame' | 'ClientFrame', Schema>;

/** Why guard and schema disagree on `value`, or undefined when they agree (verdict and path). */
function disagreement(guard: Check, schema: Schema, value: unknown): string | undefined {
  let issue: Issue | undefined;
  try {
    issue = guard(value);
  } catch (error) {
    return `the guard threw ${String(error)}`;
  }
  const parsed = schema.safeParse(value);
  if ((issue === undefined) !== parsed.success) return `the guard ${issue ? `rejects (${issue.message})` : 'accepts'} a value zod ${parsed.success ? 'accepts' : 'rejects'}`;
  const zodPath = parsed.error?.issues[0]?.path;
  if (issue && JSON.stringify(issue.path) !== JSON.stringify(zodPath)) return `the guard points at ${JSON.stringify(issue.path)}, zod at ${JSON.stringify(zodPath)}`;
  return undefined;
}

/** Checks every generated value; counts the verdicts so a one-sided generator cannot pass unnoticed. */
function compare(guard: Check, schema: Schema, values: fc.Arbitrary<unknown>, numRuns = RUNS) {
  const seen = { accepted: 0, rejected: 0 };
  const property = fc.property(values, (value) => {
    const why = disagreement(guard, schema, value);
    if (why) throw new Error(`${why}: ${preview(value)}`);
    if (guard(value)) seen.rejected++;
    else seen.accepted++;
  });
  return { result: fc.check(property, { numRuns }), seen };
}

function preview(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 300) ?? String(value);
  } catch {
    return String(value);
  }
}

function expectSame(guard: Check, schema: Schema, values: fc.Arbitrary<unknown>) {
  const { result, seen } = compare(guard, schema, values);
  if (result.failed) throw new Error(`guard and zod disagree after ${result.numRuns} values (seed ${result.seed}): ${String(result.errorInstance)}`);
  // Both verdicts are well represented, so the agreement says something about each.
  expect(seen.accepted).toBeGreaterThan(RUNS / 10);
  expect(seen.rejected).toBeGreaterThan(RUNS / 10);
}

describe('guards accept exactly what the zod schemas accept, and report the same path', () => {
  it.each(Object.keys(valid) as ShapeName[])('%s', (name) => {
    expectSame(guards[name], schemas[name], mixed(valid[name]));
  });

  it('ServerFrame, on server frames and client frames', () => {
    expectSame(frameGuards.ServerFrame, schemas.ServerFrame, fc.oneof(mixed(serverFrames), mixed(clientFrames)));
  });

  it('ClientFrame, on client frames and server frames', () => {
    expectSame(frameGuards.ClientFrame, schemas.ClientFrame, fc.oneof(mixed(clientFrames), mixed(serverFrames)));
  });

  it('on the values JSON.parse makes of frames with "__proto__" keys', () => {
    for (const text of ['{"type":"pong","id":1,"__proto__":{"id":-1}}', '{"type":"welcome","version":1,"peer":"p","secret":"s","resumed":false,"lost":{"count":1,"rooms":{"__proto__":-1}}}']) {
      expect(disagreement(frameGuards.ServerFrame, schemas.ServerFrame, JSON.parse(text))).toBeUndefined();
      expect(frameGuards.ServerFrame(JSON.parse(text))).toBeUndefined();
    }
  });

  it('say what was wrong and where', () => {
    const frame = { type: 'welcome', version: 1, peer: 'p', secret: 's', resumed: false, lost: { count: 2, rooms: { lobby: -1 } } };
    expect(frameGuards.ServerFrame(frame)).toEqual({ path: ['lost', 'rooms', 'lobby'], message: 'expected an integer >= 0, got -1' });
    expect(frameGuards.ServerFrame({ type: 'hello', version: 1 })).toEqual({ path: ['type'], message: 'expected one of "welcome", "request", "response", "notification", "ping", "pong", "chunk", got a string of 5' });
    expect(frameGuards.ClientFrame({ type: 'request', id: '', method: 'm' })).toEqual({ path: ['id'], message: 'expected a string of 1 to 128 characters, got 0' });
  });
});

// Faulty guards, each with one wrong rule of the kind a hand edit could introduce. The same
// comparison must find a value on which each disagrees with zod.
const looseCount: Check = (v) => (Number.isInteger(v) && (v as number) >= 0 ? undefined : { path: [], message: 'x' });
const positiveCount: Check = (v) => (Number.isSafeInteger(v) && (v as number) > 0 ? undefined : { path: [], message: 'x' });
const nullIsAbsent = (check: Check): Check => (v) => (v === undefined || v === null ? undefined : check(v));
const recordKeepingProto = (value: Check): Check => (v) => {
  if (!isObject(v)) return { path: [], message: 'x' };
  for (const key of Object.keys(v)) if (value(v[key])) return { path: [key], message: 'x' };
  return undefined;
};
const id = string(1, 128);
const iceServers = optional(array(object({ urls: either(string(), array(string())), username: optional(string()), credential: optional(string()) })));
const welcome = (lost: Check, resumed: Check = boolean, ice: Check = iceServers, chunks: Check = optional(count)) => object({ type: literal('welcome'), version: number, peer: id, secret: id, resumed, lost, iceServers: ice, chunks });
const member = object({ id: string(), meta: optional(unknown) });

const mutants: Array<[string, ShapeName | 'ClientFrame', Check]> = [
  ['lost.rooms counts may be fractions', 'WelcomeFrame', welcome(optional(object({ count, rooms: optional(record(number)) })))],
  ['lost.rooms checks a "__proto__" key', 'WelcomeFrame', welcome(optional(object({ count, rooms: optional(recordKeepingProto(count)) })))],
  ['lost.count is not checked', 'WelcomeFrame', welcome(optional(object({ count: unknown, rooms: optional(record(count)) })))],
  ['ICE server urls may be a list of anything', 'WelcomeFrame', welcome(optional(object({ count, rooms: optional(record(count)) })), boolean, optional(array(object({ urls: either(string(), array(unknown)), username: optional(string()), credential: optional(string()) }))))],
  ['resumed may be absent', 'WelcomeFrame', welcome(optional(object({ count, rooms: optional(record(count)) })), optional(boolean))],
  ['welcome chunks may be negative', 'WelcomeFrame', welcome(optional(object({ count, rooms: optional(record(count)) })), boolean, iceServers, optional(number))],
  ['pong id may be an unsafe integer', 'PongFrame', object({ type: literal('pong'), id: looseCount })],
  ['pong id may not be 0', 'PongFrame', object({ type: literal('pong'), id: positiveCount, ack: optional(count) })],
  ['pong ack is not checked', 'PongFrame', object({ type: literal('pong'), id: count, ack: unknown })],
  ['hello heartbeat may be a fraction', 'HelloFrame', object({ type: literal('hello'), version: number, token: optional(string()), resume: optional(object({ peer: id, secret: id })), ack: optional(count), scope: optional(id), chunks: optional(count), heartbeat: optional(number) })],
  ['welcome heartbeat is not checked', 'WelcomeFrame', object({ type: literal('welcome'), version: number, peer: id, secret: id, resumed: boolean, lost: optional(object({ count, rooms: optional(record(count)) })), iceServers, scope: optional(id), chunks: optional(count), heartbeat: unknown })],
  ['request id may be 129 characters', 'RequestFrame', object({ type: literal('request'), id: string(1, 129), method: string(1, 256), data: optional(unknown), replay: optional(boolean) })],
  ['request id length counted in UTF-16 units', 'RequestFrame', object({ type: literal('request'), id: (v) => (typeof v === 'string' && v.length >= 1 && v.length <= 128 ? undefined : { path: [], message: 'x' }), method: string(1, 256), data: optional(unknown), replay: optional(boolean) })],
  ['request method may be empty', 'RequestFrame', object({ type: literal('request'), id, method: string(0, 256), data: optional(unknown), replay: optional(boolean) })],
  ['request replay may be null', 'RequestFrame', object({ type: literal('request'), id, method: string(1, 256), data: optional(unknown), replay: nullIsAbsent(boolean) })],
  ['a failed response needs no error', 'ResponseFrame', oneOf('ok', [[true, object({ type: literal('response'), id, ok: literal(true), data: optional(unknown) })], [false, object({ type: literal('response'), id, ok: literal(false) })]])],
  ['hello token may be null', 'HelloFrame', object({ type: literal('hello'), version: number, token: nullIsAbsent(string()), resume: optional(object({ peer: id, secret: id })), ack: optional(count) })],
  ['ack may be negative', 'AckFrame', object({ type: literal('ack'), seq: number })],
  ['chunk parts may be a fraction', 'ChunkFrame', object({ type: literal('chunk'), id: count, part: count, parts: number, text: string() })],
  ['chunk text may be absent', 'ChunkFrame', object({ type: literal('chunk'), id: count, part: count, parts: count, text: optional(string()) })],
  ['hello chunks is not checked', 'HelloFrame', object({ type: literal('hello'), version: number, token: optional(string()), resume: optional(object({ peer: id, secret: id })), ack: optional(count), chunks: unknown })],
  ['peer-left reason may be anything', 'PeerLeftNotice', object({ room: string(), peerId: string(), reason: optional(unknown) })],
  ['join answer peers are not checked', 'JoinAnswer', object({ peers: array(unknown) })],
  ['joined member meta is required', 'PeerJoinedNotice', object({ room: string(), peer: object({ id: string(), meta: unknown, x: member }) })],
  ['the client may not send "ack"', 'ClientFrame', oneOf('type', [['hello', frameGuards.HelloFrame], ['request', frameGuards.RequestFrame], ['response', frameGuards.ResponseFrame], ['notification', frameGuards.NotificationFrame], ['ping', frameGuards.PingFrame], ['pong', frameGuards.PongFrame], ['chunk', frameGuards.ChunkFrame]])],
  ['the client may not send "pong"', 'ClientFrame', oneOf('type', [['hello', frameGuards.HelloFrame], ['request', frameGuards.RequestFrame], ['response', frameGuards.ResponseFrame], ['notification', frameGuards.NotificationFrame], ['ping', frameGuards.PingFrame], ['ack', frameGuards.AckFrame], ['chunk', frameGuards.ChunkFrame]])],
];

describe('the comparison catches a wrong guard', () => {
  it.each(mutants)('%s', (_what, name, mutant) => {
    const values = name === 'ClientFrame' ? mixed(clientFrames) : mixed(valid[name]);
    const { result } = compare(mutant, schemas[name], values, 20_000);
    expect(result.failed, 'the differential test found no value on which this faulty guard disagrees with zod').toBe(true);
  });
});
