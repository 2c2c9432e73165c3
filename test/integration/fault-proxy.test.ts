import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { FaultProxy } from '../support/fault-proxy.js';

// How long "nothing arrives" is watched for. Loopback delivers in well under 1 ms.
const QUIET_MS = 300;

async function echoServer(): Promise<net.Server> {
  const server = net.createServer((s) => s.on('error', () => {}).pipe(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

async function wsEchoServer(): Promise<WebSocketServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  await once(wss, 'listening');
  return wss;
}

const portOf = (s: net.Server | WebSocketServer) => (s.address() as net.AddressInfo).port;

async function openWs(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await once(ws, 'open');
  return ws;
}

// ws.once rather than events.once: the latter rejects on 'error', which some faults emit.
function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve) => ws.once('message', (data) => resolve(String(data))));
}

/** Resolves with the first message, or 'quiet' if none arrives within `ms`. */
function messageOrQuiet(ws: WebSocket, ms = QUIET_MS): Promise<string> {
  return Promise.race([nextMessage(ws), sleep(ms, 'quiet')]);
}

function closeCode(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

describe('FaultProxy', () => {
  let wss: WebSocketServer;
  let proxy: FaultProxy;
  const sockets: WebSocket[] = [];
  const track = (ws: WebSocket) => (sockets.push(ws), ws.on('error', () => {}));

  beforeEach(async () => {
    wss = await wsEchoServer();
    proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: portOf(wss) } });
  });

  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    await proxy.close();
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
  });

  it('passes bytes both ways in pass mode (raw TCP)', async () => {
    const echo = await echoServer();
    proxy.setTarget({ host: '127.0.0.1', port: portOf(echo) });
    const sock = net.connect(proxy.port, '127.0.0.1');
    sock.write('hello');
    const [data] = await once(sock, 'data');
    expect(String(data)).toBe('hello');
    sock.destroy();
    echo.close();
  });

  it('passes WebSocket traffic and counts connections', async () => {
    expect(proxy.url()).toBe(`ws://127.0.0.1:${proxy.port}/rtc`);
    const ws = track(await openWs(proxy.url()));
    ws.send('ping');
    expect(await nextMessage(ws)).toBe('ping');
    expect(proxy.connections).toBe(1);
    expect(proxy.accepted).toBe(1);
  });

  it('blackhole keeps the socket open while nothing passes; new connections recover after pass', async () => {
    const ws = track(await openWs(proxy.url()));
    proxy.mode('blackhole');
    ws.send('lost');
    expect(await messageOrQuiet(ws)).toBe('quiet');
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(proxy.connections).toBe(1);

    // A connection made during the blackhole never even completes its handshake.
    const during = track(new WebSocket(proxy.url()));
    await sleep(QUIET_MS);
    expect(during.readyState).toBe(WebSocket.CONNECTING);

    proxy.mode('pass');
    const fresh = track(await openWs(proxy.url()));
    fresh.send('back');
    expect(await nextMessage(fresh)).toBe('back');

    // The old pair lost bytes, so it stays silent (its stream is broken for good).
    ws.send('still lost');
    expect(await messageOrQuiet(ws)).toBe('quiet');
    expect(ws.readyState).toBe(WebSocket.OPEN);
  });

  it('refuse makes a new client fail with an abnormal close', async () => {
    proxy.mode('refuse');
    const ws = track(new WebSocket(proxy.url()));
    const errored = new Promise<Error>((resolve) => ws.once('error', resolve));
    expect(await closeCode(ws)).toBe(1006);
    expect(await errored).toBeInstanceOf(Error);
    expect(proxy.accepted).toBe(1);
    expect(proxy.connections).toBe(0);
  });

  it('resetAll gives an open client close code 1006 and empties the proxy', async () => {
    const ws = track(await openWs(proxy.url()));
    const serverSide = once(wss, 'connection');
    const ws2 = track(await openWs(proxy.url()));
    await serverSide;
    const codes = Promise.all([closeCode(ws), closeCode(ws2)]);
    proxy.resetAll();
    expect(await codes).toEqual([1006, 1006]);
    await expect.poll(() => proxy.connections).toBe(0);
  });

  it('dropAll ends connections with a FIN (close 1006, no close frame)', async () => {
    const ws = track(await openWs(proxy.url()));
    const code = closeCode(ws);
    proxy.dropAll();
    expect(await code).toBe(1006);
    await expect.poll(() => proxy.connections).toBe(0);
  });

  it('an RST from the server side reaches the client', async () => {
    const ws = track(await openWs(proxy.url()));
    const code = closeCode(ws);
    for (const c of wss.clients) c.terminate(); // ws.terminate() destroys the socket
    expect(await code).toBe(1006);
  });

  it('latency delays each direction yet keeps order, including when it changes mid-stream', async () => {
    const ws = track(await openWs(proxy.url()));
    proxy.latency(50);
    const got: string[] = [];
    const all = new Promise<void>((resolve) =>
      ws.on('message', (d) => got.push(String(d)) === 40 && resolve()),
    );
    const started = performance.now();
    for (let i = 0; i < 20; i++) ws.send(`m${i}`);
    await sleep(10);
    proxy.latency(0); // later chunks must not overtake the delayed ones
    for (let i = 20; i < 40; i++) ws.send(`m${i}`);
    await all;
    expect(got).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}`));
    // One-way delay of 50 ms on the way in: a lower bound only (timers may fire ~1 ms early).
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('setTarget sends later connections to the new server', async () => {
    const other = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    other.on('connection', (s) => s.send('from other'));
    await once(other, 'listening');
    proxy.setTarget({ host: '127.0.0.1', port: portOf(other) });
    const ws = track(new WebSocket(proxy.url()));
    expect(await nextMessage(ws)).toBe('from other');
    ws.terminate();
    for (const c of other.clients) c.terminate();
    await new Promise((r) => other.close(r));
  });

  it('a dead target resets the client', async () => {
    const spare = await echoServer();
    const port = portOf(spare);
    await new Promise((r) => spare.close(r));
    proxy.setTarget({ host: '127.0.0.1', port });
    const ws = track(new WebSocket(proxy.url()));
    expect(await closeCode(ws)).toBe(1006);
  });

  it('resetAll is an RST and dropAll a FIN, as a raw TCP client sees them', async () => {
    const echo = await echoServer();
    proxy.setTarget({ host: '127.0.0.1', port: portOf(echo) });
    const connect = async () => {
      const sock = net.connect(proxy.port, '127.0.0.1');
      sock.write('x');
      await once(sock, 'data'); // the pair is fully established
      return sock;
    };
    const a = await connect();
    const aError = new Promise<NodeJS.ErrnoException>((resolve) => a.once('error', resolve));
    proxy.resetAll();
    expect((await aError).code).toBe('ECONNRESET');

    const b = await connect();
    b.on('error', () => {});
    const bEnded = once(b, 'end');
    proxy.dropAll();
    await bEnded;
    b.destroy();
    echo.close();
  });

  it('close is idempotent and closes open clients', async () => {
    const ws = track(await openWs(proxy.url()));
    const code = closeCode(ws);
    await Promise.all([proxy.close(), proxy.close()]);
    await proxy.close();
    expect(await code).toBe(1006);
  });
});
