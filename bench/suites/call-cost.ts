// What one two-party call setup costs on the signaling links: the demo's call in real
// Chromium (two browser contexts, fake camera), counted from the first page load until both
// sides are connected with the chat channel open, plus 1.5 s for late candidates and acks.
//   frames:  text frames the signaling server received (up) and sent (down), both tabs,
//            from its own view (demo/capture.ts); pings and pongs are counted separately
//   payload: UTF-8 bytes of those frames, before compression
//   wire:    TCP bytes on the tabs' signaling links (demo/server.ts proxy): WebSocket
//            headers, masking, the HTTP upgrade, and compression when it is on
// Configurations: encrypted (the demo's default) or not, candidates batched (negotiate()'s
// default, 50 ms) or sent one by one, perMessageDeflate off or on (threshold 1024 B).
//   npx tsx bench/suites/call-cost.ts      this suite alone (needs dist/: npm run build)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { startDemo } from '../../demo/server.js';
import { launchChromium } from '../../test/support/chromium.js';
import { canUnshare, inLoopbackNamespace, loopbackNamespaceArgv } from '../../test/support/netns.js';
import { socketIoRelayCost, type RelayCost, type RelayMessage } from './socketio-relay.js';

export interface CallCostConfig {
  e2e: boolean;
  batch: boolean;
  deflate: boolean;
}

export interface CallCostRow extends CallCostConfig {
  frames: { up: number; down: number };
  /** Of those frames, pings and pongs (liveness, not the call). */
  pings: number;
  /** Room signals sent (each: a request, its answer, a notification). */
  signals: number;
  payloadBytes: { up: number; down: number };
  wireBytes: { up: number; down: number };
  setupMs: number;
  /**
   * What the room signals cost, on average per signal, in payload bytes: the request, its
   * answer and the relayed notification; and the ack frames of the whole call (an ack covers
   * every notification up to its seq, signals and room notices alike).
   */
  perSignal: { request: number; answer: number; notification: number; acks: number };
  /** The same app messages through a bare socket.io relay (clear, one per candidate, no compression only). */
  socketio?: RelayCost;
}

type Captured = { dir: 'in' | 'out'; bytes: number; text: string };

/** Per-signal figures from the server's capture of a call. */
function perSignal(frames: Captured[]): CallCostRow['perSignal'] {
  const parsed = frames.map((f) => ({ ...f, frame: JSON.parse(f.text) as { type: string; id?: string; method?: string } }));
  const requests = parsed.filter((f) => f.dir === 'in' && f.frame.type === 'request' && f.frame.method === 'signal');
  const ids = new Set(requests.map((f) => f.frame.id));
  const answers = parsed.filter((f) => f.dir === 'out' && f.frame.type === 'response' && ids.has(f.frame.id));
  const notices = parsed.filter((f) => f.dir === 'out' && f.frame.type === 'notification' && f.frame.method === 'signal');
  const mean = (list: Captured[]) => (list.length === 0 ? 0 : Math.round(list.reduce((n, f) => n + f.bytes, 0) / list.length));
  return {
    request: mean(requests),
    answer: mean(answers),
    notification: mean(notices),
    acks: parsed.filter((f) => f.dir === 'in' && f.frame.type === 'ack').length,
  };
}

/** The app data of every room signal the server relayed, in order, by sending tab (0: the first to send). */
function relayedMessages(frames: Captured[]): RelayMessage[] {
  const tabs: string[] = [];
  return frames
    .filter((f) => f.dir === 'out' && f.text.startsWith('{"type":"notification","method":"signal"'))
    .map((f) => {
      const { from, data } = (JSON.parse(f.text) as { data: { from: string; data: unknown } }).data;
      if (!tabs.includes(from)) tabs.push(from);
      return { from: tabs.indexOf(from) as 0 | 1, data };
    });
}

export const CALL_COST_CONFIGS: CallCostConfig[] = [
  { e2e: false, batch: false, deflate: false },
  { e2e: false, batch: true, deflate: false },
  { e2e: true, batch: false, deflate: false },
  { e2e: true, batch: true, deflate: false },
  { e2e: true, batch: true, deflate: true },
  { e2e: false, batch: true, deflate: true },
];

async function measure(browser: Browser, config: CallCostConfig): Promise<CallCostRow & { relayed: RelayMessage[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'resignal-call-cost-'));
  const file = path.join(dir, 'frames.jsonl');
  writeFileSync(file, '');
  const demo = await startDemo({ port: 0, host: '127.0.0.1', captureFile: file, ...(config.deflate && { deflateThreshold: 1024 }) });
  const contexts = [await browser.newContext(), await browser.newContext()];
  try {
    const query = `room=cost-${Date.now().toString(36)}&e2e=${config.e2e ? 1 : 0}${config.batch ? '' : '&batch=0'}`;
    const url = `http://127.0.0.1:${demo.port}/?${query}#key=${'k'.repeat(22)}`;
    const t0 = Date.now();
    const pages = await Promise.all(contexts.map((c) => c.newPage()));
    for (const page of pages) {
      await page.goto(url);
      await page.evaluate('demo.ready');
    }
    const connected = `[...demo.calls.values()].some((c) => c.pc.connectionState === 'connected' && c.chat.readyState === 'open')`;
    for (const page of pages) await page.waitForFunction(connected, undefined, { timeout: 60_000, polling: 50 });
    const setupMs = Date.now() - t0;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const wireBytes = demo.wireBytes();
    const frames = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Captured);
    const count = (dir: 'in' | 'out') => frames.filter((f) => f.dir === dir);
    return {
      ...config,
      frames: { up: count('in').length, down: count('out').length },
      pings: frames.filter((f) => /^\{"type":"p[io]ng"/.test(f.text)).length,
      signals: frames.filter((f) => f.dir === 'in' && f.text.includes('"method":"signal"')).length,
      payloadBytes: { up: count('in').reduce((n, f) => n + f.bytes, 0), down: count('out').reduce((n, f) => n + f.bytes, 0) },
      wireBytes,
      setupMs,
      perSignal: perSignal(frames),
      relayed: relayedMessages(frames),
    };
  } finally {
    for (const context of contexts) await context.close().catch(() => {});
    await demo.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Like the browser tests, the calls run in a loopback-only network namespace where the machine
 * allows it (root on Linux): ICE then pairs 127.0.0.1 only, the same on every machine.
 */
export function runCallCostIsolated(): CallCostRow[] | undefined {
  if (inLoopbackNamespace() || !canUnshare()) return undefined;
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'resignal-call-cost-')), 'rows.json');
  const argv = loopbackNamespaceArgv([process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), '--json', out]);
  const result = spawnSync(argv[0]!, argv.slice(1), { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`the call-cost suite failed (exit ${result.status})`);
  return JSON.parse(readFileSync(out, 'utf8')) as CallCostRow[];
}

