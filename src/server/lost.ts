/** What a resume's `welcome` says about dropped notifications (PROTOCOL.md, "Notifications"). */
export interface LostReport {
  count: number;
  rooms?: Record<string, number>;
}

/** Dropped notifications remembered one by one; older ones are folded into a summary. */
const MAX_RECORDS = 256;
/** Rooms named in the folded summary; drops in further rooms are counted without a room. */
const MAX_FOLDED_ROOMS = 64;

/**
 * The notifications an outbox dropped, as (seq, room) pairs: a few bytes each, never the
 * notification. An ack forgets those up to it (the client had them live). Past
 * MAX_RECORDS the oldest are folded into a count per room, so this stays under ~30 kB
 * however many are dropped; a folded drop is reported even if the client's ack later
 * passes it, so a report may overcount, never undercount.
 */
export class LostLog {
  private seqs: number[] = [];
  private rooms: Array<string | undefined> = [];
  private head = 0;
  private folded = 0;
  private foldedRooms = new Map<string, number>();
  /** A folded drop's room could not be named (over MAX_FOLDED_ROOMS): the report then names none. */
  private unnamed = false;

  add(seq: number, room: string | undefined): void {
    this.seqs.push(seq);
    this.rooms.push(room);
    if (this.seqs.length - this.head > MAX_RECORDS) {
      const oldRoom = this.rooms[this.head];
      this.rooms[this.head] = undefined;
      this.head++;
      this.folded++;
      if (oldRoom !== undefined && (this.foldedRooms.has(oldRoom) || this.foldedRooms.size < MAX_FOLDED_ROOMS)) {
        this.foldedRooms.set(oldRoom, (this.foldedRooms.get(oldRoom) ?? 0) + 1);
      } else if (oldRoom !== undefined) {
        this.unnamed = true;
      }
      this.compact();
    }
  }

  /** The client has everything up to `seq`: drops at or below it were delivered live. */
  ack(seq: number): void {
    while (this.head < this.seqs.length && this.seqs[this.head]! <= seq) this.rooms[this.head++] = undefined;
    this.compact();
  }

  /** What to report in `welcome`, then forget it: each drop is reported once. */
  take(): LostReport | undefined {
    const count = this.folded + this.seqs.length - this.head;
    if (count === 0) return undefined;
    // `rooms` is exact, an empty one included (none were room notifications); without it a
    // client must assume any room may have lost some.
    const rooms: Record<string, number> = Object.create(null) as Record<string, number>;
    for (const [room, n] of this.foldedRooms) rooms[room] = n;
    for (let i = this.head; i < this.rooms.length; i++) {
      const room = this.rooms[i];
      if (room !== undefined) rooms[room] = (rooms[room] ?? 0) + 1;
    }
    const named = !this.unnamed;
    this.seqs = [];
    this.rooms = [];
    this.head = this.folded = 0;
    this.foldedRooms.clear();
    this.unnamed = false;
    return named ? { count, rooms } : { count };
  }

  private compact(): void {
    if (this.head === this.seqs.length) {
      this.seqs = [];
      this.rooms = [];
      this.head = 0;
    } else if (this.head > MAX_RECORDS) {
      this.seqs = this.seqs.slice(this.head);
      this.rooms = this.rooms.slice(this.head);
      this.head = 0;
    }
  }
}
