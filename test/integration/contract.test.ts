// server.handle(method, { data: schema }, handler) over real sockets: bad data is answered with
// BAD_REQUEST naming every issue, the handler never sees it, and the link stays up.
import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import * as zClassic from 'zod';
import { Peer, SignalError, type Contract } from '../../src/index.js';
import { SignalingServer } from '../../src/server/index.js';

type Api = Contract<{ requests: { move: { data: { x: number; y: number; name?: string }; result: { sum: number } } } }>;

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setup() {
  const server = new SignalingServer<Api>({ port: 0, host: '127.0.0.1' });
  await server.listen();
  cleanup.push(() => server.close());
  const peer = new Peer<Api>({ urls: `ws://127.0.0.1:${server.port}` });
  peer.on('error', () => {});
  cleanup.push(() => peer.close());
  await peer.connect();
  return { server, peer };
}

async function rejection(promise: Promise<unknown>): Promise<SignalError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SignalError);
  return error as SignalError;
}

describe('handle() with a data schema', () => {
  it('runs the handler with valid data, answers BAD_REQUEST listing every issue otherwise, and the link stays up', async () => {
    const { server, peer } = await setup();
    const seen: unknown[] = [];
    server.handle('move', { data: z.object({ x: z.number(), y: z.number().check(z.nonnegative()), name: z.optional(z.string()) }) }, (data) => {
      seen.push(data);
      return { sum: data.x + data.y };
    });
    let closes = 0;
    peer.on('close', () => closes++);

    expect(await peer.request('move', { x: 1, y: 2 })).toEqual({ sum: 3 });
    const bad = await rejection(peer.request('move', { x: 'one', y: -1 } as never));
    expect(bad.code).toBe('REMOTE');
    expect(bad.remoteCode).toBe('BAD_REQUEST');
    expect(bad.message).toContain('"move" got invalid data');
    expect(bad.message).toContain('at "x": expected number');
    expect(bad.message).toContain('at "y": too small: minimum 0');
    const missing = await rejection(peer.request('move', undefined as never));
    expect(missing.message).toContain('the data: expected object');

    // The handler saw only the valid call, and the same link answers the next request.
    expect(await peer.request('move', { x: 5, y: 5, name: 'n' })).toEqual({ sum: 10 });
    expect(seen).toEqual([{ x: 1, y: 2 }, { x: 5, y: 5, name: 'n' }]);
    expect(closes).toBe(0);
    expect(peer.state).toBe('open');
  });

  it('accepts schemas of the full zod package too, with its messages', async () => {
    const { server, peer } = await setup();
    server.handle('move', { data: zClassic.object({ x: zClassic.number(), y: zClassic.number() }) }, ({ x, y }) => ({ sum: x + y }));
    expect(await peer.request('move', { x: 2, y: 3 })).toEqual({ sum: 5 });
    const bad = await rejection(peer.request('move', { x: 2 } as never));
    expect(bad.remoteCode).toBe('BAD_REQUEST');
    expect(bad.message).toMatch(/at "y": .*expected number/i);
  });

  it('refuses a schema that is not zod, or a missing handler, when registering', async () => {
    const { server } = await setup();
    expect(() => server.handle('move', { data: {} as never }, () => ({ sum: 0 }))).toThrow(/needs a zod schema/);
    expect(() => (server.handle as (...args: unknown[]) => unknown)('move', { data: z.number() })).toThrow(/handler function/);
  });
});
