// ICE servers from the server: the `iceServers` hook's answer reaches `peer.iceServers` in
// every welcome (fresh TURN credentials after a reconnect), turnCredentials() makes coturn
// REST-style credentials, and a failing hook costs a warning, never the link.
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Peer } from '../../src/index.js';
import { SignalingServer, turnCredentials, type SignalingServerOptions, type WarningEvent } from '../../src/server/index.js';
import { nextEvent } from '../support/wait.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function start(options: SignalingServerOptions) {
  const server = new SignalingServer({ host: '127.0.0.1', port: 0, path: '/rtc', ...options });
  await server.listen();
  cleanup.push(() => server.close());
  const peer = new Peer({ urls: `ws://127.0.0.1:${server.port}/rtc`, backoff: { reconnect: [20], jitter: 0 } });
  cleanup.push(() => peer.close());
  return { server, peer };
}

describe('iceServers', () => {
  it('hands each peer TURN credentials made for it', async () => {
    const now = 1_700_000_000_000;
    const seen: string[] = [];
    const { server, peer } = await start({
      iceServers: ({ peerId, req }) => {
        seen.push(req.url ?? '');
        return [{ urls: 'stun:127.0.0.1:3478' }, turnCredentials({ secret: 'turn-shared-secret', urls: ['turn:127.0.0.1:3478'], peerId, ttl: 600, now })];
      },
    });
    expect(peer.iceServers).toBeUndefined();
    await peer.connect();
    const [stun, turn] = peer.iceServers!;
    expect(stun).toEqual({ urls: 'stun:127.0.0.1:3478' });
    expect(turn!.username).toBe(`${1_700_000_000 + 600}:${peer.id}`);
    // What coturn (use-auth-secret) computes from the same secret and username:
    expect(turn!.credential).toBe(createHmac('sha1', 'turn-shared-secret').update(turn!.username!).digest('base64'));
    expect(seen).toEqual(['/rtc']);
    expect(server.peers()).toEqual([peer.id]);
  });

  it('a reconnect brings credentials with a later expiry', async () => {
    let now = 1_700_000_000_000;
    const { peer } = await start({ iceServers: ({ peerId }) => [turnCredentials({ secret: 's3cret', urls: 'turn:127.0.0.1', peerId, ttl: 600, now })] });
    await peer.connect();
    const first = peer.iceServers![0]!.username;
    now += 60_000;
    const reopened = nextEvent(peer, 'open');
    peer.reconnectNow();
    expect((await reopened).resumed).toBe(true);
    expect(peer.iceServers![0]!.username).toBe(`${1_700_000_000 + 660}:${peer.id}`);
    expect(peer.iceServers![0]!.username).not.toBe(first);
  });

  it('a hook that throws is a warning, and the peer is welcomed without ICE servers', async () => {
    const { server, peer } = await start({
      iceServers: () => {
        throw new Error('vault down');
      },
    });
    const warned = new Promise<WarningEvent>((resolve) => server.once('warning', resolve));
    await peer.connect();
    expect(peer.state).toBe('open');
    expect(peer.iceServers).toBeUndefined();
    const warning = await warned;
    expect(warning.code).toBe('HANDLER_FAILED');
    expect(warning.message).toMatch(/iceServers hook failed.*vault down/);
  });

  it('refuses bad settings with a clear error', () => {
    expect(() => new SignalingServer({ iceServers: [] as never })).toThrow(/"iceServers" must be a function/);
    expect(() => turnCredentials({ secret: '', urls: 'turn:x', peerId: 'p' })).toThrow(/secret/);
    expect(() => turnCredentials({ secret: 's', urls: 'turn:x', peerId: 'p', ttl: 0 })).toThrow(/ttl/);
  });
});
