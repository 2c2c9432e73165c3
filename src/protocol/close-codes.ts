/**
 * WebSocket close codes of the resignal protocol (PROTOCOL.md, "Close codes").
 * 4000-4499 are terminal: the client must not reconnect. 4500-4999 ask it to come back later.
 */
export const CloseCode = {
  /** The server removed this peer on purpose. */
  KICKED: 4000,
  /** `hello` carried no token or a token the server refused. */
  UNAUTHORIZED: 4001,
  /** The client speaks a protocol version the server does not. */
  UNSUPPORTED_VERSION: 4002,
  /** The client sent a frame that is not valid protocol (bad JSON, wrong shape, binary). */
  PROTOCOL_ERROR: 4003,
  /** The client sent more messages per second than the server allows. */
  RATE_LIMITED: 4004,
  /** The client did not send `hello` in time. Not terminal. */
  HELLO_TIMEOUT: 4500,
  /** The same session was resumed on another socket; this one is obsolete. Not terminal. */
  REPLACED: 4501,
  /** The client sent nothing for the server's idle timeout. Not terminal. */
  IDLE_TIMEOUT: 4502,
  /** The client read slower than the server wrote to it; it resumes to get the rest. Not terminal. */
  SLOW_CONSUMER: 4503,
  /** The token the link was opened with has expired: fetch a new one and resume at once. Not terminal. */
  TOKEN_EXPIRED: 4505,
  /** A message was over the receiver's size limit (a frame over `maxPayload`, a chunked message over `maxSignalBytes`). Not terminal. */
  MESSAGE_TOO_BIG: 1009,
  /** The server is shutting down or restarting. Not terminal. */
  GOING_AWAY: 1001,
} as const;

/** True when a close code tells the client to stop reconnecting. */
export function isTerminalCloseCode(code: number): boolean {
  return code >= 4000 && code <= 4499;
}
