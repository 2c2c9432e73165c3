import type { SignalError } from '../../src/errors.js';

/** Track a promise's outcome without unhandled rejections. */
export function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: SignalError } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: SignalError) => Object.assign(state, { settled: true, error }),
  );
  return state;
}
