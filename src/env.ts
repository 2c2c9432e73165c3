import { defaultWebSocket } from './transport/default-websocket.js';

export type TimerHandle = unknown;

/** The subset of the WHATWG WebSocket that resignal uses. Browser WebSocket and `ws` both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  /** `ws` only: drop the TCP connection without a close handshake. */
  terminate?: () => void;
  /** `ws` only: its native events, cheaper than the WHATWG `onmessage` shim on the hot path. */
  on?: (event: 'message', listener: (data: { toString(): string }, isBinary: boolean) => void) => unknown;
  off?: (event: 'message', listener: (data: { toString(): string }, isBinary: boolean) => void) => unknown;
  /** `ws` only: its TCP socket, corked to write a tick's frames in one system call. */
  _socket?: { cork(): void; uncork(): void; writableCorked: number } | null;
}

/**
 * Called as `new WebSocket(url, [], { maxPayload })`: browsers ignore the third argument, `ws`
 * uses it to refuse oversized inbound frames.
 */
export type WebSocketCtor = new (url: string, protocols?: string[], options?: { maxPayload?: number }) => WebSocketLike;

/** Something that fires `online`/`offline` (a browser `window`, or your own EventTarget in Node / React Native). */
export interface NetworkEvents {
  addEventListener(type: 'online' | 'offline', listener: () => void): void;
  removeEventListener(type: 'online' | 'offline', listener: () => void): void;
}

/** Something that fires `visibilitychange` and knows whether the page is visible (a browser `document`). */
export interface VisibilityEvents {
  readonly visibilityState: string;
  addEventListener(type: 'visibilitychange', listener: () => void): void;
  removeEventListener(type: 'visibilitychange', listener: () => void): void;
}

/**
 * Everything resignal takes from its runtime. Tests pass fakes; apps normally pass nothing.
 * Deep code never reaches for globals: it gets them from here.
 */
export interface Env {
  WebSocket: WebSocketCtor;
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  random(): number;
  network?: NetworkEvents | undefined;
  visibility?: VisibilityEvents | undefined;
  /** Where exceptions thrown by your event listeners go, so they never break the Peer. */
  reportError(error: unknown): void;
}

/** The runtime's own environment: browser globals where present, `ws` in Node. */
export function defaultEnv(): Env {
  const g = globalThis as Record<string, unknown>;
  const hasWindowEvents = typeof g.window === 'object' && g.window !== null && typeof (g.window as { addEventListener?: unknown }).addEventListener === 'function';
  const doc = g.document as VisibilityEvents | undefined;
  const report = g.reportError as ((e: unknown) => void) | undefined;
  return {
    WebSocket: defaultWebSocket(),
    now: () => Date.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    random: Math.random,
    network: hasWindowEvents ? (g.window as NetworkEvents) : undefined,
    visibility: doc && typeof doc.addEventListener === 'function' && typeof doc.visibilityState === 'string' ? doc : undefined,
    reportError: report ? (e) => report(e) : (e) => console.error('resignal: an event listener threw', e),
  };
}
