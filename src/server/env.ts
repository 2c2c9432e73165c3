import { nanoid } from 'nanoid';
import type { Env, TimerHandle } from '../env.js';

/**
 * Everything the server takes from its runtime: the clock, timers and fresh ids. Tests pass
 * fakes; apps normally pass nothing. Code under src/server/ never reaches for the globals:
 * it gets them from here.
 */
export interface ServerEnv extends Pick<Env, 'now' | 'setTimeout' | 'clearTimeout'> {
  /**
   * A repeating timer for the server's own housekeeping (the idle check). It must not keep
   * the process alive by itself: the default is an unref'd `setInterval`.
   */
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
  /**
   * A new unguessable id, for session ids and secrets. Return 21 characters of
   * `A-Za-z0-9_-` (the default, nanoid's shape): only ids of that shape are kept for a
   * client that resumes a session this server does not know (PROTOCOL.md, failover).
   */
  id(): string;
}

/** The runtime's own: Node's clock and timers, nanoid for ids. */
export function defaultServerEnv(): ServerEnv {
  return {
    now: () => Date.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    setInterval: (fn, ms) => setInterval(fn, ms).unref(),
    clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
    id: () => nanoid(),
  };
}

/** Fill the parts the caller did not replace with the runtime's own. */
export function normalizeServerEnv(env: Partial<ServerEnv> | undefined): ServerEnv {
  if (env === undefined) return defaultServerEnv();
  if (typeof env !== 'object' || env === null) throw new TypeError('SignalingServer: option "env" must be an object');
  const merged: ServerEnv = defaultServerEnv();
  for (const [name, value] of Object.entries(env)) if (value !== undefined) (merged as unknown as Record<string, unknown>)[name] = value;
  for (const [name, value] of Object.entries(merged)) {
    if (typeof value !== 'function') throw new TypeError(`SignalingServer: option "env.${name}" must be a function, got ${typeof value}`);
  }
  return merged;
}
