// Throughput: sequential round trips, 100 requests in flight, and notifications both ways, for every
// library, in interleaved rounds (every round measures every library once per metric, in
// a rotating order), so drift in the machine's speed hits all libraries alike.
import type { BenchClient } from '../clients/types.js';
import { ServerChild } from '../lib/child.js';
import { CONTENDERS } from '../lib/contenders.js';
import { log, median, now, payload, tick } from '../lib/util.js';

export const METRICS = ['sequential', 'pipelined', 'notifications', 'pushes'] as const;
export type Metric = (typeof METRICS)[number];

export interface ThroughputResult {
  rounds: number;
  windowMs: number;
  depth: number;
  payloadBytes: number;
  /** ops/s per library per metric, one value per round. */
  samples: Record<string, Record<Metric, number[]>>;
  /** CPU time (user + system) per operation in µs, client process and server process, one value per round. */
  cpu: Record<string, Record<Metric, Array<{ client: number; server: number }>>>;
  /** Median of per-round ratios lib/ws (each round's ratio uses that round's ws sample). */
  ratio: Record<string, Record<Metric, number>>;
  median: Record<string, Record<Metric, number>>;
  problems: string[];
}

const DATA = payload(200);

interface ServerStats {
  n: number;
  cpuUs: number;
}

/** Operations done and the seconds they took. */
export interface Run {
  ops: number;
  seconds: number;
}

const rate = (run: Run) => run.ops / run.seconds;

/** Every request carries its own number, so an answer delivered to the wrong caller is caught. */
let nextN = 0;
const body = () => ({ n: nextN++, ...DATA });

function check(reply: unknown, sent: { n: number }, wrong: { count: number }): void {
  if ((reply as { n?: unknown } | null)?.n !== sent.n) wrong.count++;
}

/** Something that went wrong in a measurement: `what` happened `n` times. */
export type Report = (what: string, n: number) => void;
const ignore: Report = () => {};

export async function sequential(client: BenchClient, windowMs: number, report: Report = ignore): Promise<Run> {
  const start = now();
  const end = start + windowMs;
  const wrong = { count: 0 };
  let done = 0;
  while (now() < end) {
    const sent = body();
    check(await client.request('echo', sent), sent, wrong);
    done++;
  }
  if (wrong.count > 0) report("sequential requests got another request's answer", wrong.count);
  return { ops: done, seconds: (now() - start) / 1000 };
}

/** How long after the window a request may still be outstanding before we count it as stuck. */
const GRACE_MS = 3000;

/**
 * `depth` loops, each sending its next request when the previous one is answered. Requests
 * still unanswered GRACE_MS after the window are abandoned and reported (never counted).
 */
export async function pipelined(client: BenchClient, windowMs: number, depth: number, report: Report = ignore): Promise<Run> {
  const start = now();
  const end = start + windowMs;
  const wrong = { count: 0 };
  const errors: string[] = [];
  let done = 0;
  let last = start;
  const lane = async () => {
    while (now() < end) {
      const sent = body();
      try {
        check(await client.request('echo', sent), sent, wrong);
      } catch (error) {
        // e.g. protoo's request timeout for a request abandoned below; never let it escape
        errors.push(error instanceof Error ? error.message : String(error));
        return;
      }
      done++;
      last = now();
    }
  };
  let stuck = 0;
  const lanes = Array.from({ length: depth }, () => {
    let settled = false;
    return { promise: lane().finally(() => (settled = true)), settled: () => settled };
  });
  const all = Promise.all(lanes.map((l) => l.promise)).then(() => true);
  const finished = await Promise.race([all, new Promise<false>((resolve) => setTimeout(() => resolve(false), end - now() + GRACE_MS))]);
  if (!finished) {
    stuck = lanes.filter((l) => !l.settled()).length;
    report(`requests (of ${depth} in flight) still unanswered ${GRACE_MS / 1000} s after the window (abandoned, not counted)`, stuck);
  }
  if (wrong.count > 0) report("requests (of 100 in flight) got another request's answer", wrong.count);
  if (finished && errors.length > 0) report(`requests failed (${errors[0]})`, errors.length);
  return { ops: done, seconds: ((finished ? now() : last) - start) / 1000 };
}

/**
 * Send notifications in batches of 100 for the window, yielding to the event loop between
 * batches, then ask the server for its count: requests and notifications share one ordered
 * socket, so the answer comes only after the server has handled every notification. The
 * rate counts that drain time too, so it is what the server actually received per second.
 */
export async function notifications(client: BenchClient, windowMs: number, report: Report = ignore): Promise<Run> {
  const before = ((await client.request('stats', null)) as ServerStats).n;
  const start = now();
  const end = start + windowMs;
  let sent = 0;
  while (now() < end) {
    for (let i = 0; i < 100; i++) client.notify('note', DATA);
    sent += 100;
    await tick();
  }
  const after = ((await client.request('stats', null)) as ServerStats).n;
  const elapsed = now() - start;
  if (after - before !== sent) report('notifications sent but not counted by the server', sent - (after - before));
  return { ops: after - before, seconds: elapsed / 1000 };
}

/** Counts each client's "note" notifications from the server, from the first time it is asked. */
interface Inbox {
  count: number;
  waiter?: { at: number; resolve(): void };
}
const inboxes = new WeakMap<BenchClient, Inbox>();

function inboxOf(client: BenchClient): Inbox {
  let inbox = inboxes.get(client);
  if (inbox === undefined) {
    const created: Inbox = { count: 0 };
    client.onNotification((method) => {
      if (method !== 'note') return;
      created.count++;
      if (created.waiter !== undefined && created.count >= created.waiter.at) {
        const { resolve } = created.waiter;
        created.waiter = undefined;
        resolve();
      }
    });
    inboxes.set(client, (inbox = created));
  }
  return inbox;
}

