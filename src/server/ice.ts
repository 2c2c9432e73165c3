import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { IceServer } from '../protocol/frames.js';

export interface IceServersContext {
  /** The session's peer id. */
  peerId: string;
  /** The HTTP upgrade request of the socket being welcomed. */
  req: IncomingMessage;
}

/**
 * Hands each peer its ICE servers in every `welcome` (so a reconnect gets fresh TURN
 * credentials). Synchronous: compute credentials locally (see `turnCredentials`).
 */
export type IceServersHook = (ctx: IceServersContext) => IceServer[] | undefined;

export interface TurnCredentialsOptions {
  /** The TURN server's shared secret (coturn `static-auth-secret`). */
  secret: string;
  /** TURN/STUN URLs, e.g. `['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349']`. */
  urls: string | string[];
  /** Whose credentials: bound into the username, so they can be traced and revoked. */
  peerId: string;
  /** How long (s) the credentials stay valid. @default 86400 */
  ttl?: number;
  /** Current time in ms (tests). @default Date.now() */
  now?: number;
}

/**
 * Time-limited TURN credentials in the "TURN REST API" style coturn checks with
 * `use-auth-secret`: username `<expiry unix seconds>:<peerId>`, credential
 * base64(HMAC-SHA1(secret, username)). The secret never leaves the server.
 */
export function turnCredentials(options: TurnCredentialsOptions): IceServer {
  const ttl = options.ttl ?? 86_400;
  if (!(ttl > 0)) throw new TypeError(`turnCredentials: \`ttl\` must be a number of seconds above 0, got ${String(ttl)}`);
  if (typeof options.secret !== 'string' || options.secret === '') throw new TypeError('turnCredentials: `secret` must be the TURN server\'s non-empty shared secret');
  const expiry = Math.floor((options.now ?? Date.now()) / 1000 + ttl);
  const username = `${expiry}:${options.peerId}`;
  const credential = createHmac('sha1', options.secret).update(username).digest('base64');
  return { urls: options.urls, username, credential };
}

/** The hook's answer for one welcome; a throwing hook costs the peer its ICE servers, not its link. */
export function iceServersFor(hook: IceServersHook | undefined, ctx: IceServersContext, report: (error: unknown) => void): IceServer[] | undefined {
  if (hook === undefined) return undefined;
  try {
    const servers = hook(ctx);
    if (servers === undefined) return undefined;
    if (!Array.isArray(servers) || servers.some((s) => typeof s !== 'object' || s === null || (typeof s.urls !== 'string' && !Array.isArray(s.urls)))) {
      throw new TypeError(`the iceServers hook must return an array of { urls, username?, credential? }, got ${JSON.stringify(servers)?.slice(0, 100)}`);
    }
    return servers;
  } catch (error) {
    report(error);
    return undefined;
  }
}
