import type { WebSocketCtor } from '../env.js';

// Browser builds use this in place of default-websocket.ts (rollup.config.mjs): the runtime's
// own WebSocket, read when the Peer is created.
export const defaultWebSocket = (): WebSocketCtor => (globalThis as { WebSocket?: WebSocketCtor }).WebSocket!;
