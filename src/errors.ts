/** Every way a resignal operation can fail. Switch on `err.code`, never on the message. */
export type SignalErrorCode =
  | 'TIMEOUT'
  | 'CLOSED'
  | 'KICKED'
  | 'BUFFER_FULL'
  | 'TOO_LARGE'
  | 'UNREACHABLE'
  | 'ABORTED'
  | 'BAD_MESSAGE'
  | 'REMOTE'
  | 'NOT_REPLAYED'
  /** resignal/e2e: a received payload could not be decrypted and authenticated. */
  | 'DECRYPT_FAILED';

export interface SignalErrorDetails {
  cause?: unknown;
  /** WebSocket close code, for `KICKED` and `CLOSED` caused by the server. */
  closeCode?: number;
  /** WebSocket close reason, for `KICKED`. */
  closeReason?: string;
  /** The server's error code, for `REMOTE`. */
  remoteCode?: string;
}

const BRAND = Symbol.for('resignal.SignalError');

export class SignalError extends Error {
  readonly code: SignalErrorCode;
  readonly closeCode?: number;
  readonly closeReason?: string;
  readonly remoteCode?: string;

  constructor(code: SignalErrorCode, message: string, details: SignalErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'SignalError';
    this.code = code;
    if (details.closeCode !== undefined) this.closeCode = details.closeCode;
    if (details.closeReason !== undefined) this.closeReason = details.closeReason;
    if (details.remoteCode !== undefined) this.remoteCode = details.remoteCode;
    (this as unknown as Record<symbol, true>)[BRAND] = true;
  }
}

/** True for a SignalError from any copy of resignal (another bundle, iframe or realm). */
export function isSignalError(value: unknown): value is SignalError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}
