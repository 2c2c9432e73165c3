/**
 * A Transport with no socket at all: each link is a pair of in-process ends, and the server
 * end is handed straight to a real SignalingServer (its Hub accepts it like any accepted
 * `ws` socket). So the whole protocol runs for real, minus TCP and WebSocket framing.
 * Every delivery is asynchronous, like a network, and in order.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { SignalingServer } from '../../src/server/index.js';
import type { Transport, TransportFactory, TransportHandlers } from '../../src/transport/transport.js';

const OPEN = 1;
const CLOSED = 3;

/** What the server's Hub uses of a `ws` WebSocket. */
class ServerEnd extends EventEmitter {
  readyState = OPEN;
  readonly bufferedAmount = 0;
  constructor(private readonly link: MemoryLink) {
    super();
  }
  send(text: string): void {
    if (this.readyState !== OPEN) return;
    this.link.toClient(text);
  }
  close(code = 1000, reason = ''): void {
    this.link.end(code, reason, 'server');
  }
  terminate(): void {
    this.link.end(1006, '', 'server');
  }
}

export interface MemoryLinkLog {
  url: string;
  /** Text frames, in order, as `>` (client to server) or `<` (server to client). */
  frames: Array<{ dir: '>' | '<'; text: string }>;
  closed?: { code: number; by: 'client' | 'server' };
}

class MemoryLink implements Transport {
  readonly server: ServerEnd;
  #done = false;

  constructor(
    readonly log: MemoryLinkLog,
    private readonly handlers: TransportHandlers,
  ) {
    this.server = new ServerEnd(this);
  }

  toClient(text: string): void {
    this.log.frames.push({ dir: '<', text });
    setImmediate(() => !this.#done && this.handlers.onMessage(text));
  }

  send(text: string): void {
    if (this.#done) return;
    this.log.frames.push({ dir: '>', text });
    setImmediate(() => this.server.readyState === OPEN && this.server.emit('message', Buffer.from(text), false));
  }

  close(code: number, reason: string): void {
    this.end(code, reason, 'client');
  }

  terminate(): void {
    this.end(1006, '', 'client');
  }

  /** Both ends see the close once; the client's own close() never calls back into it. */
  end(code: number, reason: string, by: 'client' | 'server'): void {
    if (this.server.readyState === CLOSED) return;
    this.server.readyState = CLOSED;
    this.log.closed = { code, by };
    const toClient = by === 'server' && !this.#done;
    this.#done = true;
    setImmediate(() => {
      this.server.emit('close', code, Buffer.from(reason));
      if (toClient) this.handlers.onClose(code, reason);
    });
  }
}

/**
 * A TransportFactory whose links go to `server` in memory. The server need not listen.
 * `links` records every link opened, with its frames; `drop()` cuts every open link (1006).
 */
export function memoryTransport(server: SignalingServer): { transport: TransportFactory; links: MemoryLinkLog[]; drop(): void } {
  // The Hub is internal to the server; this test helper is the one place that reaches it.
  const hub = (server as unknown as { hub: { accept(ws: unknown, req: unknown): void } }).hub;
  const links: MemoryLinkLog[] = [];
  const open = new Set<MemoryLink>();
  const transport: TransportFactory = (url, handlers) => {
    const log: MemoryLinkLog = { url, frames: [] };
    links.push(log);
    const link = new MemoryLink(log, handlers);
    open.add(link);
    link.server.once('close', () => open.delete(link));
    const parsed = new URL(url);
    const req = { url: parsed.pathname + parsed.search, headers: { host: parsed.host }, socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage;
    setImmediate(() => {
      if (link.server.readyState !== OPEN) return;
      hub.accept(link.server, req);
      handlers.onOpen();
    });
    return link;
  };
  return { transport, links, drop: () => [...open].forEach((link) => link.end(1006, '', 'server')) };
}
