// The packed package in plain Node, as `import` and as `require`: the client and the
// reference server from the installed tarball talk over 127.0.0.1.
import { describe, expect, it } from 'vitest';
import { lastJsonLine, runInApp } from './support/packed.js';

/**
 * One script body for both module systems. It uses the public API only: a request with its
 * response, an error response (`REMOTE`), and a request from the server to the client.
 */
const ROUND_TRIP = `
const server = new SignalingServer({ port: 0, host: '127.0.0.1' });
server.handle('echo', (data, ctx) => ({ echoed: data, method: ctx.method }));
await server.listen();
const peer = new Peer({ urls: 'ws://127.0.0.1:' + server.port });
await peer.connect();
const reply = await peer.request('echo', { hello: 'world' });
let remote;
try {
  await peer.request('missing');
} catch (error) {
  remote = { code: error.code, remoteCode: error.remoteCode, isSignalError: isSignalError(error), instanceOf: error instanceof SignalError };
}
peer.handle('double', (n) => n * 2);
const fromServer = await server.request(peer.id, 'double', 21);
const state = peer.state;
peer.close();
await server.close();
console.log(JSON.stringify({ reply, remote, fromServer, state, closed: peer.state, peerIdType: typeof peer.id, client: RESOLVED_CLIENT, server: RESOLVED_SERVER }));
`;

const EXPECTED = {
  reply: { echoed: { hello: 'world' }, method: 'echo' },
  remote: { code: 'REMOTE', remoteCode: 'NOT_FOUND', isSignalError: true, instanceOf: true },
  fromServer: 42,
  state: 'open',
  closed: 'closed',
  peerIdType: 'string',
};

describe('packed package in Node', () => {
  it('ESM: import { Peer } from "resignal" and { SignalingServer } from "resignal/server" round-trip', async () => {
    const source = `
import { Peer, SignalError, isSignalError } from 'resignal';
import { SignalingServer } from 'resignal/server';
const RESOLVED_CLIENT = import.meta.resolve('resignal');
const RESOLVED_SERVER = import.meta.resolve('resignal/server');
${ROUND_TRIP}`;
    const result = lastJsonLine(await runInApp('roundtrip.mjs', source)) as Record<string, unknown>;
    expect(result).toMatchObject(EXPECTED);
    expect(result.client).toMatch(/\/node_modules\/resignal\/dist\/index\.mjs$/);
    expect(result.server).toMatch(/\/node_modules\/resignal\/dist\/server\.mjs$/);
  });

  it('CJS: require("resignal") and require("resignal/server") round-trip', async () => {
    const source = `
const { Peer, SignalError, isSignalError } = require('resignal');
const { SignalingServer } = require('resignal/server');
const RESOLVED_CLIENT = require.resolve('resignal');
const RESOLVED_SERVER = require.resolve('resignal/server');
(async () => {
${ROUND_TRIP}
})().catch((error) => { console.error(error); process.exit(1); });`;
    const result = lastJsonLine(await runInApp('roundtrip.cjs', source)) as Record<string, unknown>;
    expect(result).toMatchObject(EXPECTED);
    expect(result.client).toMatch(/\/node_modules\/resignal\/dist\/index\.cjs$/);
    expect(result.server).toMatch(/\/node_modules\/resignal\/dist\/server\.cjs$/);
  });

  it('CJS and ESM expose the same names', async () => {
    const esm = lastJsonLine(
      await runInApp(
        'names.mjs',
        `import * as c from 'resignal'; import * as s from 'resignal/server'; import * as w from 'resignal/webrtc'; import * as e from 'resignal/e2e'; console.log(JSON.stringify({ c: Object.keys(c).sort(), s: Object.keys(s).sort(), w: Object.keys(w).sort(), e: Object.keys(e).sort() }));`,
      ),
    );
    const cjs = lastJsonLine(
      await runInApp(
        'names.cjs',
        `const c = require('resignal'); const s = require('resignal/server'); const w = require('resignal/webrtc'); const e = require('resignal/e2e'); console.log(JSON.stringify({ c: Object.keys(c).sort(), s: Object.keys(s).sort(), w: Object.keys(w).sort(), e: Object.keys(e).sort() }));`,
      ),
    );
    expect(cjs).toEqual(esm);
    expect((esm as { c: string[] }).c).toEqual(expect.arrayContaining(['Peer', 'SignalError', 'isSignalError', 'CloseCode', 'PROTOCOL_VERSION']));
    expect((esm as { c: string[] }).c).not.toContain('negotiate');
    expect((esm as { s: string[] }).s).toEqual(['BadRequestError', 'MemoryStore', 'SignalingServer', 'peerLeftHead', 'turnCredentials']);
    expect((esm as { w: string[] }).w).toEqual(['candidateFields', 'candidateFilters', 'isPolite', 'isPrivateAddress', 'negotiate', 'parseRtcSignal']);
    expect((esm as { e: string[] }).e).toEqual(['EncryptedRoom', 'deriveRoomKey', 'encryptRoom']);
  });
});
