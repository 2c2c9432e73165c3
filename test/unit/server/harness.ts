import { Hub } from '../../../src/server/hub.js';
import type { ServerEnv } from '../../../src/server/env.js';
import { normalizeOptions, type SignalingServerOptions } from '../../../src/server/options.js';

export interface Fired {
  event: string;
  payload: Record<string, unknown>;
}

/**
 * The server's environment on vitest's fake timers: the timer functions are looked up at
 * call time, so `vi.useFakeTimers()` drives them. Ids are numbered, in the 21-character
 * shape of the default's.
 */
export function fakeServerEnv(): ServerEnv {
  let ids = 0;
  return {
    now: () => Date.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    setInterval: (fn, ms) => setInterval(fn, ms),
    clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
    id: () => `id${String(++ids).padStart(19, '0')}`,
  };
}

/** A Hub on the fake environment, recording every event it fires. */
export function hubOnFakeTime(options: SignalingServerOptions = {}) {
  const fired: Fired[] = [];
  const errors: unknown[] = [];
  const hub = new Hub(
    normalizeOptions({ rateLimit: false, idleTimeout: 0, ...options, env: fakeServerEnv() }),
    (event, payload) => fired.push({ event, payload: payload as unknown as Record<string, unknown> }),
    (error) => errors.push(error),
    () => {},
  );
  const events = (name: string) => fired.filter((f) => f.event === name).map((f) => f.payload);
  return { hub, fired, errors, events };
}
