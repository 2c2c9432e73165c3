// Chunked messages (PROTOCOL.md, "Chunked messages"): a message whose frame would exceed the
// frame limit travels as `chunk` frames, each carrying a slice of the message's JSON text.
// Chunking is framing only: stores, outboxes and replays always hold whole messages, and a
// partial message dies with its socket.
import type { ChunkFrame } from './frames.js';
import { utf8Length } from './codec.js';

/** What a chunk costs a receiver beyond its text: counted so a flood of tiny chunks is bounded too. */
export const CHUNK_OVERHEAD = 64;

const ENVELOPE = '{"type":"chunk","id":,"part":,"parts":,"text":""}'.length;

/**
 * Split a message (one encoded frame) into chunk frames of at most `frameBytes` UTF-8 bytes
 * each. `id` tells this message apart from others in reassembly on the same socket.
 */
export function splitMessage(text: string, id: number, frameBytes: number): string[] {
  // Room for the envelope with `part` and `parts` at their widest (a part holds >= 1 unit).
  const budget = frameBytes - ENVELOPE - String(id).length - 2 * String(text.length).length;
  if (budget < 16) throw new RangeError(`frame limit too small for chunks: ${frameBytes}`);
  const cuts = [0];
  let used = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Bytes this unit costs inside a JSON string literal, exactly as JSON.stringify writes it.
    let cost = 1;
    let width = 1;
    if (c < 0x80) {
      if (c === 0x22 || c === 0x5c) cost = 2;
      else if (c < 0x20) cost = c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 2 : 6;
    } else if (c < 0x800) {
      cost = 2;
    } else if ((c & 0xfc00) === 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      cost = 4; // a pair is never split: each chunk stays well-formed UTF-16
      width = 2;
    } else {
      cost = (c & 0xf800) === 0xd800 ? 6 : 3; // a lone surrogate is written as \uXXXX
    }
    if (used + cost > budget) {
      cuts.push(i);
      used = 0;
    }
    used += cost;
    i += width - 1;
  }
  cuts.push(text.length);
  const parts = cuts.length - 1;
  const frames: string[] = [];
  for (let n = 0; n < parts; n++) {
    frames.push(`{"type":"chunk","id":${id},"part":${n},"parts":${parts},"text":${JSON.stringify(text.slice(cuts[n], cuts[n + 1]))}}`);
  }
  return frames;
}

/** True when `text` does not fit one frame of `frameBytes`. Cheap for small frames: no scan. */
export function overFrame(text: string, frameBytes: number): boolean {
  return text.length * 3 > frameBytes && utf8Length(text) > frameBytes;
}

export interface ReassemblyLimits {
  /** Largest whole message, in UTF-8 bytes of its text. */
  maxMessageBytes: number;
  /** Messages in reassembly at once. */
  maxMessages: number;
  /** Memory held by all partial messages: their text bytes plus CHUNK_OVERHEAD per chunk. */
  maxBytes: number;
}

/** Limits for a side whose largest message is `maxMessageBytes`. */
export function reassemblyLimits(maxMessageBytes: number): ReassemblyLimits {
  return { maxMessageBytes, maxMessages: 4, maxBytes: maxMessageBytes + 64 * 1024 };
}

/**
 * A chunk sequence the receiver refuses. `too-large`: the message is over its limit (the rest
 * of its chunks are skipped). `protocol`: chunks out of order, or too much held in reassembly.
 */
export interface ChunkFault {
  fault: 'too-large' | 'protocol';
  message: string;
}

interface Partial {
  parts: number;
  pieces: string[];
  next: number;
  bytes: number;
  held: number;
  /** Over the message limit: its remaining chunks are read and dropped. */
  skip: boolean;
}

/** Rebuilds messages from the chunks of one socket, within bounded memory. */
export class Reassembler {
  readonly #partials = new Map<number, Partial>();
  #held = 0;

  constructor(readonly limits: ReassemblyLimits) {}

  /** Bytes held by partial messages (CHUNK_OVERHEAD per chunk included). */
  get held(): number {
    return this.#held;
  }

  /** The whole message's text once its last chunk is in; undefined before; a fault if refused. */
  add(frame: ChunkFrame): string | undefined | ChunkFault {
    const { id, part, parts, text } = frame;
    const { maxMessageBytes, maxMessages, maxBytes } = this.limits;
    let partial = this.#partials.get(id);
    if (partial ? part !== partial.next || parts !== partial.parts : part !== 0 || parts < 1) {
      if (partial) this.#drop(id, partial);
      return protocol(`chunk ${part} of ${parts} of message ${id} is out of order`);
    }
    if (!partial) {
      if (this.#partials.size >= maxMessages) return protocol(`more than ${maxMessages} chunked messages in reassembly at once`);
      this.#partials.set(id, (partial = { parts, pieces: [], next: 0, bytes: 0, held: 0, skip: false }));
    }
    const bytes = utf8Length(text);
    const last = ++partial.next === parts;
    const skipped = partial.skip;
    partial.bytes += bytes;
    if (!skipped && partial.bytes > maxMessageBytes) {
      this.#release(partial);
      partial.skip = true;
    }
    if (partial.skip) {
      if (last) this.#partials.delete(id);
      return skipped ? undefined : { fault: 'too-large', message: `a chunked message over ${maxMessageBytes} bytes` };
    }
    const cost = bytes + CHUNK_OVERHEAD;
    if (this.#held + cost > maxBytes) {
      this.#drop(id, partial);
      return protocol(`chunks in reassembly over ${maxBytes} bytes`);
    }
    partial.pieces.push(text);
    partial.held += cost;
    this.#held += cost;
    if (!last) return undefined;
    const { pieces } = partial;
    this.#drop(id, partial);
    return pieces.join('');
  }

  #drop(id: number, partial: Partial): void {
    this.#partials.delete(id);
    this.#release(partial);
  }

  #release(partial: Partial): void {
    this.#held -= partial.held;
    partial.held = 0;
    partial.pieces = [];
  }
}

function protocol(message: string): ChunkFault {
  return { fault: 'protocol', message };
}
