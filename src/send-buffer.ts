import type { Env, TimerHandle } from './env.js';
import { SignalError } from './errors.js';
import type { SendBufferOptions } from './options.js';

export interface RequestEntryInit {
  id: string;
  method: string;
  /** The encoded request frame, without the replay mark. */
  text: string;
  bytes: number;
  timeout: number;
  signal?: AbortSignal | undefined;
  /** Send it again after a reconnect if it was already written once. */
  replay: boolean;
}

/** A request waiting for its response. A class with fixed fields: this is the per-request hot path. */
class RequestEntry {
  readonly kind = 'request';
  readonly id: string;
  readonly method: string;
  readonly text: string;
  readonly bytes: number;
  readonly timeout: number;
  readonly signal: AbortSignal | undefined;
  readonly replay: boolean;
  sent = false;
  timer: TimerHandle = undefined;
  onAbort: (() => void) | undefined = undefined;

  constructor(
    init: RequestEntryInit,
    readonly resolve: (data: unknown) => void,
    readonly reject: (error: SignalError) => void,
  ) {
    this.id = init.id;
    this.method = init.method;
    this.text = init.text;
    this.bytes = init.bytes;
    this.timeout = init.timeout;
    this.signal = init.signal;
    this.replay = init.replay;
  }
}

interface NotificationEntry {
  kind: 'notification';
  text: string;
  bytes: number;
  method: string;
}

/** What the attached link can carry (chunked or not), and how to say that a message does not fit. */
export interface LinkFit {
  /** Largest message, in bytes of its frame (a replay's mark included). */
  maxBytes: number;
  tooLarge(what: string, bytes: number): SignalError;
  /** A queued notification did not fit the link and was dropped. */
  dropped(error: SignalError): void;
}

const ANY_SIZE: LinkFit = { maxBytes: Infinity, tooLarge: () => new SignalError('TOO_LARGE', ''), dropped: () => {} };

type Entry = RequestEntry | NotificationEntry;

/** Appended to a request frame that is sent again. Requests must leave room for it (see Peer.request). */
export const REPLAY_MARK = ',"replay":true';

/**
 * Every outbound application message passes through here. While a link is attached, messages
 * are written at once; otherwise they queue in order. Requests stay until answered and are
 * written again (marked as replays) on the next link; notifications are forgotten once written.
 */
export class SendBuffer {
  // One insertion-ordered map keeps requests and queued notifications in their original order.
  readonly #entries = new Map<string, Entry>();
  #heldBytes = 0;
  #notificationSeq = 0;
  #write: ((text: string) => void) | null = null;
  #fit: LinkFit = ANY_SIZE;
  /** Messages written to a socket so far. */
  written = 0;

  readonly #limits: Required<SendBufferOptions>;
  readonly #env: Pick<Env, 'setTimeout' | 'clearTimeout'>;

  constructor(limits: Required<SendBufferOptions>, env: Pick<Env, 'setTimeout' | 'clearTimeout'>) {
    this.#limits = limits;
    this.#env = env;
  }

  get messages(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#heldBytes;
  }

