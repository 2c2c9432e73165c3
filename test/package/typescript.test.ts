// A TypeScript user of the packed package: a strict `tsc --noEmit` of a small consumer,
// with `moduleResolution` `bundler` and `node16` (as CommonJS and as ESM). skipLibCheck is
// off, so the shipped .d.ts/.d.cts files themselves are type-checked too.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packed } from './support/packed.js';

const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** Uses the public API the way an app would; each @ts-expect-error proves a type is not `any`. */
const CONSUMER = `
import { CloseCode, isSignalError, Peer, PROTOCOL_VERSION, SignalError } from 'resignal';
import type { OpenEvent, PeerOptions, PeerState, ReconnectingEvent, SignalErrorCode } from 'resignal';
import { SignalingServer } from 'resignal/server';
import type { SignalingServerOptions } from 'resignal/server';
import { negotiate, isPolite } from 'resignal/webrtc';
import type { Contract } from 'resignal';

const polite: boolean = isPolite('a', 'b');
// @ts-expect-error negotiate() takes an RTCPeerConnection, a room and an id
negotiate(1);
void polite;

type Api = Contract<{ requests: { move: { data: { x: number }; result: { ok: boolean } } } }>;
export async function typed(peerWithContract: Peer<Api>, serverWithContract: SignalingServer<Api>): Promise<boolean> {
  serverWithContract.handle('move', ({ x }) => ({ ok: x > 0 }));
  // @ts-expect-error the contract has no "jump"
  await peerWithContract.request('jump', {});
  return (await peerWithContract.request('move', { x: 1 })).ok;
}

const options: PeerOptions = {
  urls: ['ws://127.0.0.1:9000/rtc', 'ws://127.0.0.1:9001/rtc'],
  backoff: { connect: [100, 200], reconnect: [1000, 2000], jitter: 0.1, maxAttempts: 20 },
  heartbeat: { interval: 5000, maxMissed: 3 },
  requestTimeout: 10_000,
  token: async () => 'secret-token',
};
const peer = new Peer(options);

peer.on('open', (event: OpenEvent) => {
  const resumed: boolean = event.resumed;
  const id: string = event.peerId;
  void resumed, id;
});
peer.on('reconnecting', ({ attempt, delay, reason }: ReconnectingEvent) => {
  const wait: number = attempt * delay;
  void wait, reason;
});
peer.on('state', ({ from, to }) => {
  const states: PeerState[] = [from, to];
  void states;
});
peer.on('error', (error) => {
  const code: SignalErrorCode = error.code;
  void code;
});
// @ts-expect-error an 'open' listener receives an OpenEvent, not a number
peer.on('open', (event: number) => event);
// @ts-expect-error there is no 'opened' event
peer.on('opened', () => {});
// @ts-expect-error urls are required
new Peer({});

export async function signal(): Promise<string> {
  await peer.connect();
  const answer = await peer.request<{ sdp: string }>('offer', { sdp: 'v=0' }, { timeout: 5000 });
  peer.notify('candidate', { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host' });
  peer.handle('ping', (data, context) => ({ data, method: context.method }));
  try {
    await peer.request('missing');
  } catch (error) {
    if (isSignalError(error) && error.code === 'REMOTE') return error.remoteCode ?? '';
    if (error instanceof SignalError && error.code === 'TIMEOUT') return 'timeout';
  }
  const terminal: boolean = CloseCode.KICKED === 4000 && PROTOCOL_VERSION === 1;
  void terminal;
  peer.close();
  return answer.sdp;
}

export async function serve(): Promise<number> {
  const serverOptions: SignalingServerOptions = { port: 0, host: '127.0.0.1', path: '/rtc' };
  const server = new SignalingServer(serverOptions);
  server.handle('offer', (data, context) => ({ data, from: context.peerId }));
  await server.listen();
  const port: number = server.port;
  await server.close();
  return port;
}
`;

const STRICT = {
  strict: true,
  noEmit: true,
  skipLibCheck: false,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  noImplicitOverride: true,
  isolatedModules: true,
  target: 'es2022',
  lib: ['es2022', 'dom'],
  types: ['node'],
};

function tscProject(name: string, compilerOptions: Record<string, unknown>, files: Record<string, string>): string {
  const dir = path.join(packed().app, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...STRICT, ...compilerOptions }, files: Object.keys(files) }, null, 2));
  try {
    return execFileSync(process.execPath, [TSC, '-p', dir, '--listFiles'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    const errors = (e.stdout ?? '').split('\n').filter((line) => /error TS\d+/.test(line) || /^\s/.test(line));
    throw new Error(`tsc failed for ${name}:\n${errors.join('\n') || e.stderr}`);
  }
}

/** The resignal declaration files tsc loaded, relative to the package root. */
const loadedDeclarations = (listFiles: string) =>
  listFiles
    .split('\n')
    .filter((line) => line.includes('/node_modules/resignal/'))
    .map((line) => line.replace(/^.*\/node_modules\/resignal\//, ''))
    .sort();

describe('TypeScript consumer of the packed package', () => {
  it('compiles with moduleResolution "bundler"', () => {
    const files = tscProject('ts-bundler', { module: 'esnext', moduleResolution: 'bundler' }, { 'consumer.ts': CONSUMER });
    expect(loadedDeclarations(files)).toEqual(['dist/index.d.ts', 'dist/server.d.ts', 'dist/webrtc.d.ts']);
  });

  it('compiles with moduleResolution "node16" as CommonJS (require condition, .d.cts)', () => {
    const files = tscProject('ts-node16-cjs', { module: 'node16', moduleResolution: 'node16' }, { 'consumer.cts': CONSUMER });
    expect(loadedDeclarations(files)).toEqual(['dist/index.d.cts', 'dist/server.d.cts', 'dist/webrtc.d.cts']);
  });

  it('compiles with moduleResolution "node16" as ESM (import condition, .d.ts)', () => {
    const files = tscProject('ts-node16-esm', { module: 'node16', moduleResolution: 'node16' }, { 'consumer.mts': CONSUMER });
    expect(loadedDeclarations(files)).toEqual(['dist/index.d.ts', 'dist/server.d.ts', 'dist/webrtc.d.ts']);
  });
});
