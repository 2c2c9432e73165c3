import type { RequestFrame } from './protocol/frames.js';
import { codeOf, messageOf } from './protocol/thrown.js';

import type { Peer } from './peer.js';

/** What a handler registered with `peer.handle()` is told besides the request's data. */
export interface HandlerContext {
  method: string;
  peer: Peer;
}

/** Answers one request from the other side; the return value (or a thrown error) is the response. */
export type AnyRequestHandler<Context> = (data: unknown, context: Context) => unknown;

export type RequestHandler = AnyRequestHandler<HandlerContext>;

export type ResponseBody = { ok: true; data: unknown } | { ok: false; error: { code: string; message: string } };

/**
 * Run the handler for a request the other side sent and turn the outcome into a response
 * body: the returned value, or the thrown error's `code` (when it is a string) and message.
 */
export async function answerRequest<Context>(
  handlers: ReadonlyMap<string, AnyRequestHandler<Context>>,
  frame: RequestFrame,
  context: Context,
): Promise<ResponseBody> {
  const handler = handlers.get(frame.method);
  if (!handler) return { ok: false, error: { code: 'NOT_FOUND', message: `no handler for "${frame.method}" on this peer; register one with peer.handle()` } };
  try {
    return { ok: true, data: await handler(frame.data, context) };
  } catch (error) {
    // Whatever was thrown (even a value that throws when read) becomes one error response.
    return { ok: false, error: { code: codeOf(error) ?? 'INTERNAL', message: messageOf(error) } };
  }
}
