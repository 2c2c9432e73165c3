// Memory: 1,000 connect/drop cycles of one Peer leave the heap, its timers and its
// listeners where they were after a warm-up. The measurement runs in a child
// `node --expose-gc` process (support/memory-main.ts), so gc() is real and the heap holds
// one Peer and its proxy rather than the test runner and the tests running beside it.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runForJson } from '../support/child-process.js';
import type { MemoryReport } from './support/memory-main.js';

const MAIN = fileURLToPath(new URL('./support/memory-main.ts', import.meta.url));
const CYCLES = 1000;
/** Heap growth allowed from cycle 100 to 1,000. A leaked socket per cycle would be ~10x this. */
const HEAP_BOUND = 1.5 * 1024 * 1024;
/** More instances of one constructor than this at the end means something is kept per cycle. */
const OBJECT_BOUND = 50;

async function runChild(): Promise<MemoryReport> {
  const { result, stderr } = await runForJson<MemoryReport>(process.execPath, ['--expose-gc', '--import', 'tsx', MAIN], {
    name: 'memory-main',
    env: { CYCLES: String(CYCLES) },
  });
  if (stderr.trim()) console.warn(`memory-main stderr:\n${stderr}`);
  return result;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

describe('memory over connect/drop cycles', () => {
  it(`keeps heap, timers and listeners flat over ${CYCLES} cycles`, { timeout: 300_000 }, async () => {
    const report = await runChild();
    const first = report.heap[0]!;
    const last = report.heap[report.heap.length - 1]!;
    const growth = last.bytes - first.bytes;
    console.log(
      [
        `memory: ${report.cycles} cycles in ${(report.ms / 1000).toFixed(1)} s (${Object.entries(report.drops).map(([k, n]) => `${k} ${n}`).join(', ')})`,
        `  heap after gc(): ${kb(first.bytes)} at cycle ${first.cycle} → ${kb(last.bytes)} at ${last.cycle} (${growth >= 0 ? '+' : ''}${kb(growth)}, ${(growth / (last.cycle - first.cycle)).toFixed(0)} B/cycle; bound ${kb(HEAP_BOUND)})`,
        `  samples: ${report.heap.map((h) => kb(h.bytes)).join(' ')}`,
        `  most grown objects: ${report.grown.map((g) => `${g.what} +${g.more}`).join(', ') || 'none'}`,
        `  source maps parsed before the baseline: ${report.sourceMaps.parsed} (source maps ${report.sourceMaps.enabled ? 'on' : 'off'})`,
        `  peer timers live: ${report.peerTimers.warm} warm, ${report.peerTimers.end} end, ${report.peerTimers.afterClose} after close()`,
        `  listeners: warm ${JSON.stringify(report.listeners.warm)}, end ${JSON.stringify(report.listeners.end)}, after close() ${JSON.stringify(report.listeners.afterClose)}`,
        `  active resources: warm ${JSON.stringify(report.resources.warm)}, end ${JSON.stringify(report.resources.end)}`,
        `  requests ok ${report.requests.ok}/${report.cycles}, timed out as meant ${report.requests.timedOut}/${report.cycles / 10}; notifications queued while down ${report.notifications.sent}, arrived once ${report.notifications.arrivedOnce}, twice ${report.notifications.arrivedTwice}`,
      ].join('\n'),
    );

    // The Peer worked the whole time: every request answered, every queued notification sent once.
    expect(report.requests.failed).toEqual([]);
    expect(report.requests.ok).toBe(CYCLES);
    expect(report.requests.timedOut).toBe(CYCLES / 10);
    expect(report.notifications.arrivedTwice).toBe(0);
    // Each was queued while the link was down and flushed on open; only a drop we did not cause,
    // hitting before the server read it, may lose one (notifications are not replayed).
    expect(report.notifications.arrivedOnce).toBeGreaterThanOrEqual(CYCLES - report.drops.unplanned!);

    // The baseline was taken with every loaded module's source map already parsed, so a stack
    // trace formatted later (after a drop we did not plan) adds nothing that counts as growth.
    if (report.sourceMaps.enabled) expect(report.sourceMaps.parsed).toBeGreaterThan(0);

    // Heap: back within a small bound, and no kind of object kept per cycle.
    expect(growth).toBeLessThan(HEAP_BOUND);
    expect(report.grown.filter((g) => g.more > OBJECT_BOUND)).toEqual([]);

    // Timers: a live link holds its heartbeat (and maybe the stable timer); nothing piles up; close() clears all.
    expect(report.peerTimers.end).toBeLessThanOrEqual(Math.max(report.peerTimers.warm, 2));
    expect(report.peerTimers.afterClose).toBe(0);

    // Listeners: the same on the network/visibility targets and on the Peer; none left on the
    // AbortSignal every request shared; none at all after close().
    expect(report.listeners.end).toEqual(report.listeners.warm);
    expect(report.listeners.end.abortSignal).toBe(0);
    expect(report.listeners.afterClose).toEqual({ network: 0, visibility: 0, abortSignal: 0 });
    expect(report.peerListeners.end).toBe(report.peerListeners.warm);

    // Sockets and timers of the whole process: as many as after the warm-up (give or take a
    // socket of the last link still closing), and none left after close().
    expect(report.resources.end.TCPSocketWrap ?? 0).toBeLessThanOrEqual((report.resources.warm.TCPSocketWrap ?? 0) + 2);
    expect(report.resources.end.Timeout ?? 0).toBeLessThanOrEqual((report.resources.warm.Timeout ?? 0) + 2);
    expect(report.resources.afterClose.TCPSocketWrap ?? 0).toBe(0);
    expect(report.resources.afterClose.Timeout ?? 0).toBe(0);
  });
});
