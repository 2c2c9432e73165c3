import { SignalError } from '../errors.js';
import { messageOf } from './thrown.js';
import type { Guard, Issue } from './check.js';

export type Decoded<T> = { ok: true; frame: T } | { ok: false; error: SignalError };

/**
 * Parse one text frame and validate it against a schema. Never throws: a bad frame
 * becomes a `BAD_MESSAGE` error the caller can report while staying up.
 */
export function decodeFrame<T>(guard: Guard<T>, text: unknown): Decoded<T> {
  if (typeof text !== 'string') {
    return bad('received a binary frame; resignal frames are JSON text');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return bad(`received a frame that is not JSON: ${preview(text)}`);
  }
  const issue = guard(json);
  if (issue) return bad(`received a frame of the wrong shape${describeIssue(issue)}: ${preview(text)}`);
  return { ok: true, frame: json as T };
}

/** ` at "a.b" (expected ..., got ...)`: where, then what. */
export function describeIssue(issue: Issue): string {
  return `${issue.path.length > 0 ? ` at "${issue.path.join('.')}"` : ''} (${issue.message})`;
}

/** Serialize a frame. Throws a `BAD_MESSAGE` SignalError when the data cannot be JSON. */
export function encodeFrame(frame: object): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(frame);
  } catch (cause) {
    throw new SignalError('BAD_MESSAGE', `data cannot be encoded as JSON (${messageOf(cause)}); send plain objects, arrays, strings, numbers, booleans or null`, { cause });
  }
  return text;
}

/**
 * Encode a frame and measure it. Throws `TOO_LARGE` over `maxBytes`, so an oversized message
 * is refused at the call instead of being closed by the server with 1009 later.
 */
export function encodeSized(frame: object, maxBytes: number, what: string, limit = `maxMessageBytes (${maxBytes})`): { text: string; bytes: number } {
  const text = encodeFrame(frame);
  const bytes = utf8Length(text);
  if (bytes > maxBytes) {
    throw new SignalError('TOO_LARGE', `${what} is ${bytes} bytes encoded, over ${limit}; send less data per message or raise the limit on both client and server`);
  }
  return { text, bytes };
}

/** The longest delay setTimeout honours; a longer one (or Infinity) fires after ~1 ms. */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;

/** True for a delay a timer can wait: above 0 and at most MAX_TIMER_DELAY. */
export function validDelay(ms: unknown): ms is number {
  return typeof ms === 'number' && ms > 0 && ms <= MAX_TIMER_DELAY;
}

const NON_ASCII = /[^\x00-\x7f]/;

/** UTF-8 byte length of a string, without allocating an encoded copy. */
export function utf8Length(text: string): number {
  // Most frames are ASCII: one regex scan is ~3x faster than the loop below.
  if (!NON_ASCII.test(text)) return text.length;
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      bytes += 1;
    } else if (c >= 0xd800 && c <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      i++;
      bytes += 2; // a surrogate pair: 4 bytes for 2 UTF-16 units
    } else {
      bytes += 2; // 3 bytes; a lone surrogate is encoded as U+FFFD, also 3 bytes
    }
  }
  return bytes;
}

function bad(message: string): Decoded<never> {
  return { ok: false, error: new SignalError('BAD_MESSAGE', message) };
}

function preview(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
