// Turns the results into bench/results/results.md, results.json and chart.svg.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BundleRow } from '../suites/bundle.js';
import type { CrashCounts, CrashResult } from '../suites/crash.js';
import type { DeadLinkResult } from '../suites/deadlink.js';
import type { RecoveryResult } from '../suites/recovery.js';
import { METRICS, type Metric, type ThroughputResult } from '../suites/throughput.js';
import { scaleMarkdown, type ScaleResults } from './report-scale.js';
import { max, median, min } from './util.js';

export interface BenchResults {
  meta: {
    date: string;
    command: string;
    nproc: string;
    cpu: string;
    node: string;
    platform: string;
    loadBefore: string;
    loadAfter: string;
    resignalSource: string;
    versions: Record<string, string>;
    config: Record<string, number>;
    durationS: number;
  };
  notes: string[];
  throughput: ThroughputResult;
  deadLink: DeadLinkResult;
  crash: CrashResult;
  recovery: RecoveryResult;
  bundle: BundleRow[];
  scale: ScaleResults;
}

/** BENCH_OUT=/some/dir writes the results elsewhere (e.g. when measuring a candidate build). */
const RESULTS = process.env.BENCH_OUT ? `${process.env.BENCH_OUT.replace(/\/$/, '')}/` : fileURLToPath(new URL('../results/', import.meta.url));
const LIBS = ['ws', 'resignal', 'socket.io', 'protoo'] as const;
const METRIC_LABEL: Record<Metric, string> = { sequential: 'sequential round trips', pipelined: '100 requests in flight', notifications: 'notifications client→server (200 B)', pushes: 'notifications server→client (200 B)' };
const CHART_LABEL: Record<Metric, string> = { sequential: 'sequential', pipelined: '100 in flight', notifications: 'notify →server', pushes: 'notify →client' };
const GOAL: Record<Metric, number> = { sequential: 0.95, pipelined: 0.9, notifications: 0.95, pushes: 0.95 };
const COLOR: Record<string, string> = { ws: '#8c8c8c', resignal: '#1f6fd1', 'socket.io': '#e08a00', protoo: '#2e9e5b' };

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const fixed = (n: number | null | undefined, digits = 2) => (n === null || n === undefined || Number.isNaN(n) ? '—' : n.toFixed(digits));
const secs = (n: number | null | undefined) => (n === null || n === undefined ? '—' : `${n.toFixed(n < 10 ? 2 : 1)} s`);
const yes = (ok: boolean) => (ok ? '**met**' : '**not met**');

// ---------------------------------------------------------------- goals

interface Goal {
  goal: string;
  measured: string;
  met: boolean;
}

