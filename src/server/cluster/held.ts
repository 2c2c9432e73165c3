import type { Link, LinkSession } from '../link.js';
import type { Frame, StoreConnection } from '../store/store.js';

/**
 * A stored session attached to one of this node's sockets: what the node needs to write
 * the session's notifications to that socket once each and in seq order, whichever node
 * pushed them. Pub/sub hints may arrive late, twice or not at all; a gap is filled from the
 * stored notifications, which are the truth.
 */
export class HeldSession implements LinkSession {
  /** Highest seq written to the socket. */
  private sent: number;
  /** A gap read is under way; `again` asks for one more after it. */
  private filling = false;
  private again = false;

  constructor(
    readonly id: string,
    readonly secret: string,
    /** The store's attach fence: a hint naming an older one is about a previous socket. */
    readonly fence: number,
    readonly link: Link,
    /** The client's ack: it has every notification up to here. */
    acked: number,
    private readonly store: () => StoreConnection | undefined,
    private readonly onError: (error: unknown) => void,
  ) {
    this.sent = acked;
  }

  /** Write `frames` (ascending) that follow what was written; on a gap, read the store instead. */
  deliver(frames: readonly Frame[]): void {
    for (const frame of frames) {
      if (frame.seq <= this.sent) continue;
      if (frame.seq !== this.sent + 1 || this.filling) return this.fill();
      this.sent = frame.seq;
      this.link.send(frame.text);
    }
  }

  /** Read and write everything after what was written (a gap, or hints that may have been missed). */
  fill(): void {
    if (this.filling) {
      this.again = true;
      return;
    }
    const store = this.store();
    if (store === undefined || this.link.state !== 'open') return;
    this.filling = true;
    store.read(this.id, this.sent).then(
      (frames) => {
        this.filling = false;
        for (const frame of frames) {
          if (frame.seq <= this.sent) continue;
          this.sent = frame.seq;
          this.link.send(frame.text);
        }
        if (this.again) {
          this.again = false;
          this.fill();
        }
      },
      (error: unknown) => {
        this.filling = false;
        this.onError(error);
      },
    );
  }
}
