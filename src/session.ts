import type { HelloFrame, WelcomeFrame } from './protocol/frames.js';
import { PROTOCOL_VERSION } from './protocol/version.js';

/**
 * What the client remembers of its server session: the peer id and secret that resume it,
 * and the highest notification `seq` seen. A lone server numbers its own sessions, so the
 * seq is kept per url: failing over A -> B -> A acks A's own numbering. Servers sharing a
 * store (a cluster) name their one numbering with `welcome.scope`: the seq is then kept per
 * scope, whichever node of it the client is on.
 */
export class ClientSession {
  #peerId: string | undefined;
  #secret: string | undefined;
  /** From the latest welcome. */
  iceServers: WelcomeFrame['iceServers'];
  /** Highest seq seen, by scope (or by url for servers without one). */
  readonly #seqByKey = new Map<string, number>();
  /** The scope each url last welcomed with (undefined: none). */
  readonly #scopeByUrl = new Map<string, string | undefined>();
  /** The scope of the session held now. */
  #scope: string | undefined;
  /** Notifications this link's `welcome.lost` already reported: seq jumps up to this many are not counted again. */
  #excused = 0;

  get id(): string | undefined {
    return this.#peerId;
  }

  /** Highest notification seq received from the session on `url` (0 = none). */
  ack(url: string): number {
    return this.#seqByKey.get(this.#key(url)) ?? 0;
  }

  /** A url never welcomed yet may be another node of the current scope: assume it is. */
  #key(url: string): string {
    return (this.#scopeByUrl.has(url) ? this.#scopeByUrl.get(url) : this.#scope) ?? url;
  }

  hello(url: string, token: string | undefined): HelloFrame {
    const hello: HelloFrame = { type: 'hello', version: PROTOCOL_VERSION };
    if (token !== undefined) hello.token = token;
    if (this.#peerId !== undefined && this.#secret !== undefined) {
      hello.resume = { peer: this.#peerId, secret: this.#secret };
      // A cluster's session has one numbering, whichever node the url is.
      const scope = this.#scope;
      hello.ack = scope === undefined ? this.ack(url) : (this.#seqByKey.get(scope) ?? 0);
      if (scope !== undefined) hello.scope = scope;
    }
    return hello;
  }

  welcomed(url: string, welcome: WelcomeFrame): void {
    this.#scope = welcome.scope;
    this.#scopeByUrl.set(url, welcome.scope);
    // A new session numbers from 1 again, even under the same id.
    if (!welcome.resumed || welcome.peer !== this.#peerId) this.#seqByKey.set(this.#key(url), 0);
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
    this.#seqByKey.set(this.#key(url), seq);
    let missing = seq - last - 1;
    if (missing > 0 && this.#excused > 0) {
      const excused = Math.min(missing, this.#excused);
      this.#excused -= excused;
      missing -= excused;
    }
    return missing;
  }
}
