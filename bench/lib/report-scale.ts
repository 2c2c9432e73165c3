// Markdown for the scale measurements: 200 concurrent clients, server CPU per operation,
// room fan-out and idle clients (suites/concurrency.ts, fanout.ts, idle.ts).
import { CPU_KINDS, type CpuKind, type CpuResult, type LatencyResult } from '../suites/concurrency.js';
import type { FanoutResult } from '../suites/fanout.js';
import type { IdleResult } from '../suites/idle.js';
import { max, median, min } from './util.js';

export interface ScaleResults {
  latency?: LatencyResult;
  cpu?: CpuResult;
  fanout?: FanoutResult;
  idle?: IdleResult;
  /** A suite that failed, and why. */
  failed: string[];
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const f = (n: number | undefined, d = 2) => (n === undefined || Number.isNaN(n) ? '—' : n.toFixed(d));
const KIND_LABEL: Record<CpuKind, string> = { request: 'request (100 in flight)', notification: 'notification client→server', push: 'notification server→client' };

export function scaleMarkdown(s: ScaleResults): string[] {
  const out: string[] = [];
  for (const why of s.failed) out.push(`> Failed: ${why}`, '');
  const lat = s.latency;
  if (lat) {
    out.push(
      `## Latency with ${lat.clients} concurrent clients`,
      '',
      `${lat.clients} clients on one server, each sending its next "echo" request (200 B) when the previous one is answered, for ${lat.windowMs / 1000} s; every round trip timed. ${lat.rounds} interleaved rounds; medians of the per-round percentiles, "× ws" the median of per-round ratios to raw ws.`,
      '',
      '| library | p50 ms | × ws | p99 ms (range) | × ws | requests/s, all clients |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const name of Object.keys(lat.p99)) {
      const p99 = lat.p99[name]!;
      out.push(`| ${name} | ${f(median(lat.p50[name]!))} | ${f(lat.p50Ratio[name])} | ${f(median(p99))} <sub>(${f(min(p99), 1)}–${f(max(p99), 1)})</sub> | ${f(lat.p99Ratio[name])} | ${int(median(lat.rate[name]!))} |`);
    }
    out.push('');
  }
  const cpu = s.cpu;
  if (cpu) {
    out.push(
      '## Server CPU per operation',
      '',
      `CPU time (user + system) of the server process per operation, read with \`process.cpuUsage()\` in the server (through a "stats" request) before and after a fixed count of ${int(cpu.ops)} operations from one client; median of ${cpu.rounds} interleaved rounds, µs.`,
      '',
      `| library | ${CPU_KINDS.map((k) => KIND_LABEL[k]).join(' | ')} |`,
      `| --- | ${CPU_KINDS.map(() => '---:').join(' | ')} |`,
    );
    for (const [name, byKind] of Object.entries(cpu.server)) out.push(`| ${name} | ${CPU_KINDS.map((k) => `${f(median(byKind[k]), 1)} <sub>(${f(min(byKind[k]), 1)}–${f(max(byKind[k]), 1)})</sub>`).join(' | ')} |`);
    out.push('');
  }
  const fan = s.fanout;
  if (fan) {
    out.push(
      `## Room fan-out to ${fan.members} members`,
      '',
      `One sender and ${fan.members} members in one room; the sender broadcasts a 200-byte payload with 10 broadcasts in flight for ${fan.windowMs / 1000} s. Deliveries per second (broadcasts × members reached), counted until every broadcast sent has reached every member. resignal: its built-in rooms (\`room.broadcast()\`; the bench server allows 200 members, default 50). socket.io: its rooms (\`socket.to(room).emit\`). Raw ws: a Map of Sets in the bench server. protoo has no rooms. ${fan.rounds} interleaved rounds, medians.`,
      '',
      '| library | deliveries/s (range) | × ws |',
      '| --- | ---: | ---: |',
    );
    for (const name of fan.libraries) {
      const v = fan.samples[name]!;
      out.push(`| ${name} | ${int(median(v))} <sub>(${int(min(v))}–${int(max(v))})</sub> | ${f(fan.ratio[name])} |`);
    }
    out.push('');
    for (const p of fan.problems) out.push(`> Problem: ${p}`, '');
  }
  const idle = s.idle;
  if (idle) {
    out.push(
      `## ${int(idle.clients)} idle clients`,
      '',
      `${int(idle.clients)} clients connected (spread over 5 s, so that timers started at connect time fire at spread-out moments) then left 6 s to settle, and doing nothing for ${idle.windowS} s but what the library does by itself: resignal's server sends each idle Peer a small frame that needs no answer about every 4.5 s and asks for an answer every 30 s (its defaults: a Peer that hears from its server does not ping), socket.io's server pings every 25 s, raw ws and protoo send nothing. Raw ws is also measured with an application ping every 5 s per client (a request the server answers), which is what a 5 s client heartbeat costs with the least code. CPU time over the window as a share of one core; one library at a time. "µs per ping" divides the server's CPU by one ping per client per 5 s.`,
      '',
      '| library | connected | server, % of a core | clients (bench process), % of a core | server µs per ping |',
      '| --- | ---: | ---: | ---: | ---: |',
    );
    for (const row of idle.rows) out.push(`| ${row.library} | ${int(row.connected)}${row.note ? ` (${row.note})` : ''} | ${f(row.serverPct)} | ${f(row.clientPct)} | ${row.usPerPing === undefined ? '—' : f(row.usPerPing, 1)} |`);
    out.push('');
  }
  return out;
}
