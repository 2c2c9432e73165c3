/**
 * Reference servers on 127.0.0.1 for the integration tests that speak the wire protocol by hand
 * (test/support/ws-client.ts). Call `rawServers()` once at the top of a test file: it registers
 * an `afterEach` that terminates every client and closes every server the test opened, plus
 * anything handed to `defer`, last first.
 */
import { afterEach } from 'vitest';
import { SignalingServer, type SignalingServerOptions } from '../../src/server/index.js';
import { RawClient } from './ws-client.js';

export function rawServers() {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  /** Run `fn` after the current test (before what was deferred earlier). */
  const defer = (fn: () => unknown): void => void cleanup.push(fn);

  /** A raw client connected to `url`, terminated after the test. */
  const connectTo = async (url: string): Promise<RawClient> => {
    const client = await RawClient.connect(url);
    defer(() => client.ws.terminate());
    return client;
  };

  /** A server listening on a free port at `/rtc`, with `connect()` for raw clients to it. */
  const start = async (options: SignalingServerOptions = {}) => {
    const server = new SignalingServer({ port: 0, host: '127.0.0.1', path: '/rtc', ...options });
    await server.listen();
    defer(() => server.close());
    const url = `ws://127.0.0.1:${server.port}/rtc`;
    return { server, url, connect: () => connectTo(url) };
  };

  return { start, connectTo, defer };
}
