import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import type { TimerHandle } from '../env.js';
import { overFrame, splitMessage, type Reassembler } from '../protocol/chunks.js';
import { utf8Length } from '../protocol/codec.js';
import type { WebSocketLike } from '../env.js';
import { batchWrites } from '../transport/ws-node.js';
import type { ServerEnv } from './env.js';
import type { RateLimit } from './options.js';

/** What a welcomed socket holds: a session, local (Session) or kept in a store (StoredSession). */
export interface LinkSession {
  readonly id: string;
}

/** hello: waiting for `hello`; auth: `authenticate` running; open: welcomed; closed: done. */
export type LinkState = 'hello' | 'auth' | 'open' | 'closed';

/** WebSocket close reasons may not exceed 123 bytes of UTF-8; ws throws on longer ones. */
const MAX_REASON_BYTES = 123;

/** One client socket: its handshake state, rate limit and write back-pressure. */
export class Link {
  state: LinkState = 'hello';
  session: LinkSession | undefined;
  /** Time of the last frame received, for the idle check. */
  lastSeen: number;
  /** Time of the last frame written, for the server's pings (ping-wheel.ts). */
  lastSent: number;
  /** Ping the client once it has been sent nothing for this long (ms); 0: never (it sent no `hello.heartbeat`). */
  pingAfter = 0;
  private helloTimer: TimerHandle | undefined;
  /** What `authenticate` returned as `auth` for this socket. */
  auth: unknown = undefined;
  /** Closes the link with 4505 when its token expires (`authenticate`'s `expiresAt`). */
  expiryTimer: TimerHandle | undefined;
  /** Settles once the underlying socket has fully closed. */
  readonly closed: Promise<void>;
  private settleClosed!: () => void;
  private windowStart: number;
  private count = 0;
  /** Largest frame written when the client takes chunked messages (its `hello.chunks`); 0: it does not. */
  chunkAt = 0;
  private nextChunkId = 0;
  /** Chunked messages from the client being rebuilt (see chunking.ts); created on the first chunk. */
  reassembly: Reassembler | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly req: IncomingMessage,
    private readonly env: Pick<ServerEnv, 'now' | 'setTimeout' | 'clearTimeout'>,
    /** Most bytes the socket may have waiting to be written before `onSlow` replaces a send. */
    private readonly maxSocketBuffer: number,
    /** Told, instead of writing, that the client reads too slowly; it must close the link. */
    private readonly onSlow: (link: Link, buffered: number) => void,
  ) {
    const now = env.now();
    this.lastSeen = now;
    this.lastSent = now;
    this.windowStart = now;
    this.closed = new Promise((resolve) => (this.settleClosed = resolve));
  }

  /** Call `onTimeout` unless the link is welcomed (`welcomed()`) or closed within `ms`. */
  awaitHello(ms: number, onTimeout: () => void): void {
    this.helloTimer = this.env.setTimeout(onTimeout, ms);
  }

  welcomed(): void {
    this.state = 'open';
    this.stopHelloTimer();
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
    if (this.chunkAt === 0 || !overFrame(text, this.chunkAt)) return void this.write(text);
    // Written back to back: nothing else goes between the chunks of a message.
    for (const frame of splitMessage(text, this.nextChunkId++, this.chunkAt)) if (!this.write(frame)) return;
  }

  private write(text: string): boolean {
    const { ws } = this;
    if (ws.readyState !== WebSocket.OPEN) return false;
    const buffered = ws.bufferedAmount;
    if (buffered > this.maxSocketBuffer) {
      this.onSlow(this, buffered);
      return false;
    }
    batchWrites(ws as unknown as WebSocketLike); // the client's own tick batching: this is a ws socket too
    ws.send(text);
    this.lastSent = this.env.now();
    return true;
  }

  /** Start the close handshake; the link ignores every later frame. */
  close(code: number, reason: string): void {
    this.state = 'closed';
    this.stopTimers();
    this.ws.close(code, truncateReason(reason));
  }

  /** Drop the TCP connection without waiting for the close handshake. */
  terminate(): void {
    this.ws.terminate();
  }

  /** Called from the socket's 'close' event. */
  released(): void {
    this.state = 'closed';
    this.stopTimers();
    this.settleClosed();
  }

  private stopTimers(): void {
    this.stopHelloTimer();
    if (this.expiryTimer !== undefined) this.env.clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
  }

  private stopHelloTimer(): void {
    if (this.helloTimer === undefined) return;
    this.env.clearTimeout(this.helloTimer);
    this.helloTimer = undefined;
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
