// Rooms end to end: Peers against the real reference server over real sockets on 127.0.0.1,
// with link faults from a real TCP proxy and real server restarts. Timings are shortened
// through options, never faked.
import { afterEach, describe, expect, it } from 'vitest';
import { Peer, SignalError, type PeerOptions, Room, type RoomEvents } from '../../src/index.js';
import { SignalingServer, type SignalingServerOptions } from '../../src/server/index.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { nextEvent, sleep, until } from '../support/wait.js';
import { nextEvent as nextServerEvent } from '../support/ws-client.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** Shared by a server and its restarts, as in a deployment: peer ids survive a restart. */
const SECRET_KEY = 'rooms-test-key-rooms-test-key-32';

async function startServer(options: SignalingServerOptions = {}): Promise<SignalingServer> {
  const server = new SignalingServer({ port: 0, host: '127.0.0.1', path: '/rtc', secretKey: SECRET_KEY, ...options });
  await server.listen();
  cleanup.push(() => server.close());
  return server;
}

async function startProxy(port: number): Promise<FaultProxy> {
  const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port } });
  cleanup.push(() => proxy.close());
  return proxy;
}

function makePeer(url: string, options: Partial<PeerOptions> = {}): Peer {
  const peer = new Peer({
    urls: url,
    backoff: { connect: [20, 40], reconnect: [50, 100], jitter: 0 },
    heartbeat: { interval: 200, maxMissed: 3 },
    connectTimeout: 1000,
    ...options,
  });
  peer.on('error', () => {});
  cleanup.push(() => peer.close());
  return peer;
}

const direct = (server: SignalingServer) => `ws://127.0.0.1:${server.port}/rtc`;

async function connected(url: string): Promise<Peer> {
  const peer = makePeer(url);
  await peer.connect();
  return peer;
}


/** Every event of these names the room emits from now on, in order, as [name, context]. */
function record(room: Room, ...events: Array<keyof RoomEvents>): Array<[string, any]> {
  const seen: Array<[string, any]> = [];
  for (const event of events) room.on(event, (ctx: unknown) => seen.push([event, ctx]));
  return seen;
}

const ids = (room: Room) => [...room.peers.keys()].sort();

