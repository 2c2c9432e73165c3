import { encodeFrame, utf8Length } from '../protocol/codec.js';
import { LostLog, type LostReport } from './lost.js';

/**
 * Who caused a notification and how much it matters, for fair eviction. `sender` is the
 * peer whose action produced it (a signal's or broadcast's `from`, the peer that joined or
 * left), or '' for the server's own `notify()`. `bulk` marks room broadcasts: they are
 * evicted before anything else. `room` is reported in `welcome.lost` if it is dropped.
 */
export interface NotificationOrigin {
  sender: string;
  bulk: boolean;
  room: string | undefined;
}

/**
 * A notification encoded up to its `seq`: `{"type":"notification","method":…,"data":…`
 * without the closing brace. Encoded once and shared by every outbox it goes to (a room
 * broadcast), each of which appends its own `,"seq":N}`.
 */
export interface EncodedNotification extends NotificationOrigin {
  head: string;
  /** UTF-8 bytes of `head`. */
  bytes: number;
}

const FROM_SERVER: NotificationOrigin = { sender: '', bulk: false, room: undefined };

/**
 * Encode a notification for `Outbox.push`. Throws a `BAD_MESSAGE` SignalError when `data`
 * cannot be JSON. The frames built from it are byte-identical to
 * `JSON.stringify({ type: 'notification', method, data, seq })`: `data` is stringified in
 * the same place, with the same key (for `toJSON`), and omitted when undefined.
 */
export function encodeNotification(method: string, data: unknown, origin: NotificationOrigin = FROM_SERVER): EncodedNotification {
  const whole = encodeFrame({ type: 'notification', method, data });
  const head = whole.slice(0, -1); // drop the closing '}' of our own object literal
  return { head, bytes: utf8Length(head), sender: origin.sender, bulk: origin.bulk, room: origin.room };
}

/** Why notifications were dropped. */
export type Overflow = 'count' | 'bytes';

/** One sender's notifications of one class (bulk or not) in this outbox, oldest first. */
class Lane {
  queue: Sent[] = [];
  head = 0;
  count = 0;
  bytes = 0;
  constructor(
    readonly key: string,
    readonly bulk: boolean,
  ) {}
}

/** The lane's oldest live entry; acknowledged ones at its front are skipped for good. */
function oldest(lane: Lane): Sent {
  while (!lane.queue[lane.head]!.live) lane.head++;
  return lane.queue[lane.head]!;
}

class Sent {
  /** False once acknowledged or dropped; its head is released then. */
  live = true;
  constructor(
    readonly seq: number,
    /**
     * The shared encoded head, not the frame: a frame built once and written to a socket
     * gets flattened into its own copy, so keeping frames would hold one copy of a room
     * notification per member instead of one for the room.
     */
    public head: string,
    readonly bytes: number,
    readonly lane: Lane,
    readonly room: string | undefined,
  ) {}
}

/**
 * Server-to-client notifications of one session, numbered from 1 and kept, encoded,
 * until the client acknowledges them, so they can be resent in order after a resume.
 * Bounded in count and in bytes. On overflow (the policy, README "Security model"):
 * 1. broadcasts go before anything else;
 * 2. within a class, the oldest notification of the sender holding the most of the outbox
 *    (by count or by bytes, whichever limit overflowed; on a tie, the one holding the oldest)
 *    goes, so one sender's flood evicts its own notifications, not the others' signals;
 * 3. the newest non-broadcast is always kept, so one notification larger than the limit
 *    is still resent once.
 * An acknowledged or dropped notification's text is released at once. Dropped seqs are
 * remembered (LostLog) for the next resume's `welcome.lost`.
 */
export class Outbox {
  private seq = 0;
  /** Notifications from `head` on, oldest first; acknowledged or dropped ones are holes. */
  private sent: Sent[] = [];
  private head = 0;
  private liveCount = 0;
  private bytes = 0;
  private bulkCount = 0;
  private readonly lanes = new Map<string, Lane>();
  private readonly lost = new LostLog();

  constructor(
    private readonly maxCount: number,
    private readonly maxBytes: number,
  ) {}

