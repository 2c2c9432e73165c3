// Run by memory.test.ts as `node --expose-gc --import tsx memory-main.ts`, so the heap it
// measures holds one Peer (plus its fault proxy), not the test runner. The reference
// server runs in yet another process. Prints one JSON object (MemoryReport) on stdout.
//
// One Peer goes through CYCLES connect/drop cycles: RST, FIN, reconnectNow() and, every
// 40th cycle, a blackhole only liveness can detect. Each cycle also sends a request
// (answered or replayed across the drop) and queues a notification while the link is down.
import { getEventListeners } from 'node:events';
import { readdirSync } from 'node:fs';
import { findSourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getHeapSnapshot } from 'node:v8';
import { isSignalError, Peer } from '../../../src/index.js';
import type { TimerHandle } from '../../../src/env.js';
import { FaultProxy } from '../../support/fault-proxy.js';
import { ServerProcess } from '../../support/server-process.js';

export interface MemoryReport {
  cycles: number;
  ms: number;
  /** heapUsed after gc(), bytes: after the warm-up, then every 100 cycles. */
  heap: Array<{ cycle: number; bytes: number }>;
  /**
   * Heap objects, closures and arrays by constructor that are more numerous at the end
   * than after the warm-up (largest growth first). Compiled code is left out: V8 keeps
   * optimizing for a while, which grows the heap without anything leaking.
   */
  grown: Array<{ what: string; more: number }>;
  drops: Record<string, number>;
  /** `ok`: answered correctly; `timedOut`: the ones meant to time out did. */
  requests: { ok: number; timedOut: number; failed: string[] };
  notifications: { sent: number; arrivedOnce: number; arrivedTwice: number };
  /** Timers the Peer armed through its env and neither fired nor cleared. */
  peerTimers: { warm: number; end: number; afterClose: number };
  /** Listeners the Peer holds on its network/visibility targets and on a shared AbortSignal. */
  listeners: { warm: Record<string, number>; end: Record<string, number>; afterClose: Record<string, number> };
  /** process.getActiveResourcesInfo() counts. */
  resources: { warm: Record<string, number>; end: Record<string, number>; afterClose: Record<string, number> };
  /** Listeners on the Peer itself, by event. */
  peerListeners: { warm: number; end: number };
  /** Source maps of loaded modules parsed before the baseline (see warmSourceMaps). */
  sourceMaps: { enabled: boolean; parsed: number };
}

const CYCLES = Number(process.env.CYCLES ?? 1000);
const WARMUP = 100;

declare const gc: () => void;

async function heapUsed(): Promise<number> {
  for (let i = 0; i < 5; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

/**
 * Node parses a module's source map the first time a stack trace through that module is
 * formatted (tsx turns source maps on), and keeps it: some 600 arrays for the fault proxy
 * alone. That happens whenever some error's stack is first read, e.g. after a drop we did
 * not plan, and it would count as growth if it came after the baseline. So parse them all
 * now: every module under src/ and test/ this process has loaded (others return undefined).
 */
function warmSourceMaps(): number {
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  let parsed = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.[cm]?ts$/.test(entry.name) && findSourceMap(pathToFileURL(full).href)) parsed++;
    }
  };
  walk(path.join(root, 'src'));
  walk(path.join(root, 'test'));
  void new Error('format one stack trace, so that machinery is warm too').stack;
  return parsed;
}

/** Live objects, closures and arrays per constructor name, from a heap snapshot (after gc). */
async function countObjects(): Promise<Map<string, number>> {
  gc();
  let text = '';
  for await (const chunk of getHeapSnapshot()) text += String(chunk);
  const snapshot = JSON.parse(text) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
  const { node_fields: fields, node_types: [types] } = snapshot.snapshot.meta;
  const [typeAt, nameAt] = [fields.indexOf('type'), fields.indexOf('name')];
  const counts = new Map<string, number>();
  const { nodes, strings } = snapshot;
  for (let i = 0; i < nodes.length; i += fields.length) {
    const type = types[nodes[i + typeAt]!]!;
    if (type !== 'object' && type !== 'closure' && type !== 'array') continue;
    const what = `${type} ${strings[nodes[i + nameAt]!]!.slice(0, 80)}`;
    counts.set(what, (counts.get(what) ?? 0) + 1);
  }
  return counts;
}

function countResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

/** An EventTarget-like object that counts its listeners per type. */
function countingTarget(extra: object = {}) {
  const listeners = new Map<string, Set<unknown>>();
  return {
    ...extra,
    addEventListener(type: string, fn: unknown) {
      listeners.set(type, (listeners.get(type) ?? new Set()).add(fn));
    },
    removeEventListener(type: string, fn: unknown) {
      listeners.get(type)?.delete(fn);
    },
    count(): number {
      let n = 0;
      for (const set of listeners.values()) n += set.size;
      return n;
    },
  };
}

