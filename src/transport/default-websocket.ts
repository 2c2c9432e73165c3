import WebSocketImpl from 'isomorphic-ws';
import type { WebSocketCtor } from '../env.js';

// The WebSocket a Peer uses by default: `ws` in Node. Browser builds replace this file with
// default-websocket.browser.ts (rollup.config.mjs), so neither `ws` nor isomorphic-ws is in them.
export const defaultWebSocket = (): WebSocketCtor => WebSocketImpl as unknown as WebSocketCtor;
