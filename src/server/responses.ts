import { encodeFrame } from '../protocol/codec.js';
import { codeOf, messageOf } from '../protocol/thrown.js';

export { codeOf, messageOf };

/** Encode a successful response; data that is not JSON becomes an `INTERNAL` error. */
export function successFrame(id: string, data: unknown): string {
  try {
    return encodeFrame({ type: 'response', id, ok: true, data });
  } catch (error) {
    return errorFrame(id, 'INTERNAL', `the handler's result cannot be sent: ${messageOf(error)}`);
  }
}

export function errorFrame(id: string, code: string, message: string): string {
  return encodeFrame({ type: 'response', id, ok: false, error: { code, message } });
}

/** Turn whatever a handler threw into an error response. */
export function failureFrame(id: string, error: unknown): string {
  return errorFrame(id, codeOf(error) ?? 'INTERNAL', messageOf(error));
}
