// The server's edge of chunked messages (PROTOCOL.md, "Chunked messages"): reassembly as frames
// arrive, before anything else sees them. Everything past this point (dedupe, outbox, rooms,
// stores) handles whole messages only; Link.send splits what it writes.
import { reassemblyLimits, Reassembler } from '../protocol/chunks.js';
import { decodeFrame } from '../protocol/codec.js';
import { ClientFrame } from '../protocol/frame-guards.js';
import type { ChunkFrame, ClientFrame as AnyClientFrame } from '../protocol/frames.js';
import { CloseCode } from '../protocol/close-codes.js';
import type { Link } from './link.js';

export type WholeFrame = Exclude<AnyClientFrame, ChunkFrame>;

/** A frame to dispatch, or why the socket must close (`code`, `message` as the reason). */
export type ReadFrame = { ok: true; frame: WholeFrame } | { ok: false; code: number; message: string };

/**
 * Decode a client frame. A chunk goes to its socket's reassembly: undefined until its message
 * is complete, then that message, decoded. Reassembly memory is created on the first chunk
 * and bounded by `maxSignalBytes` per message and per socket.
 */
export function readFrame(link: Link, text: unknown, maxSignalBytes: number): ReadFrame | undefined {
  const decoded = decodeFrame(ClientFrame, text);
  if (!decoded.ok) return protocolError(decoded.error.message);
  const frame = decoded.frame;
  if (frame.type !== 'chunk') return decoded as ReadFrame;
  if (link.state !== 'open') return protocolError('received "chunk" before "welcome"');
  link.reassembly ??= new Reassembler(reassemblyLimits(maxSignalBytes));
  const read = link.reassembly.add(frame);
  if (read === undefined) return undefined;
  if (typeof read !== 'string') {
    if (read.fault === 'protocol') return protocolError(read.message);
    return { ok: false, code: CloseCode.MESSAGE_TOO_BIG, message: `message too big: over maxSignalBytes (${maxSignalBytes})` };
  }
  const whole = decodeFrame(ClientFrame, read);
  if (!whole.ok) return protocolError(`a chunked message: ${whole.error.message}`);
  if (whole.frame.type === 'chunk') return protocolError('a chunked message holds a chunk');
  return whole as ReadFrame;
}

function protocolError(message: string): ReadFrame {
  return { ok: false, code: CloseCode.PROTOCOL_ERROR, message };
}
