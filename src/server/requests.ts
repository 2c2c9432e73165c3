import type { TimerHandle } from '../env.js';
import { SignalError } from '../errors.js';
import { encodeFrame } from '../protocol/codec.js';
import type { ResponseFrame } from '../protocol/frames.js';
import type { ServerEnv } from './env.js';
import type { Link } from './link.js';

interface InFlight {
  /** The socket the request went out on: only it may answer, and its close fails the request. */
  link: Link;
  method: string;
  resolve(data: unknown): void;
  reject(error: SignalError): void;
  timer: TimerHandle;
}

/**
 * Server-to-client requests awaiting their response, all in one map. They are never
 * replayed: each fails with `CLOSED` when its socket closes, or `TIMEOUT`.
 */
export class ServerRequests {
  private readonly inFlight = new Map<string, InFlight>();
  /** How many requests each socket owes, so a close scans the map only when it owes some. */
  private readonly owed = new Map<Link, number>();
  private lastId = 0;

  constructor(private readonly env: Pick<ServerEnv, 'setTimeout' | 'clearTimeout'>) {}

  /**
   * Send a request on `link` (a welcomed socket of `peerId`). Throws a `BAD_MESSAGE`
   * SignalError at once if `data` is not JSON.
   */
  send(link: Link, peerId: string, method: string, data: unknown, timeout: number): Promise<unknown> {
    const id = `s${++this.lastId}`;
    const text = encodeFrame({ type: 'request', id, method, data });
    return new Promise((resolve, reject) => {
      const timer = this.env.setTimeout(() => {
        this.forget(id);
        reject(new SignalError('TIMEOUT', `request "${method}" to peer "${peerId}" got no response in ${timeout} ms`));
      }, timeout);
      this.inFlight.set(id, { link, method, resolve, reject, timer });
      this.owed.set(link, (this.owed.get(link) ?? 0) + 1);
      link.send(text);
    });
  }

  /** A response received on `link`. Unknown ids (timed out, or another socket's) are ignored. */
  settle(link: Link, frame: ResponseFrame): void {
    const request = this.inFlight.get(frame.id);
    if (request === undefined || request.link !== link) return;
    this.forget(frame.id);
    this.env.clearTimeout(request.timer);
    if (frame.ok) return request.resolve(frame.data);
    const { code, message } = frame.error;
    const text = `peer answered "${request.method}" with ${code}: ${message}`;
    request.reject(new SignalError('REMOTE', text, { remoteCode: code }));
  }

  /** The socket closed: fail what it owes, oldest first. */
  failLink(link: Link, error: SignalError): void {
    if (!this.owed.has(link)) return;
    for (const [id, request] of this.inFlight) {
      if (request.link !== link) continue;
      this.forget(id);
      this.env.clearTimeout(request.timer);
      request.reject(error);
    }
  }

  private forget(id: string): void {
    const request = this.inFlight.get(id);
    if (request === undefined) return;
    this.inFlight.delete(id);
    const owed = this.owed.get(request.link)! - 1;
    if (owed === 0) this.owed.delete(request.link);
    else this.owed.set(request.link, owed);
  }
}
