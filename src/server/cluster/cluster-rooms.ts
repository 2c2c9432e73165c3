import { BroadcastRequest, JoinRequest, LeaveRequest, SignalRequest } from '../../protocol/room-guards.js';
import type { RequestFrame } from '../../protocol/frames.js';
import { askAuthorize } from '../authorize.js';
import { encodeNotification } from '../outbox.js';
import { errorFrame, failureFrame, successFrame } from '../responses.js';
import { badRequest, checkMeta, checkRoomName, parse, refusalMessage, RoomError, type NormalizedRoomsOptions } from '../room-directory.js';
import type { Delivery, RoomRequest, StoreConnection } from '../store/store.js';

export interface RoomAnswer {
  /** The response frame; undefined when another node runs the request and will answer. */
  answer: string | undefined;
  deliveries: Delivery[];
}

/**
 * The built-in room requests on a cluster: validated here like on a lone server, then run
 * by the store in one atomic step that also records the answer, so each request id changes
 * a room once whichever node it reaches. Refusals change nothing and are not remembered:
 * a replay is checked again.
 */
export class ClusterRooms {
  constructor(
    private readonly options: NormalizedRoomsOptions,
    private readonly store: () => StoreConnection,
  ) {}

  async serve(peerId: string, auth: unknown, frame: RequestFrame, now: number): Promise<RoomAnswer> {
    const { id } = frame;
    try {
      const lease: { fence?: number } = {};
      const request = await this.request(peerId, auth, frame, now, lease);
      if (request === undefined) return { answer: undefined, deliveries: [] };
      if (typeof request === 'string') return { answer: request, deliveries: [] };
      const result = await this.store().room(request);
      if ('refused' in result) {
        const to = request.op === 'signal' ? request.to : undefined;
        const answer = errorFrame(id, result.refused, refusalMessage(result.refused, request.op, peerId, request.room, to, this.options));
        // A join that asked `authorize` holds a claim: settle it, so a replay is not held up by it.
        if (lease.fence !== undefined) await this.store().finish(peerId, id, lease.fence, answer, now);
        return { answer, deliveries: [] };
      }
      return result;
    } catch (error) {
      if (error instanceof RoomError) return { answer: failureFrame(id, error), deliveries: [] };
      throw error;
    }
  }

  /** The store request for `frame`; a string is an answer already (a replayed join), undefined one to come. */
  private async request(peerId: string, auth: unknown, frame: RequestFrame, now: number, lease: { fence?: number }): Promise<RoomRequest | string | undefined> {
    const { id: requestId, data } = frame;
    const { namePattern, maxMetaBytes, authorize } = this.options;
    switch (frame.method) {
      case 'join': {
        const { room, meta: given } = parse(JoinRequest, data, 'join', '{ room: string, meta?: any }');
        checkRoomName(namePattern, room);
        const meta = checkMeta(given, maxMetaBytes);
        if (authorize !== undefined) {
          // Ask once per request id: claim it first, so a replay elsewhere does not ask again.
          const claim = await this.store().claim(peerId, requestId, now);
          if (claim.kind === 'answer') return claim.text;
          if (claim.kind === 'wait') return undefined;
          lease.fence = claim.fence;
          const refusal = await askAuthorize(authorize, { peerId, auth, room, meta });
          if (refusal !== undefined) {
            const text = errorFrame(requestId, refusal.code, refusal.message);
            await this.store().finish(peerId, requestId, claim.fence, text, now);
            return text;
          }
        }
        const empty = successFrame(requestId, { peers: [] });
        const at = empty.lastIndexOf('[]') + 1;
        const note = encodeNotification('peer-joined', { room, peer: { id: peerId, meta } }, { sender: peerId, bulk: false, room });
        return { op: 'join', peerId, requestId, room, now, member: JSON.stringify({ id: peerId, meta }), note, answer: [empty.slice(0, at), empty.slice(at)] };
      }
      case 'leave': {
        const { room } = parse(LeaveRequest, data, 'leave', '{ room: string }');
        checkRoomName(namePattern, room);
        const note = encodeNotification('peer-left', { room, peerId, reason: 'leave' }, { sender: peerId, bulk: false, room });
        return { op: 'leave', peerId, requestId, room, now, note, answer: successFrame(requestId, undefined) };
      }
      case 'signal': {
        const { room, to, data: payload } = parse(SignalRequest, data, 'signal', '{ room: string, to: string, data: any }');
        checkRoomName(namePattern, room);
        if (to === peerId) throw badRequest('"signal" to yourself; `to` must be another member of the room');
        const note = encodeNotification('signal', { room, from: peerId, data: payload }, { sender: peerId, bulk: false, room });
        return { op: 'signal', peerId, requestId, room, to, now, note, answer: successFrame(requestId, undefined) };
      }
      default: {
        const { room, data: payload } = parse(BroadcastRequest, data, 'broadcast', '{ room: string, data: any }');
        checkRoomName(namePattern, room);
        const note = encodeNotification('broadcast', { room, from: peerId, data: payload }, { sender: peerId, bulk: true, room });
        return { op: 'broadcast', peerId, requestId, room, now, note, answer: successFrame(requestId, undefined) };
      }
    }
  }
}
