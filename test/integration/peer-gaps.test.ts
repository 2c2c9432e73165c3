// The Peer against a hand-written server over real sockets on 127.0.0.1: an older server that
// numbers notifications with gaps and reports nothing, one that reports `lost` on resume, a
// hostile one that floods a room whose join it never answers or sends huge frames, and one
// that expires the token. What the reference server does is in peer-trust.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { Peer, Room, type PeerOptions } from '../../src/index.js';
import { HELD_LIMIT } from '../../src/room.js';
import { scriptedServer, type ScriptedLink } from '../support/scripted-server.js';
import { nextEvent, until } from '../support/wait.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function start() {
  const server = await scriptedServer();
  cleanup.push(() => server.close());
  return server;
}

function makePeer(url: string, options: Partial<PeerOptions> = {}): Peer {
  const peer = new Peer({ urls: url, backoff: { connect: [20], reconnect: [50], jitter: 0 }, heartbeat: { interval: 200 }, connectTimeout: 2000, ...options });
  peer.on('error', () => {});
  cleanup.push(() => peer.close());
  return peer;
}

/** Connect `peer` and welcome it on the server's next link, which is returned. */
async function open(peer: Peer, server: Awaited<ReturnType<typeof start>>): Promise<ScriptedLink> {
  const connecting = peer.connect();
  const link = await server.nextLink();
  await link.hello();
  link.welcome();
  await connecting;
  return link;
}

/** Join `room` through the scripted link (answering the join with no other members). */
async function join(peer: Peer, link: ScriptedLink, room: string) {
  const joining = Room.join(peer, room);
  await link.answer('join', { peers: [] });
  return joining;
}

/** Three pings on the link: it has been open for two heartbeat intervals, so the Peer deems it stable. */
const stable = (link: ScriptedLink) => until(() => link.received.filter((frame) => frame.type === 'ping').length >= 3, 10_000, 'three pings');

const signal = (room: string, n: number) => ({ room, from: 'other-peer', data: { n } });

describe('Peer: lost notifications', () => {
  it('reports a jump in seq from a server that says nothing, on the Peer and on every room', async () => {
    const server = await start();
    const peer = makePeer(server.url);
    const link = await open(peer, server);
    const lobby = await join(peer, link, 'lobby');
    const other = await join(peer, link, 'other');
    const peerLost: unknown[] = [];
    const roomLost: Array<[string, number]> = [];
    peer.on('notifications-lost', (event) => peerLost.push(event));
    lobby.on('notifications-lost', ({ count }) => roomLost.push(['lobby', count]));
    other.on('notifications-lost', ({ count }) => roomLost.push(['other', count]));
    const got: number[] = [];
    lobby.on('signal', ({ data }) => got.push((data as { n: number }).n));

    link.notify('signal', signal('lobby', 1), 1);
    link.notify('signal', signal('lobby', 2), 2);
    link.notify('signal', signal('lobby', 6), 6); // 3, 4 and 5 never came
    link.notify('signal', signal('lobby', 7), 7);
    await until(() => got.length === 4, 10_000, 'four signals');
    expect(got).toEqual([1, 2, 6, 7]);
    expect(peerLost).toEqual([{ count: 3 }]);
    // Nobody knows which rooms the three were for: each room hears the total.
    expect(roomLost).toEqual([['lobby', 3], ['other', 3]]);
  }, 30_000);

  it('reports welcome.lost on a resume once, per room as the server counted, and does not count the jump again', async () => {
    const server = await start();
    const peer = makePeer(server.url);
    const first = await open(peer, server);
    const lobby = await join(peer, first, 'lobby');
    const other = await join(peer, first, 'other');
    const got: number[] = [];
    lobby.on('signal', ({ data }) => got.push((data as { n: number }).n));
    first.notify('signal', signal('lobby', 1), 1);
    first.notify('signal', signal('lobby', 2), 2);
    await until(() => got.length === 2, 10_000, 'two signals');
    const peerLost: unknown[] = [];
    const roomLost: Array<[string, number]> = [];
    peer.on('notifications-lost', (event) => peerLost.push(event));
    lobby.on('notifications-lost', ({ count }) => roomLost.push(['lobby', count]));
    other.on('notifications-lost', ({ count }) => roomLost.push(['other', count]));

    first.ws.terminate(); // the link drops; the server overflowed while the client was away
    const second = await server.nextLink();
    const hello = await second.hello();
    expect(hello).toMatchObject({ resume: { peer: 'scripted-peer-id-00001' }, ack: 2 });
    second.welcome('scripted-peer-id-00001', { resumed: true, lost: { count: 3, rooms: { lobby: 2 } } });
    second.notify('signal', signal('lobby', 6), 6); // 3, 4, 5 were dropped: the jump the welcome announced
    second.notify('signal', signal('lobby', 7), 7);
    await until(() => got.length === 4, 10_000, 'the resent signals');
    expect(got).toEqual([1, 2, 6, 7]);
    expect(peerLost).toEqual([{ count: 3, rooms: { lobby: 2 } }]);
    expect(roomLost).toEqual([['lobby', 2]]); // `other` lost nothing

    second.notify('signal', signal('lobby', 9), 9); // a gap beyond what welcome reported
    await until(() => got.length === 5, 10_000, 'the last signal');
    expect(peerLost).toEqual([{ count: 3, rooms: { lobby: 2 } }, { count: 1 }]);
  }, 30_000);
});

