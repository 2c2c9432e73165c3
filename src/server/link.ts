import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import type { SignalError } from '../errors.js';
import { utf8Length } from '../protocol/codec.js';
import type { RateLimit } from './options.js';
import type { Session } from './session.js';

/** hello: waiting for `hello`; auth: `authenticate` running; open: welcomed; closed: done. */
export type LinkState = 'hello' | 'auth' | 'open' | 'closed';

export interface PendingRequest {
  method: string;
  resolve(data: unknown): void;
  reject(error: SignalError): void;
  timer: NodeJS.Timeout;
}

/** WebSocket close reasons may not exceed 123 bytes of UTF-8; ws throws on longer ones. */
const MAX_REASON_BYTES = 123;

/** One client socket: its handshake state, rate limit and the server requests it owes. */
export class Link {
  state: LinkState = 'hello';
  session: Session | undefined;
  /** Time of the last frame received, for the idle check. */
  lastSeen: number;
  helloTimer: NodeJS.Timeout | undefined;
  /** What `authenticate` returned as `auth` for this socket. */
  auth: unknown = undefined;
  /** Closes the link with 4505 when its token expires (`authenticate`'s `expiresAt`). */
  expiryTimer: NodeJS.Timeout | undefined;
  /** Requests the server sent on this socket; they fail when it closes. */
  readonly pending = new Map<string, PendingRequest>();
  /** Settles once the underlying socket has fully closed. */
  readonly closed: Promise<void>;
  private settleClosed!: () => void;
  private windowStart: number;
  private count = 0;

  constructor(
    readonly ws: WebSocket,
    readonly req: IncomingMessage,
    now: number,
    /** Most bytes the socket may have waiting to be written before `onSlow` replaces a send. */
    private readonly maxSocketBuffer: number,
    /** Told, instead of writing, that the client reads too slowly; it must close the link. */
    private readonly onSlow: (link: Link, buffered: number) => void,
  ) {
    this.lastSeen = now;
    this.windowStart = now;
    this.closed = new Promise((resolve) => (this.settleClosed = resolve));
  }

  /** Count one received frame; false once the socket exceeds its rate limit. */
  hit(now: number, limit: RateLimit | false): boolean {
    if (limit === false) return true;
    if (now - this.windowStart >= limit.perMs) {
      this.windowStart = now;
      this.count = 0;
    }
    return ++this.count <= limit.messages;
  }

  /**
   * Write a frame. A socket that still holds more than `maxSocketBuffer` unwritten bytes
   * gets nothing more: `onSlow` closes it, and what it missed waits in the session outbox.
   */
  send(text: string): void {
    const { ws } = this;
    if (ws.readyState !== WebSocket.OPEN) return;
    const buffered = ws.bufferedAmount;
    if (buffered > this.maxSocketBuffer) return this.onSlow(this, buffered);
    ws.send(text);
  }

  /** Start the close handshake; the link ignores every later frame. */
  close(code: number, reason: string): void {
    this.state = 'closed';
    clearTimeout(this.helloTimer);
    clearTimeout(this.expiryTimer);
    this.ws.close(code, truncateReason(reason));
  }

  /** Called from the socket's 'close' event. */
  released(): void {
    this.state = 'closed';
    clearTimeout(this.helloTimer);
    clearTimeout(this.expiryTimer);
    this.settleClosed();
  }

  failPending(error: SignalError): void {
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
  }
}

export function truncateReason(reason: string): string {
  if (utf8Length(reason) <= MAX_REASON_BYTES) return reason;
  let cut = reason.slice(0, MAX_REASON_BYTES - 3);
  while (utf8Length(cut) > MAX_REASON_BYTES - 3) cut = cut.slice(0, -1);
  // Never end on half a surrogate pair.
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}
