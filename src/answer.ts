import type { RequestFrame } from './protocol/frames.js';
import { codeOf, messageOf } from './protocol/thrown.js';

export type RequestHandler<Context> = (data: unknown, context: Context) => unknown;

export type ResponseBody = { ok: true; data: unknown } | { ok: false; error: { code: string; message: string } };

/**
 * Run the handler for a request the other side sent and turn the outcome into a response
 * body: the returned value, or the thrown error's `code` (when it is a string) and message.
 */
export async function answerRequest<Context>(
  handlers: ReadonlyMap<string, RequestHandler<Context>>,
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
