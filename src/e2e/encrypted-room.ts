import { EventEmitter } from 'eventemitter3';
import { SignalError } from '../errors.js';
import type { PeerJoinedEvent, PeerLeftEvent, RejoinedEvent, Room, RoomBroadcastEvent, RoomMember, RoomSignalEvent } from '../room.js';
import { deriveRoomKey, open, seal, secretBytes, type Binding, type WebCryptoLike } from './cipher.js';

export interface EncryptRoomOptions {
  /**
   * The secret every member shares, agreed out of band (never through the signaling
   * server): at least 16 bytes of random data, e.g. from the invite link's URL fragment.
   */
  secret: string | Uint8Array;
  /** This side's Peer (its `id` is the sender bound into every payload). */
  peer: { readonly id: string | undefined };
  /** WebCrypto. @default globalThis.crypto (browsers in a secure context, Node 20+) */
  crypto?: WebCryptoLike;
  /** Where an `undecryptable` payload goes when nobody listens for that event. @default console.warn */
  onUnhandled?: (event: UndecryptableEvent) => void;
}

/** Why a received payload was not delivered. */
export type UndecryptableReason = 'not-encrypted' | 'malformed' | 'unauthentic' | 'replayed';

export interface UndecryptableEvent {
  /** The sender id the server claims. */
  from: string;
  method: 'signal' | 'broadcast';
  reason: UndecryptableReason;
  /** A `DECRYPT_FAILED` SignalError saying what happened and what to check. */
  error: SignalError;
}

export interface EncryptedRoomEvents {
  /** A signal from `from`, decrypted and authenticated. */
  signal: (event: RoomSignalEvent) => void;
  broadcast: (event: RoomBroadcastEvent) => void;
  /** A payload that could not be decrypted and authenticated; it is not delivered. */
  undecryptable: (event: UndecryptableEvent) => void;
  'peer-joined': (event: PeerJoinedEvent) => void;
  'peer-left': (event: PeerLeftEvent) => void;
  rejoined: (event: RejoinedEvent) => void;
  error: (error: SignalError) => void;
}

/** Random IVs remembered per room to spot a payload delivered twice (a replay by the relay). */
const REMEMBERED_IVS = 4096;

const EXPLAIN: Record<UndecryptableReason, string> = {
  'not-encrypted': 'arrived unencrypted; every member of an encrypted room must encrypt (an old client, or someone without the secret)',
  malformed: 'is not a valid encrypted payload (wrong format version or damaged encoding)',
  unauthentic: 'failed authentication: the sender used another secret, or the payload was altered, or it was made for another room, sender or recipient',
  replayed: 'was delivered before (the same IV and ciphertext again): a replay, dropped',
};

/**
 * A Room whose `signal` and `broadcast` payloads are encrypted end to end (AES-256-GCM, key
 * derived from a shared secret). The server relays `{ e2e, iv, ct }` and learns nothing of
 * the data. Pass it to `negotiate()` in place of the Room.
 */
export class EncryptedRoom extends EventEmitter<EncryptedRoomEvents> {
  readonly room: Room;
  readonly #crypto: WebCryptoLike;
  /** Derived in the background: the Room is listened to at once, so no early signal is missed. */
  readonly #key: Promise<CryptoKey>;
  readonly #peer: { readonly id: string | undefined };
  readonly #onUnhandled: (event: UndecryptableEvent) => void;
  /** Encryption is asynchronous: sends are sealed one after another so they leave in call order. */
  #sealing: Promise<unknown> = Promise.resolve();
  /** Decryption too: received payloads are delivered in the order they came. */
  #opening: Promise<void> = Promise.resolve();
  readonly #seen = new Set<string>();
  readonly #unsubscribe: Array<() => void> = [];
  #closed = false;

  /** Use `encryptRoom()`, which derives the key. */
  constructor(room: Room, key: Promise<CryptoKey>, options: EncryptRoomOptions & { crypto: WebCryptoLike }) {
    super();
    this.room = room;
    this.#key = key;
    this.#crypto = options.crypto;
    this.#peer = options.peer;
    this.#onUnhandled = options.onUnhandled ?? ((e) => console.warn(`resignal e2e: ${e.error.message}`));
    this.#listen('signal', (e: RoomSignalEvent) => this.#receive('signal', e.from, e.data));
    this.#listen('broadcast', (e: RoomBroadcastEvent) => this.#receive('broadcast', e.from, e.data));
    for (const event of ['peer-joined', 'peer-left', 'rejoined', 'error'] as const) {
      this.#listen(event, (e: unknown) => (this.emit as (event: string, e: unknown) => boolean)(event, e));
    }
  }

