// Type-level tests of the public API (vitest typecheck; nothing here runs). They pin what a
// TypeScript user relies on: each event's payload, request<T>(), the error code union and
// the options. A failure here means the public types changed: update the docs and CHANGELOG.
import { describe, expectTypeOf, test } from 'vitest';
import {
  isSignalError,
  Peer,
  SignalError,
  type BackoffOptions,
  type CloseCause,
  type CloseEvent,
  type ExhaustedEvent,
  type HeartbeatOptions,
  type NotificationEvent,
  type NotificationsLostEvent,
  type OpenEvent,
  type PeerEvents,
  type PeerOptions,
  type PeerState,
  type ReconnectingEvent,
  type RequestOptions,
  type RetryReason,
  type SendBufferOptions,
  type SignalErrorCode,
  type StateEvent,
  type TokenSource,
  type WebSocketCtor,
} from '../../src/index.js';
import { SignalingServer, type ServerEnv, type SignalingServerOptions } from '../../src/server/index.js';

declare const peer: Peer;

/** The single argument a listener of `event` receives. */
type Payload<E extends keyof PeerEvents> = Parameters<PeerEvents[E]>[0];

describe('events', () => {
  test('every event name maps to its payload type', () => {
    expectTypeOf<Payload<'state'>>().toEqualTypeOf<StateEvent>();
    expectTypeOf<Payload<'open'>>().toEqualTypeOf<OpenEvent>();
    expectTypeOf<Payload<'close'>>().toEqualTypeOf<CloseEvent>();
    expectTypeOf<Payload<'reconnecting'>>().toEqualTypeOf<ReconnectingEvent>();
    expectTypeOf<Payload<'exhausted'>>().toEqualTypeOf<ExhaustedEvent>();
    expectTypeOf<Payload<'notification'>>().toEqualTypeOf<NotificationEvent>();
    expectTypeOf<Payload<'notifications-lost'>>().toEqualTypeOf<NotificationsLostEvent>();
    expectTypeOf<Payload<'error'>>().toEqualTypeOf<SignalError>();
  });

  test('payload fields', () => {
    expectTypeOf<StateEvent>().toEqualTypeOf<{ from: PeerState; to: PeerState }>();
    expectTypeOf<PeerState>().toEqualTypeOf<'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed'>();
    expectTypeOf<OpenEvent>().toEqualTypeOf<{ url: string; resumed: boolean; peerId: string }>();
    expectTypeOf<CloseEvent>().toEqualTypeOf<{ code: number; reason: string; willReconnect: boolean; cause: CloseCause }>();
    expectTypeOf<CloseCause>().toEqualTypeOf<'closed' | 'dead' | 'manual' | 'token-expired' | 'client' | 'kicked' | 'unreachable'>();
    // A link lost while open reconnects with the same word as its close cause.
    expectTypeOf<Extract<CloseCause, RetryReason>>().toEqualTypeOf<'closed' | 'dead' | 'manual' | 'token-expired'>();
    expectTypeOf<ReconnectingEvent>().toEqualTypeOf<{ attempt: number; delay: number; url: string; reason: RetryReason }>();
    expectTypeOf<RetryReason>().toEqualTypeOf<'connect-failed' | 'connect-timeout' | 'token-failed' | 'closed' | 'dead' | 'manual' | 'token-expired'>();
    expectTypeOf<ExhaustedEvent>().toEqualTypeOf<{ attempts: number; urls: readonly string[] }>();
    expectTypeOf<NotificationEvent>().toEqualTypeOf<{ method: string; data: unknown }>();
    expectTypeOf<NotificationsLostEvent>().toEqualTypeOf<{ count: number; rooms?: Readonly<Record<string, number>> }>();
  });

  test('on() infers the listener argument from the event name and rejects unknown names', () => {
    peer.on('open', (event) => expectTypeOf(event).toEqualTypeOf<OpenEvent>());
    peer.on('close', (event) => expectTypeOf(event).toEqualTypeOf<CloseEvent>());
    peer.on('reconnecting', (event) => expectTypeOf(event.reason).toEqualTypeOf<RetryReason>());
    peer.on('error', (error) => expectTypeOf(error.code).toEqualTypeOf<SignalErrorCode>());
    peer.once('state', ({ to }) => expectTypeOf(to).toEqualTypeOf<PeerState>());
    // @ts-expect-error not an event of Peer
    peer.on('message', () => {});
    // @ts-expect-error 'open' listeners get an OpenEvent
    peer.on('open', (event: CloseEvent) => event);
  });
});

describe('requests', () => {
  test('request<T>() resolves to T, unknown by default', () => {
    expectTypeOf(peer.request('offer')).toEqualTypeOf<Promise<unknown>>();
    expectTypeOf(peer.request<{ sdp: string }>('offer', { sdp: 'v=0' })).toEqualTypeOf<Promise<{ sdp: string }>>();
    expectTypeOf(peer.request<number>('count', undefined, { timeout: 1000, replay: false })).toEqualTypeOf<Promise<number>>();
    expectTypeOf(peer.notify('candidate', {})).toEqualTypeOf<void>();
  });

  test('request options', () => {
    expectTypeOf<RequestOptions>().toEqualTypeOf<{ timeout?: number; signal?: AbortSignal; replay?: boolean }>();
    // @ts-expect-error the method name is required
    void peer.request();
    // @ts-expect-error timeout is a number of ms
    void peer.request('x', null, { timeout: '5s' });
  });
});

