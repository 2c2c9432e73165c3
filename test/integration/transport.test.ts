// The `transport` option: a Peer over a transport that is not a WebSocket. The links are
// in-memory pairs handed to a real SignalingServer, so requests, rooms, acks, resume and
// replay all run for real; only TCP and WebSocket framing are absent.
import { afterEach, describe, expect, it } from 'vitest';
import { Peer, Room } from '../../src/index.js';
import { SignalingServer } from '../../src/server/index.js';
import { memoryTransport } from '../support/memory-transport.js';
import { nextEvent, until } from '../support/wait.js';

const URL = 'memory://signaling.test/rtc';
/** Proves the WebSocket is never touched when a transport is given. */
class NoWebSocket {
  constructor() {
    throw new Error('the WebSocket must not be used with a custom transport');
  }
}

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function setup() {
  const server = new SignalingServer({ sessionTtl: 30_000 });
  cleanup.push(() => server.close());
  const memory = memoryTransport(server);
  const peer = () => {
    const p = new Peer({ urls: URL, transport: memory.transport, WebSocket: NoWebSocket as never, backoff: { reconnect: [50], jitter: 0 } });
    cleanup.push(() => p.close());
    return p;
  };
  return { server, memory, peer };
}

describe('Peer with a custom transport', () => {
  it('connects, answers requests and relays room signals without any WebSocket', async () => {
    const { server, memory, peer } = setup();
    server.handle('echo', (data) => ({ echoed: data }));
    const a = peer();
    const b = peer();
    await Promise.all([a.connect(), b.connect()]);
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{21}$/);
    expect(await a.request('echo', { n: 1 })).toEqual({ echoed: { n: 1 } });

    const roomA = await Room.join(a, 'memory-room', { name: 'a' });
    const roomB = await Room.join(b, 'memory-room', { name: 'b' });
    await until(() => roomA.peers.has(b.id!), 10_000, 'A to see B');
    const got = nextEvent(roomB, 'signal');
    await roomA.signal(b.id!, { hello: 'b' });
    expect(await got).toEqual({ from: a.id, data: { hello: 'b' } });

    // Every link went through the memory transport, with the protocol's own frames on it.
    expect(memory.links).toHaveLength(2);
    const first = JSON.parse(memory.links[0]!.frames[0]!.text) as { type: string };
    expect(first.type).toBe('hello');
    expect(memory.links[0]!.frames.some((f) => f.dir === '<' && f.text.includes('"welcome"'))).toBe(true);
  });

  it('reconnects over the transport after the link drops, resumes the session and delivers what was sent meanwhile once', async () => {
    const { memory, peer } = setup();
    const a = peer();
    const b = peer();
    await Promise.all([a.connect(), b.connect()]);
    const roomA = await Room.join(a, 'drop-room');
    const roomB = await Room.join(b, 'drop-room');
    await until(() => roomB.peers.has(a.id!), 10_000, 'B to see A');

    const reopened = nextEvent(a, 'open');
    const received: unknown[] = [];
    roomA.on('signal', ({ data }) => received.push(data));
    memory.drop(); // both links cut at once, like a network loss
    await nextEvent(b, 'close');
    const sends = [1, 2, 3].map((n) => roomB.signal(a.id!, { n }));
    expect((await reopened).resumed).toBe(true);
    await Promise.all(sends);
    await until(() => received.length >= 3, 10_000, 'the three signals');
    await new Promise((resolve) => setTimeout(resolve, 100)); // a duplicate would show up by now
    expect(received).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(memory.links.length).toBeGreaterThanOrEqual(4);
  });

  it('takes URLs of any scheme with a transport, and still refuses them without one', () => {
    const { memory } = setup();
    expect(() => new Peer({ urls: 'https://example.test/wt', transport: memory.transport })).not.toThrow();
    expect(() => new Peer({ urls: 'memory://x' })).toThrow(/ws:\/\/ or wss:\/\//);
    expect(() => new Peer({ urls: URL, transport: 'tcp' as never })).toThrow(/`transport` must be a function/);
  });
});
