// A `ws` WebSocket that records, per socket, every frame the Peer wrote and which of them
// the server provably read. It changes nothing the Peer sees.
//
// Proof of reading: the server answers a ping with a pong after reading it, and frames on
// one socket are read in order, so a pong proves the server read everything written
// before that ping. The same holds for a response to a request first written on this
// socket (a replay may be answered by a run that started on an older socket, so replays
// prove nothing).
import { WebSocket } from 'ws';
import type { WebSocketCtor } from '../../../src/env.js';

export interface Written {
  type: string;
  /** Request or ping id. */
  id?: string | number;
  /** `data.key` of requests and notifications. */
  key?: string;
  replay?: boolean;
}

export interface SocketLog {
  url: string;
  writes: Written[];
  /** Index of the last write the server provably read; -1 if none. */
  readUpTo: number;
  /** Frames received on this socket, by type. */
  received: Record<string, number>;
  /** Notifications received on this socket: `data.key` and `seq`. */
  notifications: Array<{ key?: string; seq?: number }>;
}

type Frame = { type?: unknown; id?: unknown; data?: { key?: unknown }; replay?: unknown; seq?: unknown };

/** A WebSocket class for `PeerOptions.WebSocket` that appends one SocketLog per socket to `logs`. */
export function tapWebSocket(logs: SocketLog[]): WebSocketCtor {
  class TapWebSocket extends WebSocket {
    constructor(url: string) {
      super(url);
      const log: SocketLog = { url, writes: [], readUpTo: -1, received: {}, notifications: [] };
      logs.push(log);
      const index = new Map<string, number>(); // "ping:7" / "request:abc" -> write index
      const originalSend = this.send.bind(this);
      this.send = ((data: string, ...rest: unknown[]) => {
        const frame = JSON.parse(data) as Frame;
        const written: Written = { type: String(frame.type) };
        if (typeof frame.id === 'string' || typeof frame.id === 'number') written.id = frame.id;
        if (typeof frame.data?.key === 'string') written.key = frame.data.key;
        if (frame.replay === true) written.replay = true;
        if ((written.type === 'ping' || (written.type === 'request' && !written.replay)) && written.id !== undefined) {
          index.set(`${written.type}:${written.id}`, log.writes.length);
        }
        log.writes.push(written);
        (originalSend as (...args: unknown[]) => void)(data, ...rest);
      }) as typeof this.send;
      this.on('message', (data, isBinary) => {
        if (isBinary) return;
        let frame: Frame;
        try {
          frame = JSON.parse(data.toString()) as Frame;
        } catch {
          return;
        }
        const type = String(frame.type);
        log.received[type] = (log.received[type] ?? 0) + 1;
        if (type === 'notification') {
          log.notifications.push({ ...(typeof frame.data?.key === 'string' && { key: frame.data.key }), ...(typeof frame.seq === 'number' && { seq: frame.seq }) });
        }
        const proof = type === 'pong' ? index.get(`ping:${String(frame.id)}`) : type === 'response' ? index.get(`request:${String(frame.id)}`) : undefined;
        if (proof !== undefined && proof > log.readUpTo) log.readUpTo = proof;
      });
    }
  }
  return TapWebSocket as unknown as WebSocketCtor;
}
