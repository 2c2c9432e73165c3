import type { TimerHandle } from '../env.js';
import type { ServerEnv } from './env.js';
import { MAX_TIMER_DELAY } from '../protocol/codec.js';
import { messageOf } from './responses.js';

/** `authenticate`'s answer, read once: accepted with what it said, or refused with a reason. */
export type Verdict = { accepted: true; auth: unknown; expiresAt: number | undefined } | { accepted: false; reason: string };

/**
 * Read what `authenticate` returned (PROTOCOL.md "Close codes", README "Security model"):
 * `true` or an object accepts; `false`, a string or anything else refuses. Never throws,
 * whatever the object's getters do; an invalid or past `expiresAt` refuses.
 */
export function readVerdict(verdict: unknown, now: number): Verdict {
  if (verdict === true) return { accepted: true, auth: undefined, expiresAt: undefined };
  if (typeof verdict === 'string' && verdict !== '') return { accepted: false, reason: verdict };
  if (typeof verdict !== 'object' || verdict === null || Array.isArray(verdict)) return { accepted: false, reason: 'unauthorized' };
  let auth: unknown;
  let expiresAt: unknown;
  try {
    ({ auth, expiresAt } = verdict as { auth?: unknown; expiresAt?: unknown });
  } catch (error) {
    return { accepted: false, reason: `authenticate returned an unreadable object: ${messageOf(error)}` };
  }
  if (expiresAt === undefined) return { accepted: true, auth, expiresAt: undefined };
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) {
    return { accepted: false, reason: 'authenticate returned an invalid expiresAt (ms since the epoch expected)' };
  }
  if (expiresAt <= now) return { accepted: false, reason: 'token expired; fetch a fresh one' };
  return { accepted: true, auth, expiresAt };
}

/**
 * Call `onExpire` at `expiresAt` (epoch ms). Timers cannot wait more than ~24.8 days, so a
 * later time is reached in steps. Returns the first timer; `rearm` receives each next one.
 */
export function expireAt(
  expiresAt: number,
  env: Pick<ServerEnv, 'now' | 'setTimeout'>,
  onExpire: () => void,
  rearm: (timer: TimerHandle) => void,
): TimerHandle {
  const wait = Math.max(0, expiresAt - env.now());
  return env.setTimeout(() => {
    if (env.now() >= expiresAt) onExpire();
    else rearm(expireAt(expiresAt, env, onExpire, rearm));
  }, Math.min(wait, MAX_TIMER_DELAY));
}
