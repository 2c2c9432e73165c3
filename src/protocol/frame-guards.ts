// Guards for every frame, one per schema in frames.ts (same names, same rules). Only types come
// from frames.ts, so a client that uses these never loads zod.
import { array, boolean, count, either, literal, number, object, oneOf, optional, record, string, unknown, type Guard } from './check.js';
import type * as F from './frames.js';

const id = string(1, 128);
const method = string(1, 256);
const error = object({ code: string(), message: string() });

const hello = object({ type: literal('hello'), version: number, token: optional(string()), resume: optional(object({ peer: id, secret: id })), ack: optional(count), scope: optional(id), chunks: optional(count), heartbeat: optional(count) });
const welcome = object({
  type: literal('welcome'),
  version: number,
  peer: id,
  secret: id,
  resumed: boolean,
  lost: optional(object({ count, rooms: optional(record(count)) })),
  iceServers: optional(array(object({ urls: either(string(), array(string())), username: optional(string()), credential: optional(string()) }))),
  scope: optional(id),
  chunks: optional(count),
  heartbeat: optional(count),
});
const request = object({ type: literal('request'), id, method, data: optional(unknown), replay: optional(boolean) });
const response = oneOf('ok', [
  [true, object({ type: literal('response'), id, ok: literal(true), data: optional(unknown) })],
  [false, object({ type: literal('response'), id, ok: literal(false), error })],
]);
const notification = object({ type: literal('notification'), method, data: optional(unknown), seq: optional(count) });
const ping = object({ type: literal('ping'), id: count, ack: optional(count) });
const pong = object({ type: literal('pong'), id: count, ack: optional(count) });
const ack = object({ type: literal('ack'), seq: count });
const chunk = object({ type: literal('chunk'), id: count, part: count, parts: count, text: string() });

export const HelloFrame: Guard<F.HelloFrame> = hello;
export const WelcomeFrame: Guard<F.WelcomeFrame> = welcome;
export const RequestFrame: Guard<F.RequestFrame> = request;
export const ResponseFrame: Guard<F.ResponseFrame> = response;
export const NotificationFrame: Guard<F.NotificationFrame> = notification;
export const PingFrame: Guard<F.PingFrame> = ping;
export const PongFrame: Guard<F.PongFrame> = pong;
export const AckFrame: Guard<F.AckFrame> = ack;
export const ChunkFrame: Guard<F.ChunkFrame> = chunk;

/** Every frame a server may send to a client. */
export const ServerFrame: Guard<F.ServerFrame> = oneOf('type', [
  ['welcome', welcome],
  ['request', request],
  ['response', response],
  ['notification', notification],
  ['ping', ping],
  ['pong', pong],
  ['chunk', chunk],
]);

/** Every frame a client may send to a server. */
export const ClientFrame: Guard<F.ClientFrame> = oneOf('type', [
  ['hello', hello],
  ['request', request],
  ['response', response],
  ['notification', notification],
  ['ping', ping],
  ['pong', pong],
  ['ack', ack],
  ['chunk', chunk],
]);
