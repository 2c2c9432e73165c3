import { encodeFrame } from '../protocol/codec.js';

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

/** The error's own string `code`, if it has one. */
export function codeOf(error: unknown): string | undefined {
  try {
    const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined; // a throwing getter or proxy
  }
}

/** A printable message for anything thrown; never throws itself (e.g. for `Object.create(null)`). */
export function messageOf(error: unknown): string {
  try {
    const message = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
    return typeof message === 'string' ? message : String(error);
  } catch {
    return 'the handler threw a value that cannot be printed';
  }
}
