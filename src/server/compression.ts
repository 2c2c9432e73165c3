import type { PerMessageDeflateOptions } from 'ws';

export interface CompressionOptions {
  /**
   * Frames smaller than this many bytes are sent uncompressed: pings, acks and short answers
   * gain nothing from it and cost CPU.
   * @default 1024
   */
  threshold?: number;
  /** zlib level, 1 (fastest) to 9 (smallest). @default 6 */
  level?: number;
  /**
   * Keep the compression context between frames of a socket. Much better for signaling
   * (each SDP repeats most of the previous one) but each socket then holds its zlib
   * contexts while it lives. False compresses each frame alone: less memory, less saved.
   * @default true
   */
  contextTakeover?: boolean;
}

/** The `ws` setting for the server's `perMessageDeflate` option: false, or what to offer. */
export function deflateSettings(option: boolean | CompressionOptions | undefined): false | PerMessageDeflateOptions {
  if (option === undefined || option === false) return false;
  const o = option === true ? {} : option;
  if (typeof o !== 'object' || o === null) throw new TypeError('SignalingServer: option "perMessageDeflate" must be a boolean or { threshold, level, contextTakeover }');
  const threshold = o.threshold ?? 1024;
  const level = o.level ?? 6;
  if (!Number.isInteger(threshold) || threshold < 0) throw new TypeError(`SignalingServer: option "perMessageDeflate.threshold" must be an integer >= 0, got ${String(threshold)}`);
  if (!Number.isInteger(level) || level < 1 || level > 9) throw new TypeError(`SignalingServer: option "perMessageDeflate.level" must be an integer from 1 to 9, got ${String(level)}`);
  const takeover = o.contextTakeover ?? true;
  return {
    threshold,
    zlibDeflateOptions: { level },
    serverNoContextTakeover: !takeover,
    clientNoContextTakeover: !takeover,
  };
}
