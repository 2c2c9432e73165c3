// In-flight requests at a server crash. Per library, in its own pair of server processes:
//  1. 50 requests ("a0".."a49") go to a slow handler (1 s) that appends "start" to a log
//     file the moment it runs and "end" when it finishes (appendFileSync, so the log
//     survives a SIGKILL);
//  2. once the first has started, wait 200 ms (all are now mid-way) and SIGKILL the server;
//  3. 300 ms after the kill, while the server is down, 10 more requests ("b0".."b9");
//  4. 1 s after the kill a replacement process (already loaded) listens on the same port;
//  5. wait until every request settled, or the cap.
// Then for each request: how many times its handler started (across both processes) and
// what the caller got (an answer, an error, or nothing by the cap).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { protoo } from '../clients/protoo.js';
import { resignal } from '../clients/resignal.js';
import { socketIo } from '../clients/socketio.js';
import type { Contender } from '../clients/types.js';
import { rawWs } from '../clients/ws.js';
import { ServerChild, type LibName } from '../lib/child.js';
import { log, now, sleep } from '../lib/util.js';

export const RETRIES = { retries: 3, ackTimeout: 5000 };

const VARIANTS: Array<{ lib: LibName; client: Contender }> = [
  { lib: 'ws', client: rawWs },
  { lib: 'resignal', client: resignal },
  { lib: 'socket.io', client: socketIo() },
  { lib: 'socket.io', client: socketIo(RETRIES) },
  { lib: 'protoo', client: protoo },
];

export interface CrashRow {
  library: string;
  inFlight: CrashCounts;
  whileDown: CrashCounts;
  /** Error messages seen, with counts. */
  errors: Record<string, number>;
  /** Handlers of the first batch that had started when the server was killed. */
  startedBeforeKill: number;
}

export interface CrashCounts {
  requests: number;
  /** Handler started exactly once / twice or more / never, across both server processes. */
  once: number;
  twice: number;
  lost: number;
  /** What the caller got. */
  answered: number;
  failed: number;
  noAnswer: number;
  /** Runs that were replays (resignal marks them: ctx.replay). */
  replayRuns: number;
}

export interface CrashResult {
  requests: number;
  whileDown: number;
  handlerMs: number;
  capS: number;
  rows: CrashRow[];
}

const N = 50;
const M = 10;
const HANDLER_MS = 1000;

type Outcome = { kind: 'ok' } | { kind: 'error'; message: string } | { kind: 'pending' };

async function crashOne(lib: LibName, contender: Contender, dir: string, capS: number): Promise<CrashRow> {
  const logFile = join(dir, `${contender.name.replace(/\W+/g, '_')}.log`);
  let server = await ServerChild.start(lib, { log: logFile, name: 'first' });
  const replacement = await ServerChild.spawn(lib, { log: logFile, name: 'restarted' });
  const client = await contender.connect({ targets: [{ host: '127.0.0.1', port: server.port }] });
  client.onDown(() => {});

  const outcomes = new Map<string, Outcome>();
  const send = (key: string) => {
    outcomes.set(key, { kind: 'pending' });
    let promise: Promise<unknown>;
    try {
      promise = client.request('slow', { key, ms: HANDLER_MS });
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(
      (reply) => outcomes.set(key, (reply as { key?: string })?.key === key ? { kind: 'ok' } : { kind: 'error', message: `wrong reply ${JSON.stringify(reply)}` }),
      (error: unknown) => outcomes.set(key, { kind: 'error', message: error instanceof Error ? error.message : String(error) }),
    );
  };
  for (let i = 0; i < N; i++) send(`a${i}`);

  const started = () => readLog(logFile).filter((line) => line.event === 'start').length;
  const deadline = now() + 5000;
  while (started() === 0 && now() < deadline) await sleep(5);
  await sleep(200);
  const killedAt = now();
  await server.kill();
  const startedBeforeKill = started();
  await sleep(killedAt + 300 - now());
  for (let i = 0; i < M; i++) send(`b${i}`);
  await sleep(killedAt + 1000 - now());
  await replacement.listen(server.port);
  server = replacement;

  const cap = killedAt + capS * 1000;
  while (now() < cap && [...outcomes.values()].some((o) => o.kind === 'pending')) await sleep(50);
  await sleep(HANDLER_MS + 200); // let handlers started late finish logging
  client.close();
  await server.kill();

  const lines = readLog(logFile);
  const count = (prefix: string, total: number): CrashCounts => {
    const counts: CrashCounts = { requests: total, once: 0, twice: 0, lost: 0, answered: 0, failed: 0, noAnswer: 0, replayRuns: 0 };
    for (let i = 0; i < total; i++) {
      const key = `${prefix}${i}`;
      const starts = lines.filter((line) => line.event === 'start' && line.key === key);
      counts.replayRuns += starts.filter((line) => line.replay).length;
      if (starts.length === 0) counts.lost++;
      else if (starts.length === 1) counts.once++;
      else counts.twice++;
      const outcome = outcomes.get(key)!;
      if (outcome.kind === 'ok') counts.answered++;
      else if (outcome.kind === 'error') counts.failed++;
      else counts.noAnswer++;
    }
    return counts;
  };
  const errors: Record<string, number> = {};
  for (const outcome of outcomes.values()) if (outcome.kind === 'error') errors[outcome.message] = (errors[outcome.message] ?? 0) + 1;
  const row = { library: contender.name, inFlight: count('a', N), whileDown: count('b', M), errors, startedBeforeKill };
  log(`crash ${row.library}: in flight ${JSON.stringify(row.inFlight)}; while down ${JSON.stringify(row.whileDown)}`);
  return row;
}

function readLog(file: string): Array<{ event: string; key: string; replay: boolean; server: string }> {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { event: string; key: string; replay: boolean; server: string });
}

export async function runCrash(opts: { capS: number }): Promise<CrashResult> {
  const dir = mkdtempSync(join(tmpdir(), 'resignal-bench-'));
  try {
    const rows = await Promise.all(VARIANTS.map(({ lib, client }) => crashOne(lib, client, dir, opts.capS)));
    return { requests: N, whileDown: M, handlerMs: HANDLER_MS, capS: opts.capS, rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