export async function runCallCost(log: (line: string) => void = console.log): Promise<CallCostRow[]> {
  const browser = await launchChromium({ webrtc: true });
  const rows: CallCostRow[] = [];
  try {
    for (const config of CALL_COST_CONFIGS) {
      const { relayed, ...row } = await measure(browser, config);
      log(`call cost ${label(row)}: ${row.frames.up + row.frames.down} frames, ${kB(row.wireBytes.up + row.wireBytes.down)} kB on the wire`);
      if (!config.e2e && !config.batch && !config.deflate) {
        row.socketio = await socketIoRelayCost(relayed);
        log(`call cost, the same ${relayed.length} messages through a bare socket.io relay: ${row.socketio.frames.up + row.socketio.frames.down} frames, ${kB(row.socketio.wireBytes.up + row.socketio.wireBytes.down)} kB on the wire`);
      }
      rows.push(row);
    }
  } finally {
    await browser.close();
  }
  return rows;
}

const kB = (bytes: number) => (bytes / 1000).toFixed(1);
const label = (c: CallCostConfig) => `${c.e2e ? 'encrypted' : 'clear'}, ${c.batch ? 'batched' : 'one per candidate'}, ${c.deflate ? 'deflate' : 'no compression'}`;

/** bench/results/call-cost.md (results.md is written by the rest of the bench). */
export function writeCallCost(rows: CallCostRow[], command: string): string {
  const out = fileURLToPath(new URL('../results/call-cost.md', import.meta.url));
  const network = inLoopbackNamespace() || canUnshare() ? 'a loopback-only network namespace' : "the machine's own network";
  writeFileSync(out, `# Call cost\n\nMeasured ${new Date().toISOString()} with \`${command}\`, in ${network}.\n\n${callCostTable(rows)}\n\n${perSignalTable(rows)}\n`);
  return out;
}

export function callCostTable(rows: CallCostRow[]): string {
  const lines = [
    '| signals | candidates | compression | frames up + down (pings) | room signals | payload kB up + down | wire kB up + down | total wire kB |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.e2e ? 'encrypted' : 'clear'} | ${r.batch ? 'batched' : 'one each'} | ${r.deflate ? 'on (≥ 1 kB)' : 'off'} | ${r.frames.up} + ${r.frames.down} = **${r.frames.up + r.frames.down}** (${r.pings}) | ${r.signals} | ${kB(r.payloadBytes.up)} + ${kB(r.payloadBytes.down)} | ${kB(r.wireBytes.up)} + ${kB(r.wireBytes.down)} | **${kB(r.wireBytes.up + r.wireBytes.down)}** |`,
    );
    const io = r.socketio;
    if (io) {
      lines.push(
        `| socket.io relay, the same ${io.messages} messages | one each | off | ${io.frames.up} + ${io.frames.down} = **${io.frames.up + io.frames.down}** (0) | ${io.messages} emits | ${kB(io.payloadBytes.up)} + ${kB(io.payloadBytes.down)} | ${kB(io.wireBytes.up)} + ${kB(io.wireBytes.down)} | **${kB(io.wireBytes.up + io.wireBytes.down)}** |`,
      );
    }
  }
  return lines.join('\n');
}

/** What one room signal costs: request, answer and relayed notification (mean payload bytes), and the call's acks. */
export function perSignalTable(rows: CallCostRow[]): string {
  const lines = ['| signals | candidates | compression | room signals | request B | answer B | notification B | ack frames in the call |', '|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    const p = r.perSignal;
    lines.push(`| ${r.e2e ? 'encrypted' : 'clear'} | ${r.batch ? 'batched' : 'one each'} | ${r.deflate ? 'on (≥ 1 kB)' : 'off'} | ${r.signals} | ${p.request} | ${p.answer} | ${p.notification} | ${p.acks} |`);
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const json = process.argv.indexOf('--json');
  if (json > 0) {
    writeFileSync(process.argv[json + 1]!, JSON.stringify(await runCallCost()));
    process.exit(0);
  }
  const rows = runCallCostIsolated() ?? (await runCallCost());
  writeCallCost(rows, 'npx tsx bench/suites/call-cost.ts');
  console.log(`${callCostTable(rows)}\n\n${perSignalTable(rows)}`);
}