describe('Peer: hostile server', () => {
  it('bounds what a room holds while its join is pending, and reports the excess as lost', async () => {
    const server = await start();
    const peer = makePeer(server.url);
    const link = await open(peer, server);
    const joining = Room.join(peer, 'flooded');
    const request = await link.next((frame) => frame.type === 'request' && frame.method === 'join');
    const flood = HELD_LIMIT.notifications + 500;
    for (let seq = 1; seq <= flood; seq++) link.notify('signal', signal('flooded', seq), seq);
    // Acknowledged (in an ack frame or a ping): the client has read the whole flood.
    await until(() => link.received.some((frame) => (frame.type === 'ack' ? frame.seq : frame.ack) === flood), 20_000, 'the client to read the whole flood');
    link.send({ type: 'response', id: request.id, ok: true, data: { peers: [] } });
    const room = await joining;
    let signals = 0;
    room.on('signal', () => signals++);
    const lost = await nextEvent(room, 'notifications-lost');
    expect(lost).toEqual({ count: 500 });
    await until(() => signals === HELD_LIMIT.notifications, 10_000, 'the held signals');
  }, 60_000);

  it('refuses a frame above maxInboundBytes (closing with 1009) and reconnects', async () => {
    const server = await start();
    const peer = makePeer(server.url, { maxInboundBytes: 64 * 1024 });
    const notes: unknown[] = [];
    peer.on('notification', ({ data }) => notes.push(data));
    const link = await open(peer, server);
    const closed = nextEvent(peer, 'close');
    link.notify('huge', 'x'.repeat(100 * 1024), 1);
    expect(await closed).toMatchObject({ code: 1009, willReconnect: true });
    const again = await server.nextLink();
    expect(await again.hello()).toMatchObject({ resume: { peer: 'scripted-peer-id-00001' }, ack: 0 });
    again.welcome('scripted-peer-id-00001', { resumed: true });
    again.notify('small', 'ok', 1);
    await until(() => notes.length === 1, 10_000, 'the small notification');
    expect(notes).toEqual(['ok']);
  }, 30_000);

  it('by default refuses a 5 MiB frame (ws alone would take 100 MiB)', async () => {
    const server = await start();
    const peer = makePeer(server.url);
    const link = await open(peer, server);
    const closed = nextEvent(peer, 'close');
    link.notify('huge', 'x'.repeat(5 * 1024 * 1024), 1);
    expect(await closed).toMatchObject({ code: 1009, willReconnect: true });
  }, 30_000);
});

describe('Peer: token expiry (4505)', () => {
  it('fetches a new token and resumes at once, without the backoff wait; a refused token stays terminal', async () => {
    const server = await start();
    let tokens = 0;
    const peer = makePeer(server.url, { token: () => `token-${++tokens}`, backoff: { connect: [20], reconnect: [60_000], jitter: 0 } });
    const reconnecting: unknown[] = [];
    peer.on('reconnecting', (event) => reconnecting.push(event));
    const connecting = peer.connect();
    const first = await server.nextLink();
    expect(await first.hello()).toMatchObject({ token: 'token-1' });
    first.welcome();
    await connecting;
    await stable(first);
    first.ws.close(4505, 'token expired');

    const second = await server.nextLink(); // well before the 60 s backoff
    expect(await second.hello()).toMatchObject({ token: 'token-2', resume: { peer: 'scripted-peer-id-00001', secret: 'scripted-secret' } });
    expect(reconnecting).toEqual([{ attempt: 1, delay: 0, url: server.url, reason: 'token-expired' }]);
    const opened = nextEvent(peer, 'open');
    second.welcome('scripted-peer-id-00001', { resumed: true });
    expect(await opened).toMatchObject({ resumed: true, peerId: 'scripted-peer-id-00001' });

    await stable(second);
    const kicked = nextEvent(peer, 'error');
    second.ws.close(4001, 'token refused');
    expect(await kicked).toMatchObject({ code: 'KICKED', closeCode: 4001 });
    expect(peer.state).toBe('closed');
    expect(server.links).toHaveLength(2);
  }, 30_000);

  it('a server that expires a fresh link again gets the usual backoff, not a tight loop', async () => {
    const server = await start();
    const peer = makePeer(server.url, { token: () => 'stale', backoff: { connect: [20], reconnect: [300], jitter: 0 } });
    const reconnecting: Array<{ delay: number; reason: string }> = [];
    peer.on('reconnecting', (event) => reconnecting.push(event));
    const first = await open(peer, server);
    first.ws.close(4505, 'token expired'); // at once: the link never became stable
    const second = await server.nextLink();
    await second.hello();
    expect(reconnecting).toEqual([expect.objectContaining({ delay: 300, reason: 'token-expired' })]);
  }, 30_000);
});
