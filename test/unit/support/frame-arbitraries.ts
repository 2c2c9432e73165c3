// fast-check generators for the differential test of the guards against the zod schemas:
// valid values of every protocol shape, one-step mutations of them, and arbitrary JSON.
// Everything generated is what JSON.parse could produce (plus `undefined` where a mutation puts
// it), including own keys named "__proto__", which is why objects are built with fromEntries.
import fc from 'fast-check';

type Json = unknown;

const ofLength = (n: number, unit = 'x') => unit.repeat(n);

/** Any string, biased to the lengths the schemas draw lines at. */
export const anyString = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', 'a', ofLength(127), ofLength(128), ofLength(129), ofLength(256), ofLength(257), ofLength(64, '😀'), ofLength(65, '😀'), ofLength(129, '\ud800'), `${ofLength(127, '😀')}\ud800`, '__proto__', 'constructor'),
  fc.string({ unit: 'binary', maxLength: 6 }),
);
const idString = fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('x', ofLength(128), ofLength(64, '😀')));
const methodString = fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom(ofLength(256), ofLength(128, '😀')));
const countValue = fc.oneof(fc.nat(), fc.constantFrom(0, -0, 2 ** 53 - 1), fc.maxSafeNat());
const finiteNumber = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(-0, 1e300));

/** Values a mutation puts in: a bit of everything, with the edge cases of every rule. */
export const anyValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 3, arbitrary: fc.constantFrom<Json>(undefined, null, true, false, 0, -0, -1, 1.5, 2 ** 53, 2 ** 53 - 1, 1e300, -1e-300, [], {}, '', 'response', 'welcome', 'ping') },
  { weight: 2, arbitrary: anyString },
  { weight: 1, arbitrary: countValue },
);

/** An object arbitrary: `required` keys always present, `optional` ones sometimes. */
function shape(required: Record<string, fc.Arbitrary<Json>>, optional: Record<string, fc.Arbitrary<Json>> = {}): fc.Arbitrary<Json> {
  const keys = [...Object.keys(required), ...Object.keys(optional)];
  return fc.record({ ...required, ...optional }, { requiredKeys: Object.keys(required) }).map((o) => Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, (o as Record<string, Json>)[k]])));
}

const json = fc.jsonValue({ maxDepth: 2 });
const countRecord = fc.array(fc.tuple(anyString, countValue), { maxLength: 4 }).map((entries) => Object.fromEntries(entries));

const iceServer = shape({ urls: fc.oneof(anyString, fc.array(anyString, { maxLength: 3 })) }, { username: anyString, credential: anyString });

export const valid = {
  HelloFrame: shape({ type: fc.constant('hello'), version: finiteNumber }, { token: anyString, resume: shape({ peer: idString, secret: idString }), ack: countValue, scope: idString, chunks: countValue, heartbeat: countValue }),
  WelcomeFrame: shape(
    { type: fc.constant('welcome'), version: finiteNumber, peer: idString, secret: idString, resumed: fc.boolean() },
    { lost: shape({ count: countValue }, { rooms: countRecord }), iceServers: fc.array(iceServer, { maxLength: 3 }), scope: idString, chunks: countValue, heartbeat: countValue },
  ),
  RequestFrame: shape({ type: fc.constant('request'), id: idString, method: methodString }, { data: json, replay: fc.boolean() }),
  ResponseFrame: fc.oneof(
    shape({ type: fc.constant('response'), id: idString, ok: fc.constant(true) }, { data: json }),
    shape({ type: fc.constant('response'), id: idString, ok: fc.constant(false), error: shape({ code: anyString, message: anyString }) }),
  ),
  NotificationFrame: shape({ type: fc.constant('notification'), method: methodString }, { data: json, seq: countValue }),
  PingFrame: shape({ type: fc.constant('ping'), id: countValue }, { ack: countValue }),
  PongFrame: shape({ type: fc.constant('pong'), id: countValue }, { ack: countValue }),
  AckFrame: shape({ type: fc.constant('ack'), seq: countValue }),
  ChunkFrame: shape({ type: fc.constant('chunk'), id: countValue, part: countValue, parts: countValue, text: anyString }),
  RoomMemberData: shape({ id: anyString }, { meta: json }),
  JoinRequest: shape({ room: anyString }, { meta: json }),
  LeaveRequest: shape({ room: anyString }),
  SignalRequest: shape({ room: anyString, to: anyString }, { data: json }),
  BroadcastRequest: shape({ room: anyString }, { data: json }),
  JoinAnswer: shape({ peers: fc.array(shape({ id: anyString }, { meta: json }), { maxLength: 4 }) }),
  PeerJoinedNotice: shape({ room: anyString, peer: shape({ id: anyString }, { meta: json }) }),
  PeerLeftNotice: shape({ room: anyString, peerId: anyString }, { reason: anyString }),
  SignalNotice: shape({ room: anyString, from: anyString }, { data: json }),
  BroadcastNotice: shape({ room: anyString, from: anyString }, { data: json }),
};
export type ShapeName = keyof typeof valid;