  get name(): string {
    return this.room.name;
  }

  get peers(): ReadonlyMap<string, RoomMember> {
    return this.room.peers;
  }

  /** Encrypt `data` for `to` alone and send it. */
  signal(to: string, data: unknown): Promise<void> {
    return this.#send({ method: 'signal', to }, data);
  }

  /** Encrypt `data` for every other member and send it. */
  broadcast(data: unknown): Promise<void> {
    return this.#send({ method: 'broadcast', to: '' }, data);
  }

  /** Stop decrypting (the Room stays joined). Idempotent. */
  close(): void {
    this.#closed = true;
    for (const off of this.#unsubscribe.splice(0)) off();
  }

  /** Leave the room, and stop decrypting. */
  leave(): Promise<void> {
    this.close();
    return this.room.leave();
  }

  #listen(event: string, fn: (e: never) => void): void {
    const room = this.room as unknown as { on(e: string, f: unknown): void; off(e: string, f: unknown): void };
    room.on(event, fn);
    this.#unsubscribe.push(() => room.off(event, fn));
  }

  #send(target: Pick<Binding, 'method' | 'to'>, data: unknown): Promise<void> {
    if (this.#closed) return Promise.reject(new SignalError('CLOSED', `${target.method} in encrypted room "${this.name}" was not sent: close() was called`));
    const sealed = this.#sealing.then(() => {
      const from = this.#peer.id;
      if (from === undefined) throw new SignalError('CLOSED', `${target.method} in encrypted room "${this.name}" was not sent: the Peer has no id yet (join the room first)`);
      return this.#key.then((key) => seal(this.#crypto, key, { ...target, room: this.name, from }, data));
    });
    this.#sealing = sealed.catch(() => {});
    // Each `then` runs once its seal resolved, and seals resolve in call order.
    return sealed.then((envelope) => (target.method === 'signal' ? this.room.signal(target.to, envelope) : this.room.broadcast(envelope)));
  }

  #receive(method: Binding['method'], from: string, payload: unknown): void {
    this.#opening = this.#opening.then(async () => {
      const me = this.#peer.id ?? '';
      const opened = await open(this.#crypto, await this.#key, { method, room: this.name, from, to: method === 'signal' ? me : '' }, payload);
      if (this.#closed) return;
      if (!opened.ok) return this.#reject(method, from, opened.why);
      if (this.#seen.has(opened.iv)) return this.#reject(method, from, 'replayed');
      this.#remember(opened.iv);
      (this.emit as (event: string, e: unknown) => boolean)(method, { from, data: opened.data });
    }).catch((error: unknown) => this.#onUnhandled({ from, method, reason: 'malformed', error: new SignalError('DECRYPT_FAILED', `a listener threw: ${String(error)}`, { cause: error }) }));
  }

  #remember(iv: string): void {
    this.#seen.add(iv);
    if (this.#seen.size > REMEMBERED_IVS) this.#seen.delete(this.#seen.values().next().value as string);
  }

  #reject(method: Binding['method'], from: string, reason: UndecryptableReason): void {
    const error = new SignalError('DECRYPT_FAILED', `a ${method} from "${from}" in room "${this.name}" ${EXPLAIN[reason]}`);
    const event: UndecryptableEvent = { from, method, reason, error };
    if (this.listenerCount('undecryptable') > 0) this.emit('undecryptable', event);
    else this.#onUnhandled(event);
  }
}

/**
 * Wrap a joined Room so its signals and broadcasts are encrypted end to end. The key is
 * derived from `secret` and the room name; the secret never leaves this side. Call it right
 * after `Room.join()` resolves (before awaiting anything else), like adding the Room's listeners.
 */
export function encryptRoom(room: Room, options: EncryptRoomOptions): EncryptedRoom {
  const crypto = options.crypto ?? (globalThis as { crypto?: WebCryptoLike }).crypto;
  if (crypto?.subtle === undefined || typeof crypto.getRandomValues !== 'function') {
    throw new TypeError("resignal e2e: WebCrypto is not available (browsers only offer crypto.subtle on https:// or localhost pages); pass `crypto` (in Node: import { webcrypto } from 'node:crypto')");
  }
  if (typeof options.peer !== 'object' || options.peer === null) throw new TypeError('resignal e2e: `peer` must be your Peer (its id is bound into every payload)');
  secretBytes(options.secret); // refuse a bad secret here, not at the first send
  const key = deriveRoomKey(crypto, options.secret, room.name);
  key.catch(() => {}); // its failure surfaces in every send and receive instead
  return new EncryptedRoom(room, key, { ...options, crypto });
}