describe('rooms', () => {
  it('join returns the peers present with their meta; the others get peer-joined', async () => {
    const server = await startServer();
    const alice = await connected(direct(server));
    const bob = await connected(direct(server));
    await Promise.all([alice.connect(), bob.connect()]);

    expect(alice.rooms.size).toBe(0); // before the first Room.join()
    const roomA = await Room.join(alice, 'lobby', { name: 'Alice' });
    expect(roomA.name).toBe('lobby');
    expect(roomA.peers.size).toBe(0);
    expect(alice.rooms.get('lobby')).toBe(roomA);
    const joined = nextEvent(roomA, 'peer-joined');
    const roomB = await Room.join(bob, 'lobby');
    expect([...roomB.peers.values()]).toEqual([{ id: alice.id, meta: { name: 'Alice' } }]);
    expect(await joined).toEqual({ peer: { id: bob.id, meta: null } });
    expect(ids(roomA)).toEqual([bob.id]);
    expect(await Room.join(bob, 'lobby')).toBe(roomB); // joining again returns the same room
  });

  it('relays signal to one member and broadcast to the others, with the sender id', async () => {
    const server = await startServer();
    const [a, b, c] = await Promise.all([connected(direct(server)), connected(direct(server)), connected(direct(server))]);
    const roomA = await Room.join(a, 'r');
    const roomB = await Room.join(b, 'r');
    const roomC = await Room.join(c, 'r');
    const atB = record(roomB, 'signal', 'broadcast');
    const atC = record(roomC, 'signal', 'broadcast');
    const atA = record(roomA, 'signal', 'broadcast');

    await roomA.signal(b.id!, { sdp: 'offer' });
    await roomA.broadcast('hello all');
    await until(() => atB.length === 2 && atC.length === 1);
    expect(atB).toEqual([
      ['signal', { from: a.id, data: { sdp: 'offer' } }],
      ['broadcast', { from: a.id, data: 'hello all' }],
    ]);
    expect(atC).toEqual([['broadcast', { from: a.id, data: 'hello all' }]]);
    await sleep(50);
    expect(atA).toEqual([]); // a sender gets nothing back
    expect(atC).toHaveLength(1);
  });

  it('keeps rooms apart: no event crosses rooms, and nobody reaches a peer outside its rooms', async () => {
    const server = await startServer();
    const [a, b, c] = await Promise.all([connected(direct(server)), connected(direct(server)), connected(direct(server))]);
    const red = await Room.join(a, 'red');
    const redB = await Room.join(b, 'red');
    const blue = await Room.join(c, 'blue');
    const atBlue = record(blue, 'peer-joined', 'signal', 'broadcast');

    const arrived = nextEvent(redB, 'broadcast');
    await red.broadcast('red only');
    await arrived;
    const outside = await red.signal(c.id!, 'psst').catch((e: SignalError) => e);
    expect(outside).toMatchObject({ code: 'REMOTE', remoteCode: 'not-in-room' });
    // Even by hand, a room one has not joined cannot be used.
    const intruder = await a.request('signal', { room: 'blue', to: c.id, data: 'psst' }).catch((e: SignalError) => e);
    expect(intruder).toMatchObject({ code: 'REMOTE', remoteCode: 'not-joined' });
    await sleep(50);
    expect(atBlue).toEqual([]);
  });

  it('rejects a join with room-full at capacity and BAD_REQUEST for an invalid name', async () => {
    const server = await startServer({ rooms: { maxPeers: 2 } });
    const [a, b, c] = await Promise.all([connected(direct(server)), connected(direct(server)), connected(direct(server))]);
    await Room.join(a, 'pair');
    await Room.join(b, 'pair');
    const full = await Room.join(c, 'pair').catch((e: SignalError) => e);
    expect(full).toBeInstanceOf(SignalError);
    expect(full).toMatchObject({ code: 'REMOTE', remoteCode: 'room-full' });
    expect(c.rooms.has('pair')).toBe(false);
    for (const name of ['', 'has space', 'x'.repeat(129), 'émoji']) {
      const bad = await Room.join(c, name).catch((e: SignalError) => e);
      expect(bad).toMatchObject({ code: 'REMOTE', remoteCode: 'BAD_REQUEST' });
      expect((bad as SignalError).message).toContain('invalid room name');
    }
    expect(c.rooms.size).toBe(0);
    await expect(Room.join(c, 'x'.repeat(128))).resolves.toMatchObject({ name: 'x'.repeat(128) });
  });

  it('leave tells the others (reason leave); the room then refuses to send', async () => {
    const server = await startServer();
    const [a, b] = await Promise.all([connected(direct(server)), connected(direct(server))]);
    const roomA = await Room.join(a, 'r');
    const roomB = await Room.join(b, 'r');
    const left = nextEvent(roomA, 'peer-left');
    await roomB.leave();
    expect(await left).toEqual({ peerId: b.id, reason: 'leave' });
    expect(roomA.peers.size).toBe(0);
    expect(b.rooms.has('r')).toBe(false);
    expect(roomB.joined).toBe(false);
    await expect(roomB.broadcast('late')).rejects.toMatchObject({ code: 'CLOSED' });
    await roomB.leave(); // idempotent
    const signal = await roomA.signal(b.id!, 'gone').catch((e: SignalError) => e);
    expect(signal).toMatchObject({ code: 'REMOTE', remoteCode: 'not-in-room' });
    expect(await Room.join(b, 'r')).not.toBe(roomB);
  });

  it('does not surface room traffic as peer notifications; app notifications still arrive', async () => {
    const server = await startServer();
    const [a, b] = await Promise.all([connected(direct(server)), connected(direct(server))]);
    const roomA = await Room.join(a, 'r');
    const notes: string[] = [];
    b.on('notification', ({ method }) => notes.push(method));
    const roomB = await Room.join(b, 'r');
    const arrived = nextEvent(roomB, 'broadcast');
    await roomA.signal(b.id!, 1);
    await roomA.broadcast(2);
    await arrived;
    server.notify(b.id!, 'app-note', 3);
    await until(() => notes.length > 0);
    expect(notes).toEqual(['app-note']);
  });

  it('ends the session of a peer that closes: the others get peer-left at once, long before sessionTtl', async () => {
    const server = await startServer({ sessionTtl: 60_000 });
    const [a, b] = await Promise.all([connected(direct(server)), connected(direct(server))]);
    const roomA = await Room.join(a, 'r');
    await Room.join(b, 'r');
    const bobId = b.id!;
    const left = nextEvent(roomA, 'peer-left', () => true, 5_000);
    b.close();
    expect(await left).toEqual({ peerId: bobId, reason: 'session-end' });
    expect(server.peers()).toEqual([a.id]);
  });
});

