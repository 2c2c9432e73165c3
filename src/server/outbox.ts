import { encodeFrame } from '../protocol/codec.js';

interface Sent {
  seq: number;
  text: string;
}

/**
 * Server-to-client notifications of one session, numbered from 1 and kept, encoded,
 * until the client acknowledges them, so they can be resent in order after a resume.
 */
export class Outbox {
  private seq = 0;
  private unacked: Sent[] = [];

  constructor(private readonly limit: number) {}

  /**
   * Number and encode a notification. Throws a `BAD_MESSAGE` SignalError (and uses no
   * seq) when `data` cannot be JSON. `dropped` counts the oldest notifications forgotten
   * to stay within the limit.
   */
  push(method: string, data: unknown): { text: string; dropped: number } {
    const seq = this.seq + 1;
    const text = encodeFrame({ type: 'notification', method, data, seq });
    this.seq = seq;
    this.unacked.push({ seq, text });
    let dropped = 0;
    while (this.unacked.length > this.limit) {
      this.unacked.shift();
      dropped++;
    }
    return { text, dropped };
  }

  /** Forget every notification up to and including `seq`. */
  ack(seq: number): void {
    const unacked = this.unacked;
    let n = 0;
    while (n < unacked.length && unacked[n]!.seq <= seq) n++;
    if (n > 0) this.unacked = unacked.slice(n);
  }

  /** Encoded frames not yet acknowledged, oldest first. */
  pending(): readonly string[] {
    return this.unacked.map((sent) => sent.text);
  }
}