  /**
   * Number a notification and keep it. `dropped` counts the notifications forgotten to stay
   * within the limits (possibly this one, if it is a broadcast), and `overflow` names the
   * limit that made it drop them.
   */
  push(note: EncodedNotification): { seq: number; text: string; dropped: number; overflow: Overflow | undefined } {
    const seq = ++this.seq;
    const suffix = `,"seq":${seq}}`; // ASCII: its length is its byte count
    const text = note.head + suffix;
    const bytes = note.bytes + suffix.length;
    const key = note.bulk ? `b${note.sender}` : `s${note.sender}`;
    let lane = this.lanes.get(key);
    if (lane === undefined) this.lanes.set(key, (lane = new Lane(key, note.bulk)));
    const entry = new Sent(seq, note.head, bytes, lane, note.room);
    this.sent.push(entry);
    lane.queue.push(entry);
    lane.count++;
    lane.bytes += bytes;
    this.liveCount++;
    this.bytes += bytes;
    if (note.bulk) this.bulkCount++;
    let dropped = 0;
    let overflow: Overflow | undefined;
    while (this.liveCount > 1) {
      if (this.liveCount > this.maxCount) overflow = 'count';
      else if (this.bytes > this.maxBytes) overflow = 'bytes';
      else break;
      const victim = this.victim(overflow === 'count', entry);
      if (victim === undefined) break;
      this.release(victim);
      this.lost.add(victim.seq, victim.room);
      dropped++;
    }
    if (dropped > 0) this.compact();
    return { seq, text, dropped, overflow: dropped > 0 ? overflow : undefined };
  }

  /** Forget every notification up to and including `seq`. */
  ack(seq: number): void {
    const { sent } = this;
    const start = this.head;
    while (this.head < sent.length && sent[this.head]!.seq <= seq) {
      const entry = sent[this.head++]!;
      if (entry.live) this.release(entry);
    }
    this.lost.ack(seq);
    if (this.head > start) this.compact();
  }

  /** Encoded frames not yet acknowledged, oldest first. */
  pending(): string[] {
    const texts: string[] = [];
    for (let i = this.head; i < this.sent.length; i++) {
      const entry = this.sent[i]!;
      if (entry.live) texts.push(`${entry.head},"seq":${entry.seq}}`);
    }
    return texts;
  }

  /** Unacknowledged notifications numbered after `afterSeq`, oldest first, with their seq. */
  frames(afterSeq: number): Array<{ seq: number; text: string }> {
    const frames: Array<{ seq: number; text: string }> = [];
    for (let i = this.head; i < this.sent.length; i++) {
      const entry = this.sent[i]!;
      if (entry.live && entry.seq > afterSeq) frames.push({ seq: entry.seq, text: `${entry.head},"seq":${entry.seq}}` });
    }
    return frames;
  }

  /** Dropped notifications not covered by the client's ack, for `welcome.lost`; reported once. */
  takeLost(): LostReport | undefined {
    return this.lost.take();
  }

  /** UTF-8 bytes of the frames not yet acknowledged. */
  get pendingBytes(): number {
    return this.bytes;
  }

  /** Frames not yet acknowledged. */
  get pendingCount(): number {
    return this.liveCount;
  }

  /** Which notification to drop: see the class comment. `newest` is never dropped unless it is a broadcast. */
  private victim(byCount: boolean, newest: Sent): Sent | undefined {
    const bulk = this.bulkCount > 0;
    let worst: Lane | undefined;
    for (const lane of this.lanes.values()) {
      if (lane.bulk !== bulk) continue;
      if (!bulk && lane.count === 1 && lane.queue[lane.head] === newest) continue;
      if (worst === undefined) {
        worst = lane;
        continue;
      }
      const more = byCount ? lane.count - worst.count : lane.bytes - worst.bytes;
      // On a tie, the lane holding the oldest notification: eviction stays oldest-first.
      if (more > 0 || (more === 0 && oldest(lane).seq < oldest(worst).seq)) worst = lane;
    }
    if (worst === undefined) return undefined;
    const victim = oldest(worst);
    return !bulk && victim === newest ? undefined : victim;
  }

  private release(entry: Sent): void {
    entry.live = false;
    entry.head = '';
    const { lane } = entry;
    lane.count--;
    lane.bytes -= entry.bytes;
    this.liveCount--;
    this.bytes -= entry.bytes;
    if (lane.bulk) this.bulkCount--;
    if (lane.count === 0) {
      this.lanes.delete(lane.key);
    } else if (lane.queue[lane.head] === entry) {
      lane.head++;
      if (lane.head > 64 && lane.head * 2 > lane.queue.length) {
        lane.queue = lane.queue.slice(lane.head);
        lane.head = 0;
      }
    }
  }

  /** Drop the consumed front, and the holes once they outnumber the live entries. */
  private compact(): void {
    const { sent, head } = this;
    if (this.liveCount === 0) {
      this.sent = [];
      this.head = 0;
    } else if (sent.length - head > 2 * this.liveCount + 64) {
      this.sent = sent.slice(head).filter((entry) => entry.live);
      this.head = 0;
    } else if (head > 1024 && head * 2 > sent.length) {
      this.sent = sent.slice(head);
      this.head = 0;
    }
  }
}
