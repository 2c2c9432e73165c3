// Guards for the room payloads, one per schema in rooms.ts (same names, same rules).
import { array, object, optional, string, unknown, type Guard } from './check.js';
import type * as R from './rooms.js';

const member = object({ id: string(), meta: optional(unknown) });
const roomData = object({ room: string(), from: string(), data: optional(unknown) });

export const RoomMemberData: Guard<R.RoomMemberData> = member;
export const JoinRequest: Guard<R.JoinRequest> = object({ room: string(), meta: optional(unknown) });
export const LeaveRequest: Guard<R.LeaveRequest> = object({ room: string() });
export const SignalRequest: Guard<R.SignalRequest> = object({ room: string(), to: string(), data: optional(unknown) });
export const BroadcastRequest: Guard<R.BroadcastRequest> = object({ room: string(), data: optional(unknown) });
export const JoinAnswer: Guard<R.JoinAnswer> = object({ peers: array(member) });
export const PeerJoinedNotice: Guard<R.PeerJoinedNotice> = object({ room: string(), peer: member });
export const PeerLeftNotice: Guard<R.PeerLeftNotice> = object({ room: string(), peerId: string(), reason: optional(string()) });
export const SignalNotice: Guard<R.SignalNotice> = roomData;
export const BroadcastNotice: Guard<R.BroadcastNotice> = roomData;
