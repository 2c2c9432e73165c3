// Minimal typings for the parts of protoo that the benchmarks use (protoo ships none).

declare module 'protoo-client' {
  import { EventEmitter } from 'node:events';

  export interface WebSocketTransportOptions {
    retry?: { retries?: number; factor?: number; minTimeout?: number; maxTimeout?: number };
  }

  export class WebSocketTransport extends EventEmitter {
    constructor(url: string, options?: WebSocketTransportOptions);
    readonly closed: boolean;
    close(): void;
  }

  export class Peer extends EventEmitter {
    constructor(transport: WebSocketTransport);
    readonly closed: boolean;
    readonly connected: boolean;
    request(method: string, data?: unknown): Promise<unknown>;
    notify(method: string, data?: unknown): Promise<void>;
    close(): void;
  }

  const protooClient: { WebSocketTransport: typeof WebSocketTransport; Peer: typeof Peer; version: string };
  export default protooClient;
}

declare module 'protoo-server' {
  import { EventEmitter } from 'node:events';
  import type { IncomingMessage, Server } from 'node:http';

  export interface ProtooRequest {
    id: number;
    method: string;
    data?: unknown;
  }

  export interface ProtooNotification {
    method: string;
    data?: unknown;
  }

  export class Transport extends EventEmitter {
    close(): void;
  }

  export class WebSocketServer extends EventEmitter {
    constructor(httpServer: Server, options?: Record<string, unknown>);
    on(
      event: 'connectionrequest',
      listener: (info: { request: IncomingMessage; origin: string }, accept: () => Transport, reject: (code?: number, reason?: string) => void) => void,
    ): this;
    stop(): void;
  }

  export class Peer extends EventEmitter {
    readonly id: string;
    readonly closed: boolean;
    on(event: 'request', listener: (request: ProtooRequest, accept: (data?: unknown) => void, reject: (code: number | Error, reason?: string) => void) => void): this;
    on(event: 'notification', listener: (notification: ProtooNotification) => void): this;
    on(event: 'close', listener: () => void): this;
    notify(method: string, data?: unknown): Promise<void>;
    close(): void;
  }

  export class Room extends EventEmitter {
    constructor();
    hasPeer(peerId: string): boolean;
    getPeer(peerId: string): Peer | undefined;
    createPeer(peerId: string, transport: Transport): Peer;
    close(): void;
  }

  const protooServer: { WebSocketServer: typeof WebSocketServer; Room: typeof Room; version: string };
  export default protooServer;
}