  request(init: RequestEntryInit): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (init.signal?.aborted) return reject(aborted(init.method, init.signal));
      const full = this.#checkRoom(init.bytes, `request "${init.method}"`) ?? (this.#write ? this.#checkFit(init.bytes + REPLAY_MARK.length, `request "${init.method}"`) : undefined);
      if (full) return reject(full);
      const entry = new RequestEntry(init, resolve, reject);
      entry.timer = this.#env.setTimeout(() => {
        this.#fail(entry, new SignalError('TIMEOUT', `request "${init.method}" got no response in ${init.timeout} ms; the server may be slow or unreachable (raise \`timeout\` or \`requestTimeout\` if this is expected)`));
      }, init.timeout);
      if (init.signal) {
        const signal = init.signal;
        entry.onAbort = () => this.#fail(entry, aborted(init.method, signal));
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.#entries.set(init.id, entry);
      this.#heldBytes += init.bytes;
      if (this.#write) this.#writeRequest(entry, this.#write);
    });
  }

  /** Queue or write a notification. Throws `BUFFER_FULL` rather than dropping anything. */
  notify(text: string, bytes: number, method: string): void {
    if (this.#write) {
      const tooLarge = this.#checkFit(bytes, `notification "${method}"`);
      if (tooLarge) throw tooLarge;
      this.#write(text);
      this.written++;
      return;
    }
    const full = this.#checkRoom(bytes, `notification "${method}"`);
    if (full) throw full;
    this.#entries.set(`~${this.#notificationSeq++}`, { kind: 'notification', text, bytes, method });
    this.#heldBytes += bytes;
  }

  /**
   * A link opened: write everything held, in original order, and write directly from now on.
   * What the link cannot carry (`fit`) fails with `TOO_LARGE` instead of being written.
   */
  attach(write: (text: string) => void, fit: LinkFit = ANY_SIZE): void {
    this.#write = write;
    this.#fit = fit;
    for (const [key, entry] of this.#entries) {
      if (entry.kind === 'request') {
        const tooLarge = this.#checkFit(entry.bytes + REPLAY_MARK.length, `request "${entry.method}"`);
        if (tooLarge) this.#fail(entry, tooLarge);
        else this.#writeRequest(entry, write);
      } else {
        this.#entries.delete(key);
        this.#heldBytes -= entry.bytes;
        const tooLarge = this.#checkFit(entry.bytes, `notification "${entry.method}"`);
        if (tooLarge) {
          fit.dropped(tooLarge);
          if (this.#write !== write) return; // a listener closed the Peer or replaced the link
          continue;
        }
        write(entry.text);
        this.written++;
      }
    }
  }

  /** The link dropped: queue from now on. Requests that must not be replayed fail now. */
  detach(): void {
    this.#write = null;
    for (const entry of this.#entries.values()) {
      if (entry.kind === 'request' && entry.sent && !entry.replay) {
        this.#fail(entry, new SignalError('NOT_REPLAYED', `request "${entry.method}" was sent, then the link dropped before a response; it was created with replay: false, so it is not sent again (it may or may not have run on the server)`));
      }
    }
  }

  /** Deliver a response. Unknown ids (late, duplicate, or timed-out requests) are ignored. */
  settle(id: string, outcome: { ok: true; data: unknown } | { ok: false; error: SignalError }): boolean {
    const entry = this.#entries.get(id);
    if (!entry || entry.kind !== 'request') return false;
    this.#remove(id, entry);
    if (outcome.ok) entry.resolve(outcome.data);
    else entry.reject(outcome.error);
    return true;
  }

  /** Reject every request and drop every queued notification (terminal close). */
  failAll(error: SignalError): void {
    this.#write = null;
    for (const [id, entry] of this.#entries) {
      if (entry.kind === 'request') {
        this.#remove(id, entry);
        entry.reject(error);
      }
    }
    this.#entries.clear();
    this.#heldBytes = 0;
  }

  #writeRequest(entry: RequestEntry, write: (text: string) => void): void {
    // A replay carries the same id plus a mark, so the server can answer it from its cache.
    write(entry.sent ? `${entry.text.slice(0, -1)}${REPLAY_MARK}}` : entry.text);
    entry.sent = true;
    this.written++;
  }

  #checkFit(bytes: number, what: string): SignalError | undefined {
    return bytes > this.#fit.maxBytes ? this.#fit.tooLarge(what, bytes) : undefined;
  }

  #checkRoom(bytes: number, what: string): SignalError | undefined {
    if (this.#entries.size + 1 > this.#limits.maxMessages || this.#heldBytes + bytes > this.#limits.maxBytes) {
      return new SignalError('BUFFER_FULL', `${what} does not fit in the send buffer (${this.#entries.size} messages, ${this.#heldBytes} bytes held; limits ${this.#limits.maxMessages} messages, ${this.#limits.maxBytes} bytes); wait for the link to come back or raise sendBuffer limits`);
    }
    return undefined;
  }

  #fail(entry: RequestEntry, error: SignalError): void {
    if (this.#entries.get(entry.id) !== entry) return;
    this.#remove(entry.id, entry);
    entry.reject(error);
  }

  #remove(id: string, entry: RequestEntry): void {
    this.#entries.delete(id);
    this.#heldBytes -= entry.bytes;
    this.#env.clearTimeout(entry.timer);
    if (entry.onAbort) entry.signal?.removeEventListener('abort', entry.onAbort);
  }
}

function aborted(method: string, signal: AbortSignal): SignalError {
  return new SignalError('ABORTED', `request "${method}" was aborted by its AbortSignal; it is not sent or replayed`, { cause: signal.reason });
}
