import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Bytes of a random per-process key, used when no `secretKey` is configured. */
const RANDOM_KEY_BYTES = 32;

/**
 * Session secrets the server can verify without remembering the session: the secret of a
 * peer id is HMAC-SHA256(secretKey, peerId), base64url. Any node holding the same key (a
 * cluster, or this process after a restart) can tell the owner of an id from a guesser.
 */
export class Secrets {
  private readonly key: Buffer;

  /** `key` as configured; undefined draws a random one (ids then do not survive a restart). */
  constructor(key: string | Buffer | undefined, random: (bytes: number) => Buffer = randomBytes) {
    this.key = key === undefined ? random(RANDOM_KEY_BYTES) : Buffer.from(key);
  }

  /** The secret that proves ownership of `peerId`. */
  of(peerId: string): string {
    return createHmac('sha256', this.key).update(peerId).digest('base64url');
  }

  /** Whether `secret` is the secret of `peerId`, compared in constant time. */
  verify(peerId: string, secret: string): boolean {
    return sameText(this.of(peerId), secret);
  }
}

/** Constant-time comparison, so a secret cannot be guessed from response timings. */
export function sameText(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
