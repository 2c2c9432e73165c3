/** What a request handler learns about the request besides its data. */
export interface HandlerContext {
  /** The session's peer id. */
  peerId: string;
  method: string;
  /** The request id, unique per peer: a key for handlers that must stay idempotent across a server crash. */
  id: string;
  /** True when the client sent this request again after a reconnect. */
  replay: boolean;
  /** What `authenticate` returned as `auth` for the socket the request came on (undefined without it). */
  auth: unknown;
}

/**
 * Answers one request method. The returned value (or resolved promise) is the response
 * data. A throw becomes an error response: `error.code` if it is a string, else
 * `INTERNAL`, with `error.message`.
 */
export type RequestHandler = (data: unknown, ctx: HandlerContext) => unknown;

export interface RequestOptions {
  /** Milliseconds to wait for the response. Defaults to the server's `requestTimeout`. */
  timeout?: number;
}

export interface ConnectionEvent {
  peerId: string;
  /** True when the `hello` resumed an existing session. */
  resumed: boolean;
  /** What `authenticate` returned as `auth` for this socket (undefined without it). */
  auth: unknown;
}

export interface DisconnectEvent {
  peerId: string;
  /** The close code, sent by the server or received from the client. */
  code: number;
  reason: string;
}

export interface SessionEndEvent {
  peerId: string;
}

export interface NotificationEvent {
  peerId: string;
  method: string;
  data: unknown;
}

/**
 * STORE_UNAVAILABLE: with a `store`, a call to it failed (unreachable, timed out): the node
 * closes its sockets with 1013 until the store answers again; a notification it was handing
 * over may not have been stored.
 */
export type WarningCode = 'PROTOCOL_ERROR' | 'NOTIFICATIONS_DROPPED' | 'HANDLER_FAILED' | 'SLOW_CONSUMER' | 'STORE_UNAVAILABLE';

/** Something went wrong that the server handled by itself; worth logging. */
export interface WarningEvent {
  code: WarningCode;
  message: string;
  /** The peer concerned, when it has a session. */
  peerId?: string | undefined;
  cause?: unknown;
  /** NOTIFICATIONS_DROPPED: how many notifications this warning reports (drops are aggregated). */
  count?: number;
}

/** The server could not do its job: a listen error, or an event listener that threw. */
export interface ErrorEvent {
  error: unknown;
}

export interface SignalingServerEvents {
  connection: (event: ConnectionEvent) => void;
  disconnect: (event: DisconnectEvent) => void;
  'session-end': (event: SessionEndEvent) => void;
  notification: (event: NotificationEvent) => void;
  warning: (event: WarningEvent) => void;
  error: (event: ErrorEvent) => void;
}
