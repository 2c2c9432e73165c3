import type { Delivery, RoomRequest, RoomResult, StoreLimits, StoredNote } from './store.js';

type Push = (caller: string, peerIds: Iterable<string>, note: StoredNote) => Delivery[];

/** The memory store's rooms: members in join order, each with its encoded `{ id, meta }`. */
export class MemoryRooms {
  private readonly rooms = new Map<string, Map<string, string>>();
  private readonly memberships = new Map<string, Set<string>>();

  constructor(
    private readonly limits: Pick<StoreLimits, 'maxPeers' | 'maxRooms'>,
    private readonly push: Push,
  ) {}

  run(caller: string, request: RoomRequest): RoomResult {
    const { peerId, room } = request;
    const members = this.rooms.get(room);
    switch (request.op) {
      case 'join': {
        const others = [...(members ?? new Map<string, string>())].filter(([id]) => id !== peerId).map(([, member]) => member);
        const answer = request.answer[0] + others.join(',') + request.answer[1];
        if (members?.has(peerId) === true) return { answer, deliveries: [] };
        const mine = this.memberships.get(peerId) ?? new Set<string>();
        if (mine.size >= this.limits.maxRooms) return { refused: 'too-many-rooms' };
        if ((members?.size ?? 0) >= this.limits.maxPeers) return { refused: 'room-full' };
        const deliveries = this.push(caller, members?.keys() ?? [], request.note);
        this.rooms.set(room, (members ?? new Map<string, string>()).set(peerId, request.member));
        this.memberships.set(peerId, mine.add(room));
        return { answer, deliveries };
      }
      case 'leave': {
        if (members === undefined || !members.has(peerId)) return { answer: request.answer, deliveries: [] };
        this.remove(peerId, room, members);
        return { answer: request.answer, deliveries: this.push(caller, members.keys(), request.note) };
      }
      case 'signal': {
        if (members === undefined || !members.has(peerId)) return { refused: 'not-joined' };
        if (!members.has(request.to)) return { refused: 'not-in-room' };
        return { answer: request.answer, deliveries: this.push(caller, [request.to], request.note) };
      }
      case 'broadcast': {
        if (members === undefined || !members.has(peerId)) return { refused: 'not-joined' };
        const others = [...members.keys()].filter((id) => id !== peerId);
        return { answer: request.answer, deliveries: this.push(caller, others, request.note) };
      }
    }
  }

  /** The peer leaves every room it is in: each room's name and the members left in it. */
  leaveAll(peerId: string): Array<{ name: string; others: string[] }> {
    const left: Array<{ name: string; others: string[] }> = [];
    for (const name of this.memberships.get(peerId) ?? []) {
      const members = this.rooms.get(name)!;
      this.remove(peerId, name, members);
      left.push({ name, others: [...members.keys()] });
    }
    return left;
  }

  private remove(peerId: string, name: string, members: Map<string, string>): void {
    members.delete(peerId);
    if (members.size === 0) this.rooms.delete(name);
    const mine = this.memberships.get(peerId);
    mine?.delete(name);
    if (mine?.size === 0) this.memberships.delete(peerId);
  }
}
