import type { RequestFrame } from '../protocol/frames.js';
import type { Link } from './link.js';
import type { CachedResponse } from './dedupe.js';
import { Replayable } from './replayable.js';
import { codeOf, errorFrame, failureFrame, successFrame } from './responses.js';
import type { Session } from './session.js';
import type { RequestHandler } from './types.js';

/** What serving a request needs from the Hub besides the request. */
export interface ServeContext {
  /** The clock, read again when an async handler settles (the dedupe window starts then). */
  now(): number;
  /** Told about handler throws that carry no code of their own, i.e. probable bugs. */
  onFailure(session: Session, method: string, error: unknown): void;
}

/**
 * Answer a client request, running its handler at most once per (session, id)
 * (PROTOCOL.md, "Replay and exactly-once"). The hot path is one map lookup, the handler
 * call and one JSON.stringify; no timer, no extra promise when the handler is sync.
 */
export function serveRequest(
  session: Session,
  link: Link,
  frame: RequestFrame,
  now: number,
  handler: RequestHandler | undefined,
  context: ServeContext,
): void {
  const { id, method } = frame;
  const seen = session.dedupe.get(id, now);
  if (seen !== undefined) {
    // Still running: its answer goes to whichever socket holds the session when it ends,
    // so a replay on a new socket gets exactly one response.
    const cached = seen.response;
    if (cached !== undefined) link.send(typeof cached === 'string' ? cached : cached());
    return;
  }
  if (handler === undefined) {
    link.send(errorFrame(id, 'NOT_FOUND', `no handler for method "${method}"`));
    return;
  }
  session.dedupe.start(id, now);
  let result: unknown;
  try {
    result = handler(frame.data, { peerId: session.id, method, id: frame.id, replay: frame.replay === true, auth: link.auth });
  } catch (error) {
    return fail(session, id, method, error, context);
  }
  if (isThenable(result)) {
    result.then(
      (data) => succeed(session, id, data, context.now()),
      (error: unknown) => fail(session, id, method, error, context),
    );
  } else {
    succeed(session, id, result, context.now());
  }
}

/** A `Replayable` result is sent as its value; replays get `replay()` encoded afresh. */
function succeed(session: Session, id: string, data: unknown, now: number): void {
  if (!(data instanceof Replayable)) return answer(session, id, successFrame(id, data), now);
  const { replay } = data;
  answer(session, id, () => successFrame(id, replay()), now, successFrame(id, data.value));
}

function fail(session: Session, id: string, method: string, error: unknown, context: ServeContext): void {
  try {
    if (codeOf(error) === undefined) context.onFailure(session, method, error);
  } finally {
    // Whatever was thrown, the request gets its one answer and leaves the "running" state.
    answer(session, id, failureFrame(id, error), context.now());
  }
}

/** Cache `response` for replays and send `text` (by default the same) to the session's socket. */
function answer(session: Session, id: string, response: CachedResponse, now: number, text: string = response as string): void {
  const { dedupe } = session;
  dedupe.finish(id, response, now);
  // The cache's owner, not `session`: a session that ended while this ran may have handed
  // its cache to a new session under the same id, whose socket awaits this answer.
  (dedupe.owner ?? session).link?.send(text);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
