import { SignalError } from './errors.js';
import { overFrame, reassemblyLimits, Reassembler, splitMessage } from './protocol/chunks.js';
import type { ChunkFrame } from './protocol/frames.js';

/**
 * How far a received message may exceed `maxSignalBytes`: a relayed room signal carries the
 * server's envelope (sender id, seq) around data its sender fitted under the same limit.
 */
const ENVELOPE_SLACK = 1024;

/**
 * The chunking of one link, on the client: splits what the Peer writes into frames of at most
 * `maxMessageBytes` once the server's `welcome` says it takes chunks, and rebuilds chunked
 * messages it reads. Partial messages die with the link; SendBuffer replays whole requests.
 */
export class LinkChunks {
  #nextId = 0;
  /** Frame limit of outbound messages; 0 until the server says it takes chunks. */
  #frameBytes = 0;
  readonly #reassembler: Reassembler;

  constructor(
    private readonly maxMessageBytes: number,
    private readonly maxSignalBytes: number,
  ) {
    this.#reassembler = new Reassembler(reassemblyLimits(maxSignalBytes + ENVELOPE_SLACK));
  }

  /**
   * The server's `welcome.chunks` (absent from a server without chunks). Returns the largest
   * message this link carries, and the error for one that is larger.
   */
  welcomed(serverChunks: number | undefined): { maxBytes: number; tooLarge(what: string, bytes: number): SignalError } {
    const { maxMessageBytes: frame, maxSignalBytes: own } = this;
    if (serverChunks) this.#frameBytes = frame;
    const maxBytes = serverChunks ? Math.min(own, Math.max(frame, serverChunks)) : Math.min(own, frame);
    const limit =
      maxBytes === own
        ? `maxSignalBytes (${own})`
        : serverChunks
          ? `the server's maxSignalBytes (${serverChunks})`
          : `maxMessageBytes (${frame}), and this server takes no chunked messages (an older server); send less data per message, raise maxMessageBytes with the server's maxPayload, or upgrade the server`;
    return { maxBytes, tooLarge: (what, bytes) => new SignalError('TOO_LARGE', `${what} is ${bytes} bytes encoded, over ${limit}${serverChunks ? '; send less data per message or raise the limit on both client and server' : ''}`) };
  }

  /** Write one message: as one frame, or as chunks when it is over the frame limit. */
  write(send: (text: string) => void, text: string): void {
    if (this.#frameBytes === 0 || !overFrame(text, this.#frameBytes)) return send(text);
    for (const frame of splitMessage(text, this.#nextId++, this.#frameBytes)) send(frame);
  }

  /** A received chunk: the whole message's text once complete, or the error to report. */
  read(frame: ChunkFrame): string | undefined | SignalError {
    const result = this.#reassembler.add(frame);
    if (result === undefined || typeof result === 'string') return result;
    const tooLarge = result.fault === 'too-large';
    return new SignalError(tooLarge ? 'TOO_LARGE' : 'BAD_MESSAGE', `the server sent ${result.message}${tooLarge ? ' (maxSignalBytes)' : ''}; that message was dropped${tooLarge ? ': raise maxSignalBytes to receive such messages' : ''}`);
  }
}
