// Browser builds use this in place of ws-node.ts (rollup.config.mjs): a browser WebSocket is
// never `ws`, and batches its own writes.
import type { WebSocketLike } from '../env.js';

export const listenNatively = (_socket: WebSocketLike, _onMessage: (data: unknown) => void): (() => void) | undefined => undefined;
export const isTooLarge = (_event: unknown): boolean => false;
export const batchWrites = (_socket: WebSocketLike): void => {};
