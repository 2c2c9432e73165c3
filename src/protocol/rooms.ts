// The room payloads (PROTOCOL.md, "Rooms"), defined once for both sides: the data of the
// `join`/`leave`/`signal`/`broadcast` requests, the answer to `join`, and the data of the room
// notifications. room-guards.ts holds the matching guards, which is what the client loads.
import * as z from 'zod/mini';

/** A member as others see it: its peer id and what it joined with. */
export const RoomMemberData = z.object({ id: z.string(), meta: z.optional(z.unknown()) });

export const JoinRequest = z.object({ room: z.string(), meta: z.optional(z.unknown()) });
export const LeaveRequest = z.object({ room: z.string() });
export const SignalRequest = z.object({ room: z.string(), to: z.string(), data: z.optional(z.unknown()) });
export const BroadcastRequest = z.object({ room: z.string(), data: z.optional(z.unknown()) });

/** The answer to `join`: the room's other members. */
export const JoinAnswer = z.object({ peers: z.array(RoomMemberData) });

export const PeerJoinedNotice = z.object({ room: z.string(), peer: RoomMemberData });
export const PeerLeftNotice = z.object({ room: z.string(), peerId: z.string(), reason: z.optional(z.string()) });
export const SignalNotice = z.object({ room: z.string(), from: z.string(), data: z.optional(z.unknown()) });
export const BroadcastNotice = z.object({ room: z.string(), from: z.string(), data: z.optional(z.unknown()) });

export type RoomMemberData = z.infer<typeof RoomMemberData>;
export type JoinRequest = z.infer<typeof JoinRequest>;
export type LeaveRequest = z.infer<typeof LeaveRequest>;
export type SignalRequest = z.infer<typeof SignalRequest>;
export type BroadcastRequest = z.infer<typeof BroadcastRequest>;
export type JoinAnswer = z.infer<typeof JoinAnswer>;
export type PeerJoinedNotice = z.infer<typeof PeerJoinedNotice>;
export type PeerLeftNotice = z.infer<typeof PeerLeftNotice>;
export type SignalNotice = z.infer<typeof SignalNotice>;
export type BroadcastNotice = z.infer<typeof BroadcastNotice>;