describe('rooms across link drops (session kept)', () => {
  it('a member whose link is down for less than sessionTtl never leaves; what was sent to it arrives after, once, in order', async () => {
    const server = await startServer({ sessionTtl: 10_000 });
    const proxy = await startProxy(server.port);
    const alice = await connected(proxy.url('/rtc'));
    const bob = await connected(direct(server));
    const roomA = await Room.join(alice, 'call');
    const roomB = await Room.join(bob, 'call');
    const atBob = record(roomB, 'peer-left', 'peer-joined');
    const signals: unknown[] = [];
    roomA.on('signal', ({ from, data }) => signals.push([from === bob.id, data]));
    const aliceId = alice.id;

    proxy.mode('refuse');
    const down = nextEvent(alice, 'close');
    proxy.resetAll();
    await down;
    for (let n = 1; n <= 5; n++) await roomB.signal(alice.id!, n); // the server holds them for Alice
    const fromAlice = roomA.signal(bob.id!, 'sent while down'); // Alice's send buffer holds this one
    await sleep(300); // several refused reconnect attempts
    expect(signals).toEqual([]);

    const back = nextEvent(alice, 'open');
    const reachedBob = nextEvent(roomB, 'signal', ({ data }) => data === 'sent while down');
    proxy.mode('pass');
    expect((await back).resumed).toBe(true);
    await fromAlice;
    await reachedBob;
    await until(() => signals.length >= 5);
    // Drop once more right away: whatever was resent is not delivered twice.
    const again = nextEvent(alice, 'open');
    proxy.resetAll();
    await again;
    await sleep(300);
    expect(signals).toEqual([1, 2, 3, 4, 5].map((n) => [true, n]));
    expect(atBob).toEqual([]);
    expect(alice.id).toBe(aliceId);
    expect(ids(roomB)).toEqual([aliceId]);
  });

  it('a member gone longer than sessionTtl leaves (reason session-end); when it returns it rejoins under the same id', async () => {
    const server = await startServer({ sessionTtl: 300 });
    const proxy = await startProxy(server.port);
    const alice = await connected(proxy.url('/rtc'));
    const bob = await connected(direct(server));
    const roomA = await Room.join(alice, 'call', { name: 'Alice' });
    const roomB = await Room.join(bob, 'call');
    const aliceId = alice.id!;

    proxy.mode('refuse');
    proxy.resetAll();
    const ended = nextServerEvent(server, 'session-end');
    const left = await nextEvent(roomB, 'peer-left');
    expect(left).toEqual({ peerId: aliceId, reason: 'session-end' });
    await ended;
    expect(ids(roomB)).toEqual([]);

    const rejoined = nextEvent(roomA, 'rejoined');
    const joinedAgain = nextEvent(roomB, 'peer-joined');
    proxy.mode('pass');
    expect((await rejoined).peers).toBe(roomA.peers);
    expect(alice.id).toBe(aliceId);
    expect(await joinedAgain).toEqual({ peer: { id: aliceId, meta: { name: 'Alice' } } });
    expect(ids(roomA)).toEqual([bob.id]);
    // Listen first: the notification may reach Alice before Bob's request is answered.
    const welcomed = nextEvent(roomA, 'signal');
    await roomB.signal(aliceId, 'welcome back');
    expect(await welcomed).toEqual({ from: bob.id, data: 'welcome back' });
  });

  it('a peer-joined that overtook the answer to join (resent after a drop) is not lost', async () => {
    const server = await startServer();
    const proxy = await startProxy(server.port);
    const [bob, carol] = await Promise.all([connected(direct(server)), connected(direct(server))]);
    const roomB = await Room.join(bob, 'r');
    const alice = await connected(proxy.url('/rtc'));

    proxy.latency(500); // the answer to join and what follows it are still on the wire...
    const joining = Room.join(alice, 'r');
    await nextEvent(roomB, 'peer-joined'); // ...when the server has run the join
    await Room.join(carol, 'r'); // so Alice's "peer-joined Carol" is on the wire too
    proxy.resetAll(); // and both are lost
    proxy.latency(0);
    // After the resume the server resends "peer-joined Carol" first, then answers the
    // replayed join with the room as it is now (Bob and Carol): Carol arrives once, in
    // the join's member list, and no later event repeats her.
    const roomA = await joining;
    const events = record(roomA, 'peer-joined');
    await until(() => roomA.peers.size === 2);
    expect(ids(roomA)).toEqual([bob.id, carol.id].sort());
    await alice.request('nope').catch(() => {}); // a round trip: anything queued has arrived
    expect(events).toEqual([]);
  });
});

