// resignal/e2e against the real server: the members of an encrypted room read each other's
// signals, the server only ever relays { e2e, iv, ct }, and every payload that is not
// authentic for this room, sender and recipient ends in an `undecryptable` event.
import { webcrypto } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { encryptRoom, type EncryptedRoom, type UndecryptableEvent } from '../../src/e2e/index.js';
import { Peer, Room } from '../../src/index.js';
import { SignalingServer } from '../../src/server/index.js';
import { memoryTransport } from '../support/memory-transport.js';
import { nextEvent, until } from '../support/wait.js';

const SECRET = 'k3Jx9Qw2-Zp7Lm4Vb8Nc1A';
const crypto = webcrypto;
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A real server; every frame crosses an in-memory transport that records it. */
async function setup(n: number, room = 'secret-room') {
  const server = new SignalingServer({});
  cleanup.push(() => server.close());
  const memory = memoryTransport(server);
  const peers: Peer[] = [];
  const rooms: Room[] = [];
  for (let i = 0; i < n; i++) {
    const peer = new Peer({ urls: 'memory://server/rtc', transport: memory.transport });
    cleanup.push(() => peer.close());
    await peer.connect();
    peers.push(peer);
    rooms.push(await Room.join(peer, room));
  }
  for (const r of rooms) await until(() => r.peers.size === n - 1, 10_000, 'everyone in the room');
  return { server, memory, peers, rooms };
}

const wrap = (room: Room, peer: Peer, secret = SECRET) => encryptRoom(room, { secret, peer, crypto });
const allFrames = (memory: ReturnType<typeof memoryTransport>) => memory.links.flatMap((l) => l.frames.map((f) => f.text)).join('\n');
function undecryptable(room: EncryptedRoom): Promise<UndecryptableEvent> {
  return nextEvent(room, 'undecryptable');
}

describe('encrypted rooms', () => {
  it('delivers signals and broadcasts decrypted and in order, while the server relays only ciphertext', async () => {
    const { memory, peers, rooms } = await setup(3);
    const [a, b, c] = rooms.map((r, i) => wrap(r, peers[i]!));
    const atB: unknown[] = [];
    b!.on('signal', ({ from, data }) => atB.push([from, data]));
    const sent = Array.from({ length: 20 }, (_, n) => ({ sdp: `v=0 PLAINTEXT-MARKER ${n}`, n }));
    await Promise.all(sent.map((data) => a!.signal(peers[1]!.id!, data)));
    const heard = nextEvent(c!, 'broadcast');
    await b!.broadcast({ hello: 'PLAINTEXT-MARKER everyone' });
    expect(await heard).toEqual({ from: peers[1]!.id, data: { hello: 'PLAINTEXT-MARKER everyone' } });
    await until(() => atB.length === sent.length, 10_000, 'all signals at B');
    expect(atB).toEqual(sent.map((data) => [peers[0]!.id, data]));

    const wire = allFrames(memory);
    expect(wire).toContain('"e2e":1');
    expect(wire).not.toContain('PLAINTEXT-MARKER');
    expect(wire).not.toContain(SECRET);
  });

  it('a member with another secret gets an undecryptable event, and nothing delivered', async () => {
    const { peers, rooms } = await setup(2);
    const a = wrap(rooms[0]!, peers[0]!);
    const b = wrap(rooms[1]!, peers[1]!, 'another-secret-of-16-bytes');
    let delivered = 0;
    b.on('signal', () => delivered++);
    const failed = undecryptable(b);
    await a.signal(peers[1]!.id!, { x: 1 });
    const event = await failed;
    expect(event).toMatchObject({ from: peers[0]!.id, method: 'signal', reason: 'unauthentic' });
    expect(event.error.code).toBe('DECRYPT_FAILED');
    expect(event.error.message).toMatch(/another secret/);
    expect(delivered).toBe(0);
  });

  it('a ciphertext moved to another room, sender or recipient, or replayed, fails; so does plain data', async () => {
    const { peers, rooms } = await setup(3, 'room-one');
    const [a, b, c] = rooms.map((r, i) => wrap(r, peers[i]!));
    const [idA, idB, idC] = peers.map((p) => p.id!);
    const captured = nextEvent(rooms[1]!, 'signal'); // the raw Room: what B received, still sealed
    await a!.signal(idB!, { secret: 1 });
    const envelope = (await captured).data;
    await nextEvent(b!, 'signal');

    // C (who has the secret) sends A's envelope to B as its own: bound to sender A.
    let failed = undecryptable(b!);
    await rooms[2]!.signal(idB!, envelope);
    expect(await failed).toMatchObject({ from: idC, reason: 'unauthentic' });

    // B forwards it to C: bound to recipient B.
    failed = undecryptable(c!);
    await rooms[1]!.signal(idC!, envelope);
    expect(await failed).toMatchObject({ from: idB, reason: 'unauthentic' });

    // The same sender replays it into another room with the same secret: bound to room-one.
    const a2 = encryptRoom(await Room.join(peers[0]!, 'room-two'), { secret: SECRET, peer: peers[0]!, crypto });
    const b2 = encryptRoom(await Room.join(peers[1]!, 'room-two'), { secret: SECRET, peer: peers[1]!, crypto });
    await until(() => a2.peers.has(idB!), 10_000, 'B in room-two');
    failed = undecryptable(b2);
    await a2.room.signal(idB!, envelope);
    expect(await failed).toMatchObject({ from: idA, reason: 'unauthentic' });

    // A sends the very same envelope again in room-one: a replay.
    failed = undecryptable(b!);
    await rooms[0]!.signal(idB!, envelope);
    expect(await failed).toMatchObject({ from: idA, reason: 'replayed' });

    // Unencrypted data, and an altered ciphertext.
    failed = undecryptable(b!);
    await rooms[0]!.signal(idB!, { sdp: 'v=0' });
    expect(await failed).toMatchObject({ reason: 'not-encrypted' });
    const sealed = envelope as { e2e: 1; iv: string; ct: string };
    const flipped = sealed.ct.slice(0, -2) + (sealed.ct.at(-2) === 'A' ? 'B' : 'A') + sealed.ct.at(-1);
    failed = undecryptable(b!);
    await rooms[0]!.signal(idB!, { ...sealed, ct: flipped });
    expect((await failed).reason).toMatch(/unauthentic|malformed/);
    failed = undecryptable(b!);
    await rooms[0]!.signal(idB!, { e2e: 2, iv: sealed.iv, ct: sealed.ct });
    expect(await failed).toMatchObject({ reason: 'malformed' });
  });

  it('an undecryptable payload with no listener goes to onUnhandled, never nowhere', async () => {
    const { peers, rooms } = await setup(2);
    const seen: UndecryptableEvent[] = [];
    encryptRoom(rooms[1]!, { secret: SECRET, peer: peers[1]!, crypto, onUnhandled: (e) => seen.push(e) });
    await rooms[0]!.signal(peers[1]!.id!, 'plain');
    await until(() => seen.length === 1, 10_000, 'onUnhandled');
    expect(seen[0]!.reason).toBe('not-encrypted');
  });

  it('refuses a short secret and a missing WebCrypto with a clear error', async () => {
    const { peers, rooms } = await setup(1);
    expect(() => encryptRoom(rooms[0]!, { secret: 'short', peer: peers[0]!, crypto })).toThrow(/at least 16 bytes/);
    expect(() => encryptRoom(rooms[0]!, { secret: SECRET, peer: peers[0]!, crypto: {} as typeof webcrypto })).toThrow(/WebCrypto is not available/);
  });
});
