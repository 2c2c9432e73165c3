import { encodeFrame, utf8Length } from '../protocol/codec.js';

/**
 * A notification encoded up to its `seq`: `{"type":"notification","method":…,"data":…`
 * without the closing brace. Encoded once and shared by every outbox it goes to (a room
 * broadcast), each of which appends its own `,"seq":N}`.
 */
export interface EncodedNotification {
  head: string;
  /** UTF-8 bytes of `head`. */
  bytes: number;
}

/**
 * Encode a notification for `Outbox.push`. Throws a `BAD_MESSAGE` SignalError when `data`
 * cannot be JSON. The frames built from it are byte-identical to
 * `JSON.stringify({ type: 'notification', method, data, seq })`: `data` is stringified in
 * the same place, with the same key (for `toJSON`), and omitted when undefined.
 */
export function encodeNotification(method: string, data: unknown): EncodedNotification {
  const whole = encodeFrame({ type: 'notification', method, data });
  const head = whole.slice(0, -1); // drop the closing '}' of our own object literal
  return { head, bytes: utf8Length(head) };
}

/** Why the oldest notifications were dropped. */
export type Overflow = 'count' | 'bytes';

interface Sent {
  seq: number;
  text: string;
  bytes: number;
}

/**
 * Server-to-client notifications of one session, numbered from 1 and kept, encoded,
 * until the client acknowledges them, so they can be resent in order after a resume.
 * Bounded both in count and in bytes; the oldest go first.
 */
export class Outbox {
  private seq = 0;
  /** Unacknowledged notifications from `head` on, oldest first. */
  private sent: Sent[] = [];
  private head = 0;
  private bytes = 0;

  constructor(
    private readonly maxCount: number,
    private readonly maxBytes: number,
  ) {}

  /**
   * Number a notification and keep it. `dropped` counts the oldest notifications forgotten
   * to stay within the limits, and `overflow` names the limit that made it drop them. The
   * newest is always kept, so one notification larger than `maxBytes` is still resent once.
   */
  push(note: EncodedNotification): { text: string; dropped: number; overflow: Overflow | undefined } {
    const seq = ++this.seq;
    const suffix = `,"seq":${seq}}`; // ASCII: its length is its byte count
    const text = note.head + suffix;
    const bytes = note.bytes + suffix.length;
    const { sent } = this;
    sent.push({ seq, text, bytes });
    this.bytes += bytes;
    let dropped = 0;
    let overflow: Overflow | undefined;
    while (this.head < sent.length - 1) {
      if (sent.length - this.head > this.maxCount) overflow = 'count';
      else if (this.bytes > this.maxBytes) overflow = 'bytes';
      else break;
      this.bytes -= sent[this.head++]!.bytes;
      dropped++;
    }
    if (dropped > 0) this.compact();
    return { text, dropped, overflow };
  }

  /** Forget every notification up to and including `seq`. */
  ack(seq: number): void {
    const { sent } = this;
    const start = this.head;
    while (this.head < sent.length && sent[this.head]!.seq <= seq) this.bytes -= sent[this.head++]!.bytes;
    if (this.head > start) this.compact();
  }

  /** Encoded frames not yet acknowledged, oldest first. */
  pending(): string[] {
    const texts: string[] = [];
    for (let i = this.head; i < this.sent.length; i++) texts.push(this.sent[i]!.text);
    return texts;
  }

  /** UTF-8 bytes of the frames not yet acknowledged. */
  get pendingBytes(): number {
    return this.bytes;
  }

  /** Release the consumed front once it is most of the array, so no ack or drop copies per call. */
  private compact(): void {
    const { sent, head } = this;
    if (head === sent.length) {
      this.sent = [];
      this.head = 0;
    } else if (head > 1024 && head * 2 > sent.length) {
      this.sent = sent.slice(head);
      this.head = 0;
    }
  }
}
