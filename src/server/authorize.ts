import { codeOf, messageOf } from './responses.js';

/** What `rooms.authorize` is asked about one `join`. */
export interface AuthorizeJoin {
  peerId: string;
  /** What `authenticate` returned as `auth` for the socket the `join` came on (undefined without it). */
  auth: unknown;
  room: string;
  /** The `meta` the peer joins with (null when none), already within `maxMetaBytes`. */
  meta: unknown;
}

/**
 * Decides whether a peer may join a room. Return `true` (or a promise of it) to allow.
 * Anything else refuses, and the `join` fails with a code the client sees as `remoteCode`:
 * a string is that code (1-64 characters of `[A-Za-z0-9_.:-]`, else `forbidden`), a throw
 * uses the error's string `code` (else `forbidden`) and its message, and `false` or any other
 * value is `forbidden`. It runs once per `join` request id, before the room changes.
 */
export type Authorize = (join: AuthorizeJoin) => unknown;

/** A refused join: `code` and `message` for the error response. */
export interface Refusal {
  code: string;
  message: string;
}

const CODE = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Ask `authorize`; undefined means allowed. Never throws, whatever the hook does. */
export async function askAuthorize(authorize: Authorize, join: AuthorizeJoin): Promise<Refusal | undefined> {
  const denied = `not allowed to join room "${join.room}"`;
  let verdict: unknown;
  try {
    verdict = await authorize(join);
  } catch (error) {
    const code = codeOf(error);
    return { code: code !== undefined && CODE.test(code) ? code : 'forbidden', message: `${denied}: ${messageOf(error)}` };
  }
  if (verdict === true) return undefined;
  if (typeof verdict === 'string' && CODE.test(verdict)) return { code: verdict, message: `${denied} (${verdict})` };
  return { code: 'forbidden', message: denied };
}
