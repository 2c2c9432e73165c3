// The protocol's one definition. The client and the server's hot path validate with the
// guards in frame-guards.ts, proven to accept exactly what these schemas accept.
import * as z from 'zod/mini';

export { PROTOCOL_VERSION } from './version.js';

const id = z.string().check(z.minLength(1), z.maxLength(128));
const method = z.string().check(z.minLength(1), z.maxLength(256));
const seq = z.number().check(z.int(), z.nonnegative());

export const HelloFrame = z.object({
  type: z.literal('hello'),
  version: z.number(),
  token: z.optional(z.string()),
  /** Present when the client asks to resume the session it had on this server. */
  resume: z.optional(z.object({ peer: id, secret: id })),
  /** Highest notification `seq` the client has received; the server may forget everything up to it. */
  ack: z.optional(seq),
  /** The `scope` of the welcome that gave the session being resumed (a cluster's servers resume only their own). */
  scope: z.optional(id),
  /** The client reassembles chunked messages up to this many bytes (see `ChunkFrame`); absent: it does not. */
  chunks: z.optional(seq),
  /**
   * The client's heartbeat interval (ms). Present: the server may keep the link alive itself
   * with beats (a `pong` answering no ping) and `ping`s, which the client answers with `pong`
   * (see `welcome.heartbeat`). Absent: the server sends neither.
   */
  heartbeat: z.optional(seq),
});

/** One entry of RTCConfiguration.iceServers, as a server hands it out (see `iceServers` in `welcome`). */
export const IceServer = z.object({
  urls: z.union([z.string(), z.array(z.string())]),
  username: z.optional(z.string()),
  credential: z.optional(z.string()),
});

export const WelcomeFrame = z.object({
  type: z.literal('welcome'),
  version: z.number(),
  peer: id,
  secret: id,
  resumed: z.boolean(),
  /**
   * Notifications after the client's `ack` that the server dropped before they could be
   * delivered (its buffer overflowed while the client was away). `rooms` counts the room
   * notifications among them by room name. Absent when nothing was lost.
   */
  lost: z.optional(z.object({ count: seq, rooms: z.optional(z.record(z.string(), seq)) })),
  /** ICE servers for this peer's RTCPeerConnections (e.g. TURN credentials made for it). Absent when the server has none. */
  iceServers: z.optional(z.array(IceServer)),
  /**
   * Names the cluster (servers sharing one store) that numbers this session's notifications:
   * the client keeps one seq per scope instead of one per url. Absent: one server, per url.
   */
  scope: z.optional(id),
  /** The server reassembles chunked messages up to this many bytes (see `ChunkFrame`); absent: it does not. */
  chunks: z.optional(seq),
  /**
   * Answers `hello.heartbeat`: the server sends this client a beat or a `ping` once it has sent
   * it nothing for about this many ms, so the client need not ping while idle. Absent: it does not.
   */
  heartbeat: z.optional(seq),
});

export const RequestFrame = z.object({
  type: z.literal('request'),
  id,
  method,
  data: z.optional(z.unknown()),
  /** Set on a request sent again after a reconnect; the receiver must not run it twice. */
  replay: z.optional(z.boolean()),
});

export const ErrorBody = z.object({ code: z.string(), message: z.string() });

export const ResponseFrame = z.discriminatedUnion('ok', [
  z.object({ type: z.literal('response'), id, ok: z.literal(true), data: z.optional(z.unknown()) }),
  z.object({ type: z.literal('response'), id, ok: z.literal(false), error: ErrorBody }),
]);

export const NotificationFrame = z.object({
  type: z.literal('notification'),
  method,
  data: z.optional(z.unknown()),
  /** Server-to-client only: a per-session sequence number used for acks and resume. */
  seq: z.optional(seq),
});

/** Client-to-server: the highest notification `seq` received, sent between pings so the server can free its resend buffer. */
export const AckFrame = z.object({ type: z.literal('ack'), seq });

/**
 * A slice of a message too large for one frame. `id` tells the messages in reassembly on a
 * socket apart; chunks `0` to `parts - 1` of a message come in order, and their `text`s
 * joined are the message's frame.
 */
export const ChunkFrame = z.object({ type: z.literal('chunk'), id: seq, part: seq, parts: seq, text: z.string() });

/**
 * Either side may ping; the other answers with a `pong` of the same `id`. A server pings only
 * clients that sent `hello.heartbeat`, and may send them a `pong` that answers no ping as a
 * beat (no answer). `ack` (client-to-server only, on its pings and pongs) is the highest
 * notification `seq` the client has received.
 */
export const PingFrame = z.object({ type: z.literal('ping'), id: seq, ack: z.optional(seq) });
export const PongFrame = z.object({ type: z.literal('pong'), id: seq, ack: z.optional(seq) });

// Dispatched on `type` rather than tried one by one: a plain union builds and discards an
// error per non-matching option, which made validating a ping about 15x slower.
/** Every frame a server may send to a client. */
export const ServerFrame = z.discriminatedUnion('type', [WelcomeFrame, RequestFrame, ResponseFrame, NotificationFrame, PingFrame, PongFrame, ChunkFrame]);
/** Every frame a client may send to a server. */
export const ClientFrame = z.discriminatedUnion('type', [HelloFrame, RequestFrame, ResponseFrame, NotificationFrame, PingFrame, PongFrame, AckFrame, ChunkFrame]);

export type HelloFrame = z.infer<typeof HelloFrame>;
export type WelcomeFrame = z.infer<typeof WelcomeFrame>;
export type IceServer = z.infer<typeof IceServer>;
export type RequestFrame = z.infer<typeof RequestFrame>;
export type ResponseFrame = z.infer<typeof ResponseFrame>;
export type NotificationFrame = z.infer<typeof NotificationFrame>;
export type PingFrame = z.infer<typeof PingFrame>;
export type AckFrame = z.infer<typeof AckFrame>;
export type ChunkFrame = z.infer<typeof ChunkFrame>;
export type PongFrame = z.infer<typeof PongFrame>;
export type ServerFrame = z.infer<typeof ServerFrame>;
export type ClientFrame = z.infer<typeof ClientFrame>;
