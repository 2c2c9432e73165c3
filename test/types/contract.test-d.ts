// Type-level tests of typed method contracts: one Contract type checks method names and payloads
// in peer.request(), peer.notify() and server.handle(), and untyped code keeps compiling.
import { describe, expectTypeOf, test } from 'vitest';
import * as z from 'zod/mini';
import { Peer, type Contract } from '../../src/index.js';
import { SignalingServer } from '../../src/server/index.js';

type Api = Contract<{
  requests: {
    move: { data: { x: number; y: number }; result: { ok: boolean } };
    whoami: { data: undefined; result: string };
  };
  notifications: { typing: { room: string }; ping: undefined };
}>;

declare const peer: Peer<Api>;
declare const server: SignalingServer<Api>;
declare const untypedPeer: Peer;
declare const untypedServer: SignalingServer;

describe('a typed Peer', () => {
  test('request() infers the result from the method and checks its data', () => {
    expectTypeOf(peer.request('move', { x: 1, y: 2 })).toEqualTypeOf<Promise<{ ok: boolean }>>();
    expectTypeOf(peer.request('whoami')).toEqualTypeOf<Promise<string>>();
    expectTypeOf(peer.request('move', { x: 1, y: 2 }, { timeout: 5_000 })).toEqualTypeOf<Promise<{ ok: boolean }>>();
    // @ts-expect-error: not a method of the contract
    void peer.request('jump', {});
    // @ts-expect-error: wrong data
    void peer.request('move', { x: '1', y: 2 });
    // @ts-expect-error: data is required for "move"
    void peer.request('move');
  });

  test('notify() checks the method and its data', () => {
    expectTypeOf(peer.notify('typing', { room: 'lobby' })).toEqualTypeOf<void>();
    peer.notify('ping');
    // @ts-expect-error: not a notification of the contract
    peer.notify('typed', { room: 'lobby' });
    // @ts-expect-error: wrong data
    peer.notify('typing', { room: 1 });
  });
});

describe('a typed server', () => {
  test('handle() types data and result from the contract', () => {
    server.handle('move', (data) => {
      expectTypeOf(data).toEqualTypeOf<{ x: number; y: number }>();
      return { ok: true };
    });
    server.handle('whoami', async (_data, ctx) => ctx.peerId);
    // @ts-expect-error: the result does not match the contract
    server.handle('move', () => ({ ok: 'yes' }));
    // @ts-expect-error: not a method of the contract
    server.handle('jump', () => null);
  });

  test('handle(method, { data: schema }, handler) gives the handler the schema output, which must fit the contract', () => {
    server.handle('move', { data: z.object({ x: z.number(), y: z.number() }) }, (data) => {
      expectTypeOf(data).toEqualTypeOf<{ x: number; y: number }>();
      return { ok: data.x > 0 };
    });
    // @ts-expect-error: the schema's output is not the contract's data
    server.handle('move', { data: z.object({ x: z.string() }) }, () => ({ ok: true }));
  });
});

describe('untyped code keeps compiling', () => {
  test('any method, data unknown, result chosen by the caller', () => {
    expectTypeOf(untypedPeer.request('anything')).toEqualTypeOf<Promise<unknown>>();
    expectTypeOf(untypedPeer.request<{ a: 1 }>('anything', { b: 2 })).toEqualTypeOf<Promise<{ a: 1 }>>();
    untypedPeer.notify('anything', 42);
    untypedPeer.notify('anything');
    untypedServer.handle('anything', (data) => {
      expectTypeOf(data).toEqualTypeOf<unknown>();
      return data;
    });
    untypedServer.handle('checked', { data: z.object({ n: z.number() }) }, (data) => {
      expectTypeOf(data).toEqualTypeOf<{ n: number }>();
      return data.n;
    });
  });
});
