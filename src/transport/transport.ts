/** What a Transport reports back. Called only for the link it was created for. */
export interface TransportHandlers {
  onOpen(): void;
  onMessage(data: unknown): void;
  onClose(code: number, reason: string): void;
}

/**
 * One connection attempt's link. The Peer never touches a socket: it only sees this, so
 * another transport (WebTransport, QUIC) can be added without touching the Peer.
 */
export interface Transport {
  send(text: string): void;
  /** Close with a handshake; `onClose` is not called afterwards. */
  close(code: number, reason: string): void;
  /** Drop the link at once without waiting for the other side (dead or stale link). */
  terminate(): void;
}

export type TransportFactory = (url: string, handlers: TransportHandlers) => Transport;
