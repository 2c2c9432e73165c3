import type { HelloFrame, WelcomeFrame } from './protocol/frames.js';
import { PROTOCOL_VERSION } from './protocol/version.js';

/**
 * What the client remembers of its server session: the peer id and secret that resume it,
 * and the highest notification `seq` seen. Sessions and their numbering live on one
 * server, so the seq is kept per url: failing over A -> B -> A acks A's own numbering.
 */
export class ClientSession {
  #peerId: string | undefined;
  #secret: string | undefined;
  /** From the latest welcome. */
  iceServers: WelcomeFrame['iceServers'];
  readonly #seqByUrl = new Map<string, number>();
  /** Notifications this link's `welcome.lost` already reported: seq jumps up to this many are not counted again. */
  #excused = 0;

  get id(): string | undefined {
    return this.#peerId;
  }

  /** Highest notification seq received from the session on `url` (0 = none). */
  ack(url: string): number {
    return this.#seqByUrl.get(url) ?? 0;
  }

  hello(url: string, token: string | undefined): HelloFrame {
    const hello: HelloFrame = { type: 'hello', version: PROTOCOL_VERSION };
    if (token !== undefined) hello.token = token;
    if (this.#peerId !== undefined && this.#secret !== undefined) {
      hello.resume = { peer: this.#peerId, secret: this.#secret };
      hello.ack = this.ack(url);
    }
    return hello;
  }

  welcomed(url: string, welcome: WelcomeFrame): void {
    // A new session numbers from 1 again, even under the same id.
    if (!welcome.resumed || welcome.peer !== this.#peerId) this.#seqByUrl.set(url, 0);
    this.#peerId = welcome.peer;
    this.#secret = welcome.secret;
    this.#excused = welcome.lost?.count ?? 0;
    this.iceServers = welcome.iceServers;
  }

  /**
   * -1 for a notification seen before (resent after a resume): deliver each once. Otherwise
   * how many notifications went missing just before this one (a jump in seq), not counting
   * those the `welcome` of this link already reported as lost: usually 0.
   */
  accept(url: string, seq: number | undefined): number {
    if (seq === undefined) return 0;
    const last = this.ack(url);
    if (seq <= last) return -1;
    this.#seqByUrl.set(url, seq);
    let missing = seq - last - 1;
    if (missing > 0 && this.#excused > 0) {
      const excused = Math.min(missing, this.#excused);
      this.#excused -= excused;
      missing -= excused;
    }
    return missing;
  }
}