async function main(): Promise<void> {
  const server = new ServerProcess('memory');
  await server.start(0);
  const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: server.port } });

  // The Peer's timers, counted through its env: armed and not yet fired or cleared.
  const live = new Set<TimerHandle>();
  const network = countingTarget();
  const visibility = countingTarget({ visibilityState: 'visible' });
  const signal = new AbortController().signal; // shared by every request, never aborted

  const peer = new Peer({
    urls: proxy.url('/rtc'),
    backoff: { connect: [0], reconnect: [0], jitter: 0 },
    heartbeat: { interval: 50, maxMissed: 2 },
    connectTimeout: 2_000,
    requestTimeout: 10_000,
    env: {
      setTimeout: (fn, ms) => {
        const handle = setTimeout(() => {
          live.delete(handle);
          fn();
        }, ms);
        live.add(handle);
        return handle;
      },
      clearTimeout: (handle) => {
        live.delete(handle);
        clearTimeout(handle as NodeJS.Timeout);
      },
      network: network as never,
      visibility: visibility as never,
      reportError: (error) => console.error('listener threw', error),
    },
  });
  let opens = 0;
  let nextOpen: (() => void) | undefined;
  let nextClose: (() => void) | undefined;
  peer.on('open', () => {
    opens++;
    nextOpen?.();
  });
  peer.on('close', () => nextClose?.());
  peer.on('error', (error) => console.error('peer error', error));
  const event = (set: (fn: () => void) => void, what: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within 10 s`)), 10_000);
      set(() => {
        clearTimeout(timer);
        set(() => {});
        resolve();
      });
    });
  const opened = () => event((fn) => (nextOpen = fn), 'open');
  const closed = () => event((fn) => (nextClose = fn), 'close');

  const report: MemoryReport = {
    cycles: CYCLES,
    ms: 0,
    heap: [],
    grown: [],
    drops: { reset: 0, fin: 0, reconnectNow: 0, blackhole: 0, unplanned: 0 },
    requests: { ok: 0, timedOut: 0, failed: [] },
    notifications: { sent: 0, arrivedOnce: 0, arrivedTwice: 0 },
    peerTimers: { warm: 0, end: 0, afterClose: 0 },
    listeners: { warm: {}, end: {}, afterClose: {} },
    resources: { warm: {}, end: {}, afterClose: {} },
    peerListeners: { warm: 0, end: 0 },
    sourceMaps: { enabled: process.sourceMapsEnabled, parsed: 0 },
  };
  const peerListenerCount = () => peer.eventNames().reduce((n, name) => n + peer.listenerCount(name), 0);
  const listenerCounts = () => ({ network: network.count(), visibility: visibility.count(), abortSignal: getEventListeners(signal, 'abort').length });
  // Sockets of the last dropped link close asynchronously: let them go before counting.
  const settle = () => new Promise((resolve) => setTimeout(resolve, 100));
  const snapshot = () => ({ timers: live.size, listeners: listenerCounts(), resources: countResources(), peerListeners: peerListenerCount() });

  await peer.connect();
  const began = Date.now();
  let warmObjects = new Map<string, number>();
  /** Store the current counts as the warm-up baseline or as the end state. */
  const record = (stage: 'warm' | 'end'): void => {
    const counts = snapshot();
    report.peerTimers[stage] = counts.timers;
    report.listeners[stage] = counts.listeners;
    report.resources[stage] = counts.resources;
    report.peerListeners[stage] = counts.peerListeners;
  };
  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    // A drop we did not cause (e.g. a gc pause tripped liveness): wait for the reopen first.
    if (peer.state !== 'open') {
      report.drops.unplanned!++;
      await opened();
    }
    const answer = peer.request('echo', cycle, { signal }).then(
      (value) => {
        if (value === cycle) report.requests.ok++;
        else report.requests.failed.push(`cycle ${cycle}: answered ${JSON.stringify(value)}`);
      },
      (error: unknown) => void report.requests.failed.push(`cycle ${cycle}: ${String(error)}`),
    );
    // Every 10th cycle also a request that times out (the server takes 200 ms, we wait 20):
    // its timer and its listener on the shared signal must go too.
    const expired =
      cycle % 10 === 0
        ? peer.request('slow', { ms: 200 }, { signal, timeout: 20 }).then(
            () => void report.requests.failed.push(`cycle ${cycle}: the slow request did not time out`),
            (error: unknown) => (isSignalError(error) && error.code === 'TIMEOUT' ? report.requests.timedOut++ : report.requests.failed.push(`cycle ${cycle}: ${String(error)}`)),
          )
        : undefined;
    const down = closed();
    const up = opened();
    const kind = cycle % 40 === 0 ? 'blackhole' : (['reset', 'fin', 'reconnectNow'] as const)[cycle % 3]!;
    report.drops[kind]!++;
    if (kind === 'reset') proxy.resetAll();
    else if (kind === 'fin') proxy.dropAll();
    else if (kind === 'reconnectNow') peer.reconnectNow();
    else proxy.mode('blackhole');
    await down;
    if (kind === 'blackhole') proxy.mode('pass');
    peer.notify('note', cycle); // queued: the link is down
    report.notifications.sent++;
    await up;
    await answer;
    await expired;
    if (cycle === WARMUP) {
      await settle();
      report.sourceMaps.parsed = warmSourceMaps();
      record('warm');
      warmObjects = await countObjects();
    }
    if (cycle >= WARMUP && cycle % 100 === 0) report.heap.push({ cycle, bytes: await heapUsed() });
  }
  report.ms = Date.now() - began;
  await settle();
  record('end');
  for (const [what, n] of await countObjects()) {
    const more = n - (warmObjects.get(what) ?? 0);
    if (more > 0) report.grown.push({ what, more });
  }
  report.grown = report.grown.sort((a, b) => b.more - a.more).slice(0, 10);

  // Notifications: each queued once while down, flushed once on open.
  const runs = (await peer.request('runs')) as Record<string, number>;
  for (const [key, n] of Object.entries(runs)) {
    if (!key.startsWith('note:')) continue;
    if (n === 1) report.notifications.arrivedOnce++;
    else report.notifications.arrivedTwice++;
  }

  peer.close();
  await new Promise((resolve) => setTimeout(resolve, 100));
  report.peerTimers.afterClose = live.size;
  report.listeners.afterClose = listenerCounts();
  await proxy.close();
  await server.stop();
  await new Promise((resolve) => setTimeout(resolve, 100));
  report.resources.afterClose = countResources();
  process.stdout.write(`${JSON.stringify(report)}\n`);
  if (opens < CYCLES) throw new Error(`only ${opens} opens for ${CYCLES} cycles`);
}

await main();