/**
 * Server -> client notifications: ask the server for 100 at a time ("push"), wait for the
 * answer and for the 100th to arrive, repeat for the window. The rate counts notifications
 * received per second. With `batches`, exactly that many batches instead of a window.
 */
export async function pushes(client: BenchClient, windowMs: number, batches?: number): Promise<Run> {
  const inbox = inboxOf(client);
  const start = now();
  const end = start + windowMs;
  const first = inbox.count;
  let asked = 0;
  // With `batches`: exactly that many batches of 100, whatever the time.
  while (batches === undefined ? now() < end : asked < batches * 100) {
    asked += 100;
    const arrived = new Promise<void>((resolve) => (inbox.waiter = { at: first + asked, resolve }));
    await Promise.all([client.request('push', { n: 100 }), arrived]);
  }
  return { ops: inbox.count - first, seconds: (now() - start) / 1000 };
}

/** Fail (instead of hanging) if the server dies or a measurement takes far longer than its window. */
function guarded<T>(work: Promise<T>, server: ServerChild, what: string, windowMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`throughput: ${what} did not finish within ${windowMs + 30_000} ms`)), windowMs + 30_000);
  });
  return Promise.race([work, server.unexpectedExit(), timeout]).finally(() => clearTimeout(timer));
}

export async function runThroughput(opts: { rounds: number; windowMs: number; depth: number }): Promise<ThroughputResult> {
  const { rounds, windowMs, depth } = opts;
  const servers = await Promise.all(CONTENDERS.map(({ lib }) => ServerChild.start(lib)));
  const clients: BenchClient[] = [];
  for (const [i, { client }] of CONTENDERS.entries()) clients.push(await client.connect({ targets: [{ host: '127.0.0.1', port: servers[i]!.port }] }));
  const tally = new Map<string, { n: number; times: number }>();
  const reporter = (name: string): Report => (what, n) => {
    const key = `${name}: ${what}`;
    const entry = tally.get(key) ?? { n: 0, times: 0 };
    entry.n += n;
    entry.times++;
    tally.set(key, entry);
  };
  const samples: ThroughputResult['samples'] = {};
  for (const { client } of CONTENDERS) samples[client.name] = { sequential: [], pipelined: [], notifications: [], pushes: [] };

  const cpu: ThroughputResult['cpu'] = {};
  for (const { client } of CONTENDERS) cpu[client.name] = { sequential: [], pipelined: [], notifications: [], pushes: [] };

  /** One measurement: ops/s, plus CPU µs/op of this (client) process and of the server process. */
  const measure = async (metric: Metric, i: number, ms: number) => {
    const client = clients[i]!;
    const name = CONTENDERS[i]!.client.name;
    if (process.env.BENCH_DEBUG) log(`measure ${name} ${metric}`);
    const serverBefore = ((await client.request('stats', null)) as ServerStats).cpuUs;
    const clientBefore = process.cpuUsage();
    let run: Run;
    if (metric === 'sequential') run = await sequential(client, ms, reporter(name));
    else if (metric === 'pipelined') run = await pipelined(client, ms, depth, reporter(name));
    else if (metric === 'notifications') run = await notifications(client, ms, reporter(name));
    else run = await pushes(client, ms);
    const clientUsed = process.cpuUsage(clientBefore);
    const serverAfter = ((await client.request('stats', null)) as ServerStats).cpuUs;
    return {
      rate: rate(run),
      cpu: { client: (clientUsed.user + clientUsed.system) / run.ops, server: (serverAfter - serverBefore) / run.ops },
    };
  };

  // Warm-up (JIT, socket buffers): every library, every metric, not recorded.
  for (const metric of METRICS) {
    for (let i = 0; i < CONTENDERS.length; i++) await guarded(measure(metric, i, Math.min(windowMs, 500)), servers[i]!, `warm-up ${metric}`, windowMs);
  }

  for (let round = 0; round < rounds; round++) {
    for (const metric of METRICS) {
      for (let k = 0; k < CONTENDERS.length; k++) {
        const i = (k + round) % CONTENDERS.length; // rotate who goes first
        const name = CONTENDERS[i]!.client.name;
        const result = await guarded(measure(metric, i, windowMs), servers[i]!, `${name} ${metric}`, windowMs);
        samples[name]![metric].push(result.rate);
        cpu[name]![metric].push(result.cpu);
      }
    }
    const line = CONTENDERS.map(({ client }) => `${client.name} ${METRICS.map((m) => Math.round(samples[client.name]![m].at(-1)!)).join('/')}`).join(' | ');
    log(`throughput round ${round + 1}/${rounds}: ${line}`);
  }

  for (const client of clients) client.close();
  await Promise.all(servers.map((server) => server.kill()));

  const base = samples.ws!;
  const ratio: ThroughputResult['ratio'] = {};
  const med: ThroughputResult['median'] = {};
  for (const [name, byMetric] of Object.entries(samples)) {
    ratio[name] = {} as Record<Metric, number>;
    med[name] = {} as Record<Metric, number>;
    for (const metric of METRICS) {
      med[name]![metric] = median(byMetric[metric]);
      ratio[name]![metric] = median(byMetric[metric].map((value, round) => value / base[metric][round]!));
    }
  }
  const measurements = rounds + 1; // with the warm-up
  const problems = [...tally].map(([key, { n, times }]) => `${key}: ${n} in total, in ${times} of ${measurements} measurements (warm-up included)`);
  return { rounds, windowMs, depth, payloadBytes: JSON.stringify(DATA).length, samples, cpu, ratio, median: med, problems };
}