function goals(r: BenchResults): Goal[] {
  const { ratio } = r.throughput;
  const out: Goal[] = METRICS.map((m) => ({
    goal: `resignal ≥ ${GOAL[m].toFixed(2)} × raw ws, ${METRIC_LABEL[m]}`,
    measured: `${fixed(ratio.resignal?.[m])} × ws`,
    met: (ratio.resignal?.[m] ?? 0) >= GOAL[m],
  }));
  const behind = METRICS.flatMap((m) =>
    (['socket.io', 'protoo'] as const).filter((lib) => (ratio.resignal?.[m] ?? 0) <= (ratio[lib]?.[m] ?? 0)).map((lib) => `${lib} on ${METRIC_LABEL[m]} (${fixed(ratio[lib]?.[m])} vs ${fixed(ratio.resignal?.[m])})`),
  );
  out.push({
    goal: 'resignal ahead of socket.io and protoo on every one',
    measured: behind.length === 0 ? 'ahead on every one' : `behind ${behind.join('; ')}`,
    met: behind.length === 0,
  });
  const dl = r.deadLink.rows.find((row) => row.config.startsWith('resignal (defaults'));
  if (dl) {
    const worst = dl.samples.some((s) => s === null) ? null : max(dl.samples as number[]);
    out.push({
      goal: 'default dead-link detection ≤ 20 s',
      measured: `median ${secs(dl.median)}, worst ${worst === null ? `not detected in ${r.deadLink.capS} s` : secs(worst)} (${dl.detected}/${dl.samples.length} clients)`,
      met: worst !== null && worst <= 20,
    });
  }
  const cr = r.crash.rows.find((row) => row.library === 'resignal');
  if (cr) {
    const lost = cr.inFlight.lost + cr.whileDown.lost + cr.inFlight.failed + cr.whileDown.failed + cr.inFlight.noAnswer + cr.whileDown.noAnswer;
    const dup = cr.inFlight.twice + cr.whileDown.twice;
    out.push({
      goal: 'zero lost and zero duplicated requests (server SIGKILL + restart)',
      measured: `${lost} lost or unanswered, ${dup} of ${cr.inFlight.requests + cr.whileDown.requests} ran twice${dup > 0 ? ` (all ${cr.inFlight.replayRuns + cr.whileDown.replayRuns} second runs flagged \`ctx.replay\`)` : ''}`,
      met: lost === 0 && dup === 0,
    });
  }
  return out;
}

// ---------------------------------------------------------------- markdown

function markdown(r: BenchResults): string {
  const { meta, throughput: tp } = r;
  const lines: string[] = [];
  const push = (...l: string[]) => lines.push(...l);
  const versions = Object.entries(meta.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  push(
    '# Benchmarks: resignal vs raw ws, socket.io and protoo',
    '',
    `- **Date:** ${meta.date.replace('T', ' ').slice(0, 16)} UTC, ${meta.durationS} s`,
    `- **Machine:** ${meta.nproc} cores (\`nproc\`), ${meta.cpu} (/proc/cpuinfo), Node ${meta.node}, ${meta.platform}; load average ${meta.loadBefore} before, ${meta.loadAfter} after`,
    `- **Command:** \`${meta.command}\``,
    `- **Versions:** ${versions}; resignal loaded from \`${meta.resignalSource === 'dist' ? 'dist/ (npm run build)' : 'src/ (through tsx)'}\``,
    '',
    '![throughput relative to raw ws, and dead-link detection time](chart.svg)',
    '',
  );
  for (const note of r.notes) push(`> ${note}`, '');

  push('## Goals', '', '| goal | measured | |', '| --- | --- | --- |');
  for (const g of goals(r)) push(`| ${g.goal} | ${g.measured} | ${yes(g.met)} |`);
  push('');

  push(
    '## Throughput',
    '',
    `Median of ${tp.rounds} interleaved rounds of ${tp.windowMs / 1000} s per library and metric (range in brackets); "× ws" is the median of the per-round ratios to raw ws measured in the same round. Payload: a ${tp.payloadBytes}-byte JSON object, echoed back by requests.`,
    '',
    '| library | round trips/s, sequential | × ws | requests/s, 100 in flight | × ws | notifications/s, client→server | × ws | notifications/s, server→client | × ws |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const lib of LIBS) {
    const s = tp.samples[lib];
    if (!s) continue;
    const cell = (m: Metric) => `${int(tp.median[lib]![m])} <sub>(${int(min(s[m]))}–${int(max(s[m]))})</sub> | ${fixed(tp.ratio[lib]![m])}`;
    push(`| ${lib} | ${METRICS.map(cell).join(' | ')} |`);
  }
  push(
    '',
    'CPU time (user + system) per operation, median µs, in the client process and in the server process (the machine had other work running, so this is steadier than the rates above):',
    '',
    '| library | sequential: client | server | 100 in flight: client | server | notifications →server: client | server | notifications →client: client | server |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const lib of LIBS) {
    const c = tp.cpu[lib];
    if (!c) continue;
    const cell = (m: Metric) => `${fixed(median(c[m].map((x) => x.client)), 1)} | ${fixed(median(c[m].map((x) => x.server)), 1)}`;
    push(`| ${lib} | ${METRICS.map(cell).join(' | ')} |`);
  }
  push('');
  for (const p of tp.problems) push(`> Problem: ${p}`, '');
  if (tp.problems.some((p) => p.startsWith('protoo:'))) {
    push(
      "> Why protoo: protoo-client draws each request id at random from 0-10,000,000 (`utils.generateRandomNumber`) and keeps pending requests in a Map by id. With 100 in flight, about one request in 100,000 takes an id that is already pending: the later request receives the earlier one's answer, and the earlier one waits for its timeout (about 37 s at that depth). The bench checks every answer against the request's own number, abandons such requests after 3 s and does not count them.",
      '',
    );
  }

  const dl = r.deadLink;
  push(
    '## Dead-link detection',
    '',
    `Time from the moment the TCP link is blackholed (a userspace proxy keeps both connections open and silently drops every byte, both ways) until the library reports the link down. ${dl.offsetsS.length} clients per row, blackholed at staggered moments (${dl.offsetsS.join(', ')} s) so that heartbeat phase is sampled; cap ${dl.capS} s.`,
    '',
    '| library and settings | detected | median | range | per client (s) |',
    '| --- | ---: | ---: | --- | --- |',
  );
  for (const row of dl.rows) {
    const per = row.samples.map((s) => (s === null ? '—' : s.toFixed(1))).join(', ');
    const med = row.detected === 0 ? `not detected in ${dl.capS} s` : row.detected < row.samples.length ? `${secs(row.median)} (of those detected)` : secs(row.median);
    const range = row.detected === 0 ? '—' : `${secs(row.min)} – ${secs(row.max)}`;
    push(`| ${row.config} | ${row.detected}/${row.samples.length} | ${med} | ${range} | ${per} |`);
  }
  push('');

  const rc = r.recovery;
  push(
    '## Recovery after a server crash, and failover',
    '',
    `Recovery: the server process is SIGKILLed; an already-loaded replacement listens on the same port ${rc.restartAfterMs / 1000} s later (a stand-in for a fast restart). Seconds from the kill; median of ${rc.rounds} rounds, 6 s apart.`,
    '',
    '| library | link reported down | link open again | first request answered | per round (answered) |',
    '| --- | ---: | ---: | ---: | --- |',
  );
  for (const row of rc.recovery) {
    push(`| ${row.library} | ${secs(median(row.downS.filter((x): x is number => x !== null)))} | ${secs(row.medianUpS)} | ${secs(row.medianAnsweredS)} | ${row.answeredS.map((s) => (s === null ? '—' : s.toFixed(2))).join(', ')} |`);
  }
  push('| ws | immediate | never (no reconnect) | never | — |', '');
  push(
    'Failover: the client is given two server urls; the server it is connected to is SIGKILLed and stays down. Seconds from the kill until a request is answered by the other server.',
    '',
    '| library | failover, median | per round | path |',
    '| --- | ---: | --- | --- |',
  );
  for (const row of rc.failover) push(`| ${row.library} | ${secs(row.medianAnsweredS)} | ${row.answeredS.map((s) => (s === null ? '—' : s.toFixed(2))).join(', ')} | ${row.servedBy.join(', ')} |`);
  push('| socket.io | n/a: one url per Manager, no failover option | | |', '| protoo | n/a: one url per WebSocketTransport | | |', '| ws | n/a | | |', '');

  const cr = r.crash;
  push(
    '## In-flight requests at a server crash',
    '',
    `Method: per library, a client connected to a server process sends ${cr.requests} requests to a handler that appends \`start <id>\` to a log file (synchronously, so the line survives a SIGKILL), waits ${cr.handlerMs / 1000} s, appends \`end <id>\` and answers. 200 ms after the first handler started (all ${cr.requests} are now mid-way) the server is SIGKILLed. 300 ms after the kill, while no server is up, the client sends ${cr.whileDown} more requests. 1 s after the kill a replacement server process (same port, same log, empty memory) starts listening. We then wait until every request has settled, at most ${cr.capS} s after the kill, and count, per request, how many times its handler *started* across both processes (a handler that started has had its side effects, even if the crash cut it short) and what the caller got.`,
    '',
    '"Lost" = the handler never ran. A request whose caller got an error or nothing may still have run: the caller cannot tell. socket.io with `retries` sends acknowledged emits one at a time (each waits for the previous ack), so only the first of its 50 was running at the kill; the rest queued in the client.',
    '',
    '| library | requests | ran once | ran twice or more | lost (never ran) | caller got the answer | caller got an error | no answer by the cap |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  const crashRow = (library: string, label: string, c: CrashCounts) =>
    `| ${library} | ${label} | ${c.once} | ${c.twice}${c.replayRuns > 0 ? ` (${c.replayRuns} flagged replay)` : ''} | ${c.lost} | ${c.answered} | ${c.failed} | ${c.noAnswer} |`;
  for (const row of cr.rows) {
    const running = row.startedBeforeKill === undefined || row.startedBeforeKill === row.inFlight.requests ? '' : ` (only ${row.startedBeforeKill} had reached the handler)`;
    push(crashRow(row.library, `${row.inFlight.requests} sent before the kill${running}`, row.inFlight));
    push(crashRow(row.library, `${row.whileDown.requests} sent while down`, row.whileDown));
  }
  push('', 'Errors the callers saw:', '');
  for (const row of cr.rows) {
    const errors = Object.entries(row.errors);
    if (errors.length > 0) push(`- ${row.library}: ${errors.map(([message, n]) => `${n} × "${message}"`).join('; ')}`);
  }
  push('');

  push(...scaleMarkdown(r.scale));

  push('## Bundle size (browser, minified)', '', '| library | file | minified | gzipped (level 9) | note |', '| --- | --- | ---: | ---: | --- |');
  for (const row of r.bundle) push(`| ${row.library} | ${row.file} | ${int(row.minifiedBytes)} B | **${int(row.gzipBytes)} B** | ${row.note ?? ''} |`);
  push('');
  const parts = r.bundle.find((row) => row.library === 'resignal')?.composition;
  if (parts) {
    const total = parts.reduce((sum, p) => sum + p.bytes, 0);
    push(`What resignal's bundle is made of (esbuild's minified bytes per package for \`src/index.ts\`, before gzip; an estimate of the rollup build): ${parts.map((p) => `${p.part} ${int(p.bytes)} B (${Math.round((100 * p.bytes) / total)}%)`).join(', ')}.`, '');
  }

  push(
    '## Method and arrangement',
    '',
    '- **Processes.** Every server runs in its own child process (`bench/bench-server.ts`), every client in the one bench process: with 2 cores, client and server each get a core, and a SIGKILL is a real crash. All four libraries are measured in exactly this arrangement, over loopback (127.0.0.1).',
    '- **Servers.** Each library with its defaults, answering the same methods (`bench/servers/`): `echo`, a slow logging handler, and a notification counter. Raw ws uses a minimal JSON protocol with numeric ids. socket.io runs websocket-only (no long-polling), requests are emits with an ack. resignal\'s server has its per-socket rate limit (2,000 frames/s by default, an abuse guard) turned off, or one benchmark socket would be cut off in the first second; nothing else is changed.',
    '- **Interleaving.** Each round measures every library once per metric, in an order that rotates every round; ratios are taken within a round and their median reported, so slow drift of the machine affects all libraries alike. One unrecorded warm-up pass first.',
    '- **Sequential**: one request at a time, the next sent when the answer arrives. **100 in flight**: 100 concurrent loops of the same. **Notifications**: batches of 100, yielding to the event loop between batches; then one request whose answer (on the same ordered socket) proves the server has handled all of them; the rate includes that drain and counts what the server received.',
    '- **Concurrency of the slow parts.** Dead-link detection, crash and recovery measurements wait on timers (seconds), so they run at the same time, each library with its own server processes and proxies. Throughput runs alone.',
    '- **Noise.** The machine was shared with other work during the run (see the load average above); medians of interleaved rounds absorb most of it, the ranges show what is left.',
    '',
  );
  return lines.join('\n');
}

// ---------------------------------------------------------------- svg

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function svg(r: BenchResults): string {
  const W = 900;
  const H = 420;
  const out: string[] = [];
  const text = (x: number, y: number, s: string, attrs = '') => out.push(`<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`);
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push('<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#f3f3f3"/><line x1="0" y1="0" x2="0" y2="6" stroke="#bbbbbb" stroke-width="3"/></pattern></defs>');

  // Left panel: throughput ratio vs ws.
  const tp = r.throughput;
  const L = { x: 60, y: 50, w: 470, h: 270 };
  const maxRatio = Math.max(1.2, ...LIBS.flatMap((lib) => METRICS.map((m) => tp.ratio[lib]?.[m] ?? 0)));
  const yMax = Math.ceil(maxRatio * 5) / 5;
  const yOf = (v: number) => L.y + L.h - (v / yMax) * L.h;
  text(L.x, 24, 'Throughput relative to raw ws (same run, median of per-round ratios)', 'font-size="14" font-weight="bold"');
  for (let v = 0; v <= yMax + 1e-9; v += 0.2) {
    out.push(`<line x1="${L.x}" y1="${yOf(v).toFixed(1)}" x2="${L.x + L.w}" y2="${yOf(v).toFixed(1)}" stroke="#e6e6e6"/>`);
    text(L.x - 6, yOf(v) + 4, v.toFixed(1), 'text-anchor="end" fill="#555"');
  }
  const groupW = L.w / METRICS.length;
  const barW = (groupW - 30) / LIBS.length;
  METRICS.forEach((m, g) => {
    const gx = L.x + g * groupW + 15;
    LIBS.forEach((lib, i) => {
      const v = tp.ratio[lib]?.[m];
      if (v === undefined) return;
      const x = gx + i * barW;
      out.push(`<rect x="${(x + 2).toFixed(1)}" y="${yOf(v).toFixed(1)}" width="${(barW - 4).toFixed(1)}" height="${(L.y + L.h - yOf(v)).toFixed(1)}" fill="${COLOR[lib]}"/>`);
      text(x + barW / 2, yOf(v) - 4, v.toFixed(2), 'text-anchor="middle" font-size="11"');
    });
    const gy = yOf(GOAL[m]);
    out.push(`<line x1="${gx}" y1="${gy.toFixed(1)}" x2="${gx + LIBS.length * barW}" y2="${gy.toFixed(1)}" stroke="#c0392b" stroke-dasharray="5,3" stroke-width="1.5"/>`);
    text(gx + (LIBS.length * barW) / 2, L.y + L.h + 18, CHART_LABEL[m], 'text-anchor="middle"');
  });
  out.push(`<line x1="${L.x}" y1="${L.y + L.h}" x2="${L.x + L.w}" y2="${L.y + L.h}" stroke="#333"/>`);
  LIBS.forEach((lib, i) => {
    const x = L.x + i * 95;
    out.push(`<rect x="${x}" y="${L.y + L.h + 32}" width="12" height="12" fill="${COLOR[lib]}"/>`);
    text(x + 17, L.y + L.h + 42, lib === 'ws' ? 'raw ws (= 1)' : lib);
  });
  const ly = L.y + L.h + 58;
  out.push(`<line x1="${L.x}" y1="${ly}" x2="${L.x + 12}" y2="${ly}" stroke="#c0392b" stroke-dasharray="4,2" stroke-width="1.5"/>`);
  text(L.x + 17, ly + 4, 'goal for resignal: 0.95 × ws, 0.90 × ws with 100 in flight');

  // Right panel: dead-link detection time.
  const dl = r.deadLink;
  const R = { x: 610, y: 50, w: 260, h: 270 };
  const cap = dl.capS;
  const tOf = (v: number) => R.y + R.h - (Math.min(v, cap) / cap) * R.h;
  text(R.x - 40, 24, 'Dead-link detection, defaults (s)', 'font-size="14" font-weight="bold"');
  for (let v = 0; v <= cap; v += 10) {
    out.push(`<line x1="${R.x}" y1="${tOf(v).toFixed(1)}" x2="${R.x + R.w}" y2="${tOf(v).toFixed(1)}" stroke="#e6e6e6"/>`);
    text(R.x - 6, tOf(v) + 4, String(v), 'text-anchor="end" fill="#555"');
  }
  const rows = dl.rows;
  const bw = R.w / rows.length;
  rows.forEach((row, i) => {
    const lib = row.config.split(' ')[0]!;
    const x = R.x + i * bw + 6;
    const w = bw - 12;
    if (row.detected === 0) {
      out.push(`<rect x="${x}" y="${R.y}" width="${w}" height="${R.h}" fill="url(#hatch)" stroke="${COLOR[lib] ?? '#999'}"/>`);
      text(x + w / 2, R.y + 14, `> ${cap}`, 'text-anchor="middle" font-size="11"');
    } else {
      const v = row.median!;
      out.push(`<rect x="${x}" y="${tOf(v).toFixed(1)}" width="${w}" height="${(R.y + R.h - tOf(v)).toFixed(1)}" fill="${COLOR[lib] ?? '#999'}"${row.config.includes('1 s') ? ' fill-opacity="0.55"' : ''}/>`);
      const cx = x + w / 2;
      out.push(`<line x1="${cx}" y1="${tOf(row.min!).toFixed(1)}" x2="${cx}" y2="${tOf(row.max!).toFixed(1)}" stroke="#222"/>`);
      text(cx, tOf(row.max!) - 5, v.toFixed(1), 'text-anchor="middle" font-size="11"');
    }
    text(x + w / 2, R.y + R.h + 16, lib, 'text-anchor="middle" font-size="10"');
    if (row.config.includes('1 s')) text(x + w / 2, R.y + R.h + 28, 'heartbeat 1 s', 'text-anchor="middle" font-size="9"');
  });
  const g20 = tOf(20);
  out.push(`<line x1="${R.x}" y1="${g20.toFixed(1)}" x2="${R.x + R.w}" y2="${g20.toFixed(1)}" stroke="#c0392b" stroke-dasharray="5,3" stroke-width="1.5"/>`);
  text(R.x + R.w, g20 - 3, 'goal 20 s', 'text-anchor="end" font-size="10" fill="#c0392b"');
  out.push(`<line x1="${R.x}" y1="${R.y + R.h}" x2="${R.x + R.w}" y2="${R.y + R.h}" stroke="#333"/>`);
  text(R.x - 30, R.y + R.h + 46, `bar: median of 5 clients, line: range`, 'font-size="10" fill="#555"');
  text(R.x - 30, R.y + R.h + 59, `hatched: not detected in ${cap} s`, 'font-size="10" fill="#555"');

  const m = r.meta;
  text(20, H - 14, `${m.date.slice(0, 16).replace('T', ' ')} UTC · ${m.nproc} cores (nproc), ${m.cpu}, Node ${m.node} · ${m.command} · resignal from ${m.resignalSource}/`, 'font-size="11" fill="#555"');
  out.push('</svg>');
  return out.join('\n');
}

export function writeReport(r: BenchResults): string[] {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(`${RESULTS}results.json`, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(`${RESULTS}results.md`, markdown(r));
  writeFileSync(`${RESULTS}chart.svg`, `${svg(r)}\n`);
  return ['results.md', 'results.json', 'chart.svg'].map((f) => `${RESULTS}${f}`);
}
