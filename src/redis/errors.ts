/** Why a Redis store operation failed. */
export type RedisStoreErrorCode =
  /**
   * Redis is unreachable: the operation did not run; or the connection dropped while it was
   * in flight, and it may have run (the message says which). Retry once the store reports `up`.
   */
  | 'UNAVAILABLE'
  /** No reply within `commandTimeout`: the operation may or may not have run, and Redis is treated as down until it answers again. */
  | 'TIMEOUT'
  /** Redis came back without its data (a new scope): sessions of the old scope are gone. */
  | 'RESET'
  /** `connect()` could not reach Redis within `connectTimeout`. */
  | 'CONNECT_FAILED';

/** A Redis store operation that failed closed. Switch on `code`, never on the message. */
export class RedisStoreError extends Error {
  readonly code: RedisStoreErrorCode;
  constructor(code: RedisStoreErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'RedisStoreError';
    this.code = code;
  }
}