describe('errors', () => {
  test('SignalErrorCode is exactly this union', () => {
    expectTypeOf<SignalErrorCode>().toEqualTypeOf<
      'TIMEOUT' | 'CLOSED' | 'KICKED' | 'BUFFER_FULL' | 'TOO_LARGE' | 'UNREACHABLE' | 'ABORTED' | 'BAD_MESSAGE' | 'REMOTE' | 'NOT_REPLAYED' | 'DECRYPT_FAILED'
    >();
  });

  test('SignalError carries the code and optional details; isSignalError narrows', () => {
    expectTypeOf<SignalError>().toExtend<Error>();
    expectTypeOf<SignalError['code']>().toEqualTypeOf<SignalErrorCode>();
    expectTypeOf<SignalError['closeCode']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<SignalError['remoteCode']>().toEqualTypeOf<string | undefined>();
    const caught: unknown = undefined;
    if (isSignalError(caught)) expectTypeOf(caught).toEqualTypeOf<SignalError>();
    // @ts-expect-error codes come from the union only
    new SignalError('NOPE', 'message');
  });
});

describe('options', () => {
  test('urls is the only required option', () => {
    expectTypeOf<{ urls: string }>().toExtend<PeerOptions>();
    expectTypeOf<{ urls: readonly string[] }>().toExtend<PeerOptions>();
    expectTypeOf<{}>().not.toExtend<PeerOptions>();
    expectTypeOf<PeerOptions['urls']>().toEqualTypeOf<string | readonly string[]>();
  });

  test('option groups and their fields', () => {
    expectTypeOf<PeerOptions['backoff']>().toEqualTypeOf<BackoffOptions | undefined>();
    expectTypeOf<PeerOptions['heartbeat']>().toEqualTypeOf<HeartbeatOptions | undefined>();
    expectTypeOf<PeerOptions['sendBuffer']>().toEqualTypeOf<SendBufferOptions | undefined>();
    expectTypeOf<PeerOptions['token']>().toEqualTypeOf<TokenSource | undefined>();
    expectTypeOf<PeerOptions['WebSocket']>().toEqualTypeOf<WebSocketCtor | undefined>();
    expectTypeOf<PeerOptions['connectTimeout']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<PeerOptions['requestTimeout']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<PeerOptions['maxMessageBytes']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<PeerOptions['maxSignalBytes']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<BackoffOptions>().toMatchTypeOf<{ connect?: readonly number[]; reconnect?: readonly number[]; jitter?: number; maxAttempts?: number }>();
    expectTypeOf<HeartbeatOptions>().toMatchTypeOf<{ interval?: number; maxMissed?: number }>();
    expectTypeOf<SendBufferOptions>().toEqualTypeOf<{ maxMessages?: number; maxBytes?: number }>();
  });

  test('a token is a string or a (possibly async) function returning one', () => {
    expectTypeOf<'abc'>().toExtend<TokenSource>();
    expectTypeOf<() => string>().toExtend<TokenSource>();
    expectTypeOf<() => Promise<string>>().toExtend<TokenSource>();
    expectTypeOf<() => Promise<number>>().not.toExtend<TokenSource>();
    expectTypeOf<number>().not.toExtend<TokenSource>();
  });

  test('the constructor checks options', () => {
    new Peer({ urls: 'wss://signal.example/rtc', backoff: { reconnect: [1000, 2000] }, token: async () => 'jwt' });
    // @ts-expect-error urls is required
    new Peer({ backoff: {} });
    // @ts-expect-error jitter is a number
    new Peer({ urls: 'ws://x', backoff: { jitter: 'low' } });
  });
});

describe('server (resignal/server)', () => {
  test('request, notify, handle and options', () => {
    const server = new SignalingServer({ port: 0, host: '127.0.0.1' });
    expectTypeOf(server.request('peer-id', 'offer', {})).toEqualTypeOf<Promise<unknown>>();
    expectTypeOf(server.notify('peer-id', 'candidate', {})).toEqualTypeOf<boolean>();
    expectTypeOf(server.handle('offer', (data, context) => ({ data, peer: context.peerId }))).toEqualTypeOf<() => void>();
    expectTypeOf(server.listen()).toEqualTypeOf<Promise<void>>();
    expectTypeOf(server.close()).toEqualTypeOf<Promise<void>>();
    expectTypeOf(server.port).toEqualTypeOf<number>();
    expectTypeOf<SignalingServerOptions['port']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<SignalingServerOptions['maxPayload']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<SignalingServerOptions['maxSignalBytes']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<SignalingServerOptions['env']>().toEqualTypeOf<Partial<ServerEnv> | undefined>();
    expectTypeOf<ServerEnv['now']>().toEqualTypeOf<() => number>();
  });
});