describe('rooms across server restarts (session lost)', () => {
  /** Close `server` and start a new one on the same port, as a restart or a failover does. */
  async function restart(server: SignalingServer, options: SignalingServerOptions = {}): Promise<SignalingServer> {
    const port = server.port;
    await server.close();
    const next = new SignalingServer({ port, host: '127.0.0.1', path: '/rtc', secretKey: SECRET_KEY, ...options });
    await next.listen();
    cleanup.push(() => next.close());
    return next;
  }

  it('rejoins on its own under the same peer id, emits rejoined, and what was sent meanwhile is delivered', async () => {
    const server = await startServer();
    const [proxyA, proxyB] = [await startProxy(server.port), await startProxy(server.port)];
    const alice = await connected(proxyA.url('/rtc'));
    const bob = await connected(proxyB.url('/rtc'));
    const roomA = await Room.join(alice, 'call', 'A');
    const roomB = await Room.join(bob, 'call', 'B');
    const [aliceId, bobId] = [alice.id!, bob.id!];
    await until(() => roomA.peers.has(bobId));
    const atAlice = record(roomA, 'peer-left', 'peer-joined', 'rejoined');
    const signals: unknown[] = [];
    roomA.on('signal', ({ from, data }) => signals.push([from, data]));

    proxyB.mode('refuse'); // Bob comes back after Alice
    const bobDown = nextEvent(bob, 'close');
    const next = await restart(server);
    await bobDown;
    const sent = [roomB.signal(aliceId, 'during the outage'), roomB.signal(aliceId, 'also during')];
    await nextEvent(roomA, 'rejoined');
    expect(alice.id).toBe(aliceId);

    const bobBack = nextEvent(roomB, 'rejoined');
    proxyB.mode('pass');
    const { peers } = await bobBack;
    expect(bob.id).toBe(bobId);
    expect([...peers.values()]).toEqual([{ id: aliceId, meta: 'A' }]);
    await Promise.all(sent); // replayed to the new server, refused (not joined yet), sent again after the rejoin
    await until(() => signals.length === 2);
    expect(signals).toEqual([
      [bobId, 'during the outage'],
      [bobId, 'also during'],
    ]);
    // Alice rejoined first, so Bob was missing for a moment; he is back under his id.
    expect(atAlice.map(([event]) => event)).toEqual(['peer-left', 'rejoined', 'peer-joined']);
    expect(atAlice[0]![1]).toEqual({ peerId: bobId, reason: 'rejoin' });
    expect(atAlice[2]![1]).toEqual({ peer: { id: bobId, meta: 'B' } });
    expect(next.peers().sort()).toEqual([aliceId, bobId].sort());

    // Listen first: the notification may reach Bob before Alice's request is answered.
    const after = nextEvent(roomB, 'signal');
    await roomA.signal(bobId, 'after');
    expect(await after).toEqual({ from: aliceId, data: 'after' });
  });

  it('a rejoin the new server refuses emits error on the room, and the room is left', async () => {
    const server = await startServer({ rooms: { maxPeers: 2 } });
    const proxyB = await startProxy(server.port);
    const alice = await connected(direct(server));
    const bob = await connected(proxyB.url('/rtc'));
    await Room.join(alice, 'pair');
    const roomB = await Room.join(bob, 'pair');

    proxyB.mode('refuse');
    const next = await restart(server, { rooms: { maxPeers: 2 } });
    await nextEvent(alice.rooms.get('pair')!, 'rejoined');
    const carol = await connected(direct(next));
    await Room.join(carol, 'pair'); // takes Bob's place
    const failed = nextEvent(roomB, 'error');
    proxyB.mode('pass');
    const error = await failed;
    expect(error).toBeInstanceOf(SignalError);
    expect(error).toMatchObject({ code: 'REMOTE', remoteCode: 'room-full' });
    expect(roomB.joined).toBe(false);
    expect(bob.rooms.has('pair')).toBe(false);
    await expect(roomB.signal(alice.id!, 'x')).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
