// The reference server's memory under attack stays within the bounds the README documents
// ("Security model"). The heap is measured in a child `node --expose-gc` process
// (support/server-memory-main.ts) that runs the server and the attacking raw clients, so
// gc() is real and the test runner's own heap is not counted.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runForJson } from '../support/child-process.js';
import type { ServerMemoryReport } from './support/server-memory-main.js';

const MAIN = fileURLToPath(new URL('./support/server-memory-main.ts', import.meta.url));
const MiB = 1024 * 1024;
/** Per README "Security model": dedupeMaxBytes (1 MiB) + maxBufferedBytes (1 MiB) + one answer + bookkeeping, per session. */
const SESSION_BOUND = 3 * MiB;
/** Per README: one room at the default maxPeers (50) with 4 kB meta, and the sessions of 200 peers. */
const ROOM_BOUND = 4 * MiB;
/** Per README "Large messages": what one socket may hold in reassembly, maxSignalBytes (1 MiB) + 64 KiB, plus bookkeeping. */
const REASSEMBLY_BOUND = 1.25 * MiB;

describe('server memory under attack', () => {
  it('stays within the documented bounds per session and per room', { timeout: 180_000 }, async () => {
    const { result, stderr } = await runForJson<ServerMemoryReport>(process.execPath, ['--expose-gc', '--import', 'tsx', MAIN], { name: 'server-memory-main' });
    if (stderr.trim()) console.warn(`server-memory-main stderr:\n${stderr}`);
    const mib = (bytes: number) => `${(bytes / MiB).toFixed(2)} MiB`;
    console.log(Object.entries(result).map(([name, { growth, what }]) => `server memory: ${name}: ${what}: heap +${mib(growth)}`).join('\n'));
    expect(result.dedupe.growth).toBeLessThan(SESSION_BOUND);
    expect(result.joinReplays.growth).toBeLessThan(SESSION_BOUND);
    expect(result.outbox.growth).toBeLessThan(SESSION_BOUND);
    expect(result.both.growth).toBeLessThan(SESSION_BOUND);
    expect(result.room.growth).toBeLessThan(ROOM_BOUND);
    expect(result.chunksHeld.growth).toBeLessThan(20 * REASSEMBLY_BOUND);
    // Gone with their sockets: what stays is 20 sessions awaiting a resume.
    expect(result.chunksClosed.growth).toBeLessThan(2 * MiB);
  });
});
