// The cryptography of encrypted rooms, with nothing about rooms or events: a key per
// (secret, room), and seal/open of one payload bound to its room, method, sender and recipient.
// See PROTOCOL.md "Encrypted payloads" for the wire format.
import { fromBase64url, toBase64url } from './base64url.js';

/** The WebCrypto a RoomCipher needs: the browser's `crypto`, or Node's `webcrypto` from node:crypto. */
export interface WebCryptoLike {
  /** A SubtleCrypto; typed loosely so both lib.dom's and @types/node's fit. */
  readonly subtle: object;
  /** Fills `array` with random bytes. */
  getRandomValues(array: Uint8Array<ArrayBuffer>): unknown;
}

/** The payload a relay sees instead of the app's data. */
export interface Envelope {
  /** Format version. */
  e2e: 1;
  /** 96-bit random IV, base64url. */
  iv: string;
  /** AES-256-GCM ciphertext with its 128-bit tag at the end, base64url. */
  ct: string;
}

/** Who a payload is bound to; a mismatch anywhere makes it fail authentication. */
export interface Binding {
  method: 'signal' | 'broadcast';
  room: string;
  from: string;
  /** The recipient of a `signal`; empty for a `broadcast`. */
  to: string;
}

export const MIN_SECRET_BYTES = 16;
const subtle = (crypto: WebCryptoLike) => crypto.subtle as SubtleCrypto;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The secret as bytes, refusing ones too short to be a key. */
export function secretBytes(secret: string | Uint8Array): Uint8Array {
  const bytes = typeof secret === 'string' ? encoder.encode(secret) : secret instanceof Uint8Array ? secret : undefined;
  if (bytes === undefined || bytes.length < MIN_SECRET_BYTES) {
    throw new TypeError(`resignal e2e: \`secret\` must be a string or Uint8Array of at least ${MIN_SECRET_BYTES} bytes of random data (e.g. 22 base64url characters from crypto.getRandomValues); a password needs a slow KDF first`);
  }
  return bytes;
}

/**
 * AES-256-GCM key of one room: HKDF-SHA-256 over the shared secret, salt "resignal-e2e/1",
 * info "room:" + the room name. HKDF suits a random secret; it does not slow down guessing.
 */
export async function deriveRoomKey(crypto: WebCryptoLike, secret: string | Uint8Array, room: string): Promise<CryptoKey> {
  const base = await subtle(crypto).importKey('raw', secretBytes(secret) as BufferSource, 'HKDF', false, ['deriveKey']);
  return subtle(crypto).deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: encoder.encode('resignal-e2e/1'), info: encoder.encode(`room:${room}`) },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** Additional data: the JSON array ["resignal-e2e", 1, method, room, from, to], UTF-8. */
function additionalData(b: Binding): Uint8Array {
  return encoder.encode(JSON.stringify(['resignal-e2e', 1, b.method, b.room, b.from, b.to]));
}

export async function seal(crypto: WebCryptoLike, key: CryptoKey, binding: Binding, data: unknown): Promise<Envelope> {
  const plain = JSON.stringify(data === undefined ? null : data);
  const iv = new Uint8Array(12);
  crypto.getRandomValues(iv);
  const ct = await subtle(crypto).encrypt({ name: 'AES-GCM', iv, additionalData: additionalData(binding) as BufferSource }, key, encoder.encode(plain));
  return { e2e: 1, iv: toBase64url(iv), ct: toBase64url(new Uint8Array(ct)) };
}

export type Opened = { ok: true; data: unknown; iv: string } | { ok: false; why: 'not-encrypted' | 'malformed' | 'unauthentic' };

/** Never throws: a payload that is not ours, or fails authentication, says why. */
export async function open(crypto: WebCryptoLike, key: CryptoKey, binding: Binding, payload: unknown): Promise<Opened> {
  if (typeof payload !== 'object' || payload === null || (payload as { e2e?: unknown }).e2e === undefined) return { ok: false, why: 'not-encrypted' };
  const { e2e, iv, ct } = payload as { e2e: unknown; iv?: unknown; ct?: unknown };
  const ivBytes = typeof iv === 'string' ? fromBase64url(iv) : undefined;
  const ctBytes = typeof ct === 'string' ? fromBase64url(ct) : undefined;
  if (e2e !== 1 || ivBytes?.length !== 12 || ctBytes === undefined || ctBytes.length < 16) return { ok: false, why: 'malformed' };
  let plain: ArrayBuffer;
  try {
    plain = await subtle(crypto).decrypt({ name: 'AES-GCM', iv: ivBytes as BufferSource, additionalData: additionalData(binding) as BufferSource }, key, ctBytes as BufferSource);
  } catch {
    return { ok: false, why: 'unauthentic' };
  }
  try {
    return { ok: true, data: JSON.parse(decoder.decode(plain)) as unknown, iv: iv as string };
  } catch {
    return { ok: false, why: 'malformed' }; // authentic, so the sender itself is broken
  }
}