valid satisfies Record<string, fc.Arbitrary<Json>>;
export const serverFrames = fc.oneof(valid.WelcomeFrame, valid.RequestFrame, valid.ResponseFrame, valid.NotificationFrame, valid.PingFrame, valid.PongFrame, valid.ChunkFrame);
export const clientFrames = fc.oneof(valid.HelloFrame, valid.RequestFrame, valid.ResponseFrame, valid.NotificationFrame, valid.PingFrame, valid.PongFrame, valid.AckFrame, valid.ChunkFrame);

/** A copy that keeps own "__proto__" keys as plain keys. */
function clone(value: Json): Json {
  if (Array.isArray(value)) return value.map(clone);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clone(v)]));
  return value;
}

/** Every container in `value` with the keys it holds (array indices as numbers). */
function containers(value: Json, out: Array<Record<string, Json> | Json[]> = []): Array<Record<string, Json> | Json[]> {
  if (value !== null && typeof value === 'object') {
    out.push(value as Record<string, Json>);
    for (const child of Object.values(value)) containers(child, out);
  }
  return out;
}

const define = (target: object, key: string | number, v: Json) => Object.defineProperty(target, key, { value: v, enumerable: true, writable: true, configurable: true });

type Mutation = 'delete' | 'set' | 'add' | 'replace';
const extraKeys = fc.constantFrom('extra', '__proto__', 'type', 'ok', 'id', 'data', 'seq', 'lost', 'rooms', 'iceServers', 'urls', 'scope', 'error', 'peer', 'chunks', 'part', 'parts', 'text', '0');

/** One mutation of a valid value: a key removed, a value replaced, a key added, or the whole value swapped. */
export function mutated(base: fc.Arbitrary<Json>): fc.Arbitrary<Json> {
  return fc
    .tuple(base, fc.nat(), fc.nat(), fc.constantFrom<Mutation>('delete', 'set', 'set', 'add', 'replace'), anyValue, extraKeys)
    .map(([value, which, whichKey, mutation, replacement, extraKey]) => {
      if (mutation === 'replace') return replacement;
      const copy = clone(value);
      const all = containers(copy);
      if (all.length === 0) return replacement;
      const target = all[which % all.length]!;
      const keys = Object.keys(target);
      if (mutation === 'add' || keys.length === 0) {
        define(target, Array.isArray(target) ? target.length : extraKey, replacement);
        return copy;
      }
      const key = keys[whichKey % keys.length]!;
      if (mutation === 'delete') {
        if (Array.isArray(target)) target.splice(Number(key), 1);
        else delete target[key];
      } else define(target, key, replacement);
      return copy;
    });
}

/** Valid, mutated and arbitrary values for one shape, mostly mutated (where the edges are). */
export function mixed(base: fc.Arbitrary<Json>): fc.Arbitrary<Json> {
  return fc.oneof({ weight: 2, arbitrary: base }, { weight: 5, arbitrary: mutated(base) }, { weight: 1, arbitrary: mutated(mutated(base)) }, { weight: 1, arbitrary: anyValue });
}
