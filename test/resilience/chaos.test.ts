// Chaos run: 2 reference server processes (A, B), 20 Peers with both urls, each url through
// its own fault proxy. A seeded schedule resets and blackholes connections, adds latency,
// and SIGKILLs and restarts a server process while the Peers run a mixed load. Then every
// request, notification and handler run is checked against what the protocol promises.
//
// Replay a run: CHAOS_SEED=<seed printed below> npx vitest run test/resilience/chaos.test.ts
// The seed fixes the fault schedule and the load; socket timing is real, so the exact
// interleaving differs between runs of the same seed. CHAOS_DEBUG=<ms> prints the timeline
// of every recovery slower than that.
import { afterAll, describe, expect, it } from 'vitest';
import { isSignalError, Peer, type PeerOptions } from '../../src/index.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { sleep, until } from '../support/wait.js';
import { ASK_FAILURES, echoBack, workResult, type AskData, type AskResult, type Pushed, type PushData, type WhoAmI, type WorkData } from './support/handlers.js';
import { percentile, Rng, seedFrom } from './support/random.js';
import { ChaosServer, type ServerLine } from './support/server-child.js';
import { tapWebSocket, type SocketLog } from './support/tap-socket.js';

const SEED = seedFrom('CHAOS_SEED');
const PEERS = 20;
/** Faults and load run this long; then the network heals and everything must settle. */
const CHAOS_MS = 30_000;
/** Generous bound for the Peers to reopen and every request to settle once the network heals. */
const SETTLE_MS = 25_000;
/** Handlers of the `timeout` and `abort` kinds take this long, far past their deadline. */
const SLOW_MS = 2_000;

// Short timings with the same behaviour as the defaults: backoff, failover, liveness.
const PEER_OPTIONS = {
  backoff: { connect: [50, 100], reconnect: [50, 150, 400], jitter: 0.3 },
  heartbeat: { interval: 250, maxMissed: 3 },
  connectTimeout: 2_000,
  requestTimeout: 20_000,
} satisfies Partial<PeerOptions>;

/**
 * work: request that must resolve correctly (or fail with the handler's own code);
 * once: the same with `replay: false`, so NOT_REPLAYED is a valid outcome;
 * timeout / abort: requests that must reject with TIMEOUT / ABORTED;
 * push: asks the server to notify this peer later; note: a client notification;
 * ask: the server sends this peer a request and reports the outcome (answer or typed error).
 */
type OpKind = 'work' | 'once' | 'timeout' | 'abort' | 'push' | 'ask' | 'note';
interface Op {
  at: number;
  peer: number;
  kind: OpKind;
  key: string;
  work?: WorkData;
  push?: PushData;
  ask?: AskData;
}

type FaultKind = 'reset' | 'drop' | 'blackhole' | 'isolate' | 'latency' | 'kill';
interface Fault {
  at: number;
  kind: FaultKind;
  /** 0 = A, 1 = B. */
  server: 0 | 1;
  /** Peers whose proxy to `server` is hit (both proxies for isolate; all peers for a kill). */
  peers: number[];
  /** How long a blackhole, latency or outage lasts. */
  ms: number;
  /** One-way delay for `latency`. */
  latency: number;
}

/** Everything random about a run comes from here, so a seed replays it. */
function plan(seed: number): { ops: Op[]; faults: Fault[] } {
  const rng = new Rng(seed);
  const ops: Op[] = [];
  for (let peer = 0; peer < PEERS; peer++) {
    let at = rng.int(0, 300);
    for (let n = 0; at < CHAOS_MS; n++, at += rng.int(100, 700)) {
      const kind = rng.weighted<OpKind>({ work: 50, once: 5, timeout: 2, abort: 2, push: 10, ask: 5, note: 26 });
      const key = `p${peer}.${kind}.${n}`;
      const op: Op = { at, peer, kind, key };
      if (kind === 'push') op.push = { key, count: rng.int(1, 3), ms: rng.int(0, 300) };
      else if (kind === 'ask') op.ask = { key, ms: rng.int(0, 600) };
      else if (kind !== 'note') {
        const slow = kind === 'timeout' || kind === 'abort';
        op.work = { key, a: rng.int(0, 1e6), b: rng.int(0, 1e6), ms: slow ? SLOW_MS : rng.int(0, 120), fail: !slow && rng.chance(0.08) };
      }
      ops.push(op);
    }
  }
  const faults: Fault[] = [];
  for (let at = 1_000; at < CHAOS_MS - 3_000; at += rng.int(400, 1_500)) {
    const kind = rng.weighted<FaultKind>({ reset: 3, drop: 1, blackhole: 3, isolate: 1.5, latency: 2, kill: 1.5 });
    const server = rng.int(0, 1) as 0 | 1;
    const all = kind === 'kill' || (kind !== 'isolate' && rng.chance(0.25));
    const peers = all ? rng.sample(PEERS, PEERS) : rng.sample(PEERS, rng.int(1, 6));
    const ms = kind === 'kill' ? rng.int(200, 2_000) : kind === 'latency' ? rng.int(1_000, 4_000) : rng.int(400, 2_500);
    faults.push({ at, kind, server, peers, ms, latency: rng.int(20, 200) });
  }
  // Whatever the draw, every run crashes each server once and cuts a few peers off both for
  // a while (so notifications and requests queue), at seeded times.
  const third = (CHAOS_MS - 4_000) / 3;
  faults.push({ at: rng.int(1_000, third), kind: 'kill', server: 0, peers: rng.sample(PEERS, PEERS), ms: rng.int(200, 1_500), latency: 0 });
  faults.push({ at: rng.int(third, 2 * third), kind: 'isolate', server: 0, peers: rng.sample(PEERS, 5), ms: rng.int(1_500, 2_500), latency: 0 });
  faults.push({ at: rng.int(2 * third, 3 * third), kind: 'kill', server: 1, peers: rng.sample(PEERS, PEERS), ms: rng.int(200, 1_500), latency: 0 });
  return { ops, faults };
}

interface Outcome {
  op: Op;
  settled: number;
  value?: unknown;
  error?: unknown;
}

interface PeerRun {
  index: number;
  peer: Peer;
  sockets: SocketLog[];
  opens: Array<{ server: 'A' | 'B'; resumed: boolean; peerId: string }>;
  /** When the open link was lost, until the next open. */
  lostAt: number | undefined;
  recoveries: number[];
  closeCodes: Map<number, number>;
  errors: unknown[];
  /** Client notifications: was the Peer offline when notify() was called? */
  notes: Map<string, { offline: boolean }>;
  /** Server notifications received, by "incarnation peerId key". */
  pushed: Map<string, number>;
  outcomes: Outcome[];
  /** Server requests this peer answered, by key. */
  echoed: Map<string, number>;
  /** Timeline for failure reports: ms since start and what happened. */
  timeline: string[];
}

const cleanup: Array<() => unknown> = [];
afterAll(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe('chaos run', () => {
  it(`keeps every promise with 2 servers, ${PEERS} peers and seeded faults`, { timeout: CHAOS_MS + 2 * SETTLE_MS + 30_000 }, async () => {
    console.log(`chaos: seed ${SEED} (replay with CHAOS_SEED=${SEED} npx vitest run test/resilience/chaos.test.ts)`);
    const { ops, faults } = plan(SEED);
    const servers = [new ChaosServer('A'), new ChaosServer('B')] as const;
    cleanup.push(() => Promise.all(servers.map((s) => s.kill())));
    await Promise.all(servers.map((s) => s.start()));

    // proxies[peer][server]: every peer has its own way to each server, so faults can hit a few peers.
    const proxies: FaultProxy[][] = [];
    for (let i = 0; i < PEERS; i++) {
      proxies.push(await Promise.all(servers.map((s) => FaultProxy.start({ target: { host: '127.0.0.1', port: s.port } }))));
    }
    cleanup.push(() => Promise.all(proxies.flat().map((p) => p.close())));

    const t0 = Date.now();
    const runs: PeerRun[] = [];
    for (let index = 0; index < PEERS; index++) {
      const sockets: SocketLog[] = [];
      const [a, b] = proxies[index]!.map((p) => p.url('/rtc')) as [string, string];
      const side = (url: string) => (url === a ? 'A' : 'B');
      const peer = new Peer({ urls: index % 2 === 0 ? [a, b] : [b, a], WebSocket: tapWebSocket(sockets), ...PEER_OPTIONS });
      const run: PeerRun = { index, peer, sockets, opens: [], lostAt: undefined, recoveries: [], closeCodes: new Map(), errors: [], notes: new Map(), pushed: new Map(), outcomes: [], echoed: new Map(), timeline: [] };
      const note = (what: string) => run.timeline.push(`${Date.now() - t0} ${what}`);
      peer.on('reconnecting', ({ attempt, delay, url, reason }) => note(`reconnecting #${attempt} in ${delay} ms to ${side(url)} (${reason})`));
      peer.on('state', ({ to }) => note(`state ${to}`));
      peer.on('open', ({ url, resumed, peerId }) => {
        note(`open ${side(url)} resumed=${resumed}`);
        run.opens.push({ server: side(url), resumed, peerId });
        if (run.lostAt !== undefined) {
          run.recoveries.push(Date.now() - run.lostAt);
          if (process.env.CHAOS_DEBUG && Date.now() - run.lostAt > Number(process.env.CHAOS_DEBUG)) console.log(`peer ${index} slow recovery ${Date.now() - run.lostAt} ms:\n${run.timeline.slice(-25).join('\n')}`);
        }
        run.lostAt = undefined;
      });
      peer.on('close', ({ code, willReconnect }) => {
        run.closeCodes.set(code, (run.closeCodes.get(code) ?? 0) + 1);
        if (willReconnect) run.lostAt ??= Date.now();
      });
      peer.on('error', (error) => run.errors.push(error));
      peer.handle('echo-back', (data) => {
        const { key } = data as AskData;
        run.echoed.set(key, (run.echoed.get(key) ?? 0) + 1);
        return echoBack(data as AskData);
      });
      peer.on('notification', ({ method, data }) => {
        if (method !== 'pushed') return;
        const { key, from } = data as Pushed;
        const id = `${from} ${peer.id} ${key}`;
        run.pushed.set(id, (run.pushed.get(id) ?? 0) + 1);
      });
      cleanup.push(() => peer.close());
      runs.push(run);
    }
    await Promise.all(runs.map((r) => r.peer.connect()));

    // Faults. Overlapping blackholes and latencies on one proxy are counted, so the end of
    // one does not cut another short.
    const timers = new Set<NodeJS.Timeout>();
    const faultTimers = new Set<NodeJS.Timeout>();
    const later = (ms: number, fn: () => unknown, set = timers) => {
      const timer = setTimeout(() => {
        set.delete(timer);
        void fn();
      }, ms);
      set.add(timer);
    };
    cleanup.push(() => [...timers, ...faultTimers].forEach((t) => clearTimeout(t)));
    // Per proxy, the faults in force; overlapping ones are counted, so the end of one does
    // not cut another short. Refuse wins over blackhole wins over pass.
    const active = new Map<FaultProxy, { blackhole: number; refuse: number; lags: number[] }>();
    const stateOf = (p: FaultProxy) => active.get(p) ?? active.set(p, { blackhole: 0, refuse: 0, lags: [] }).get(p)!;
    const apply = (p: FaultProxy) => {
      const state = stateOf(p);
      p.mode(state.refuse > 0 ? 'refuse' : state.blackhole > 0 ? 'blackhole' : 'pass');
      p.latency(state.lags.length > 0 ? Math.max(...state.lags) : 0);
    };
    const during = (targets: FaultProxy[], ms: number, on: (s: ReturnType<typeof stateOf>) => void, off: (s: ReturnType<typeof stateOf>) => void) => {
      for (const p of targets) {
        on(stateOf(p));
        apply(p);
      }
      later(ms, () => {
        for (const p of targets) {
          off(stateOf(p));
          apply(p);
        }
      }, faultTimers);
    };
    const applied: Record<FaultKind | 'skipped', number> = { reset: 0, drop: 0, blackhole: 0, isolate: 0, latency: 0, kill: 0, skipped: 0 };
    const restarts = new Set<Promise<void>>();
    const inject = (fault: Fault) => {
      const targets = fault.peers.map((i) => proxies[i]![fault.server]!);
      switch (fault.kind) {
        case 'reset':
          targets.forEach((p) => p.resetAll());
          break;
        case 'drop':
          targets.forEach((p) => p.dropAll());
          break;
        case 'blackhole':
          during(targets, fault.ms, (s) => s.blackhole++, (s) => s.blackhole--);
          break;
        case 'isolate': {
          // The peers lose both servers: links reset, new connections refused, so they queue.
          const both = fault.peers.flatMap((i) => proxies[i]!);
          during(both, fault.ms, (s) => s.refuse++, (s) => s.refuse--);
          both.forEach((p) => p.resetAll());
          break;
        }
        case 'latency':
          during(targets, fault.ms, (s) => s.lags.push(fault.latency), (s) => s.lags.splice(s.lags.indexOf(fault.latency), 1));
          break;
        case 'kill': {
          const server = servers[fault.server];
          if (!server.up) return void applied.skipped++;
          const restart = server
            .kill()
            .then(() => sleep(fault.ms))
            .then(() => server.start())
            .catch((error: unknown) => void faultErrors.push(`restart of ${server.name} failed: ${String(error)}`));
          restarts.add(restart);
          void restart.then(() => restarts.delete(restart));
          break;
        }
      }
      applied[fault.kind]++;
      for (const i of fault.kind === 'kill' ? [] : fault.peers) runs[i]!.timeline.push(`${Date.now() - t0} FAULT ${fault.kind} ${fault.kind === 'isolate' ? 'both' : 'AB'[fault.server]} for ${fault.ms} ms`);
      if (fault.kind === 'kill') for (const r of runs) r.timeline.push(`${Date.now() - t0} FAULT kill ${'AB'[fault.server]} for ${fault.ms} ms`);
    };
    const faultErrors: string[] = [];

    // Load.
    const settled: Array<Promise<unknown>> = [];
    const start = (run: PeerRun, op: Op) => {
      const { peer } = run;
      if (op.kind === 'note') {
        run.notes.set(op.key, { offline: peer.state !== 'open' });
        peer.notify('note', { key: op.key });
        return;
      }
      let promise: Promise<unknown>;
      if (op.kind === 'ask') promise = peer.request('ask', op.ask);
      else if (op.kind === 'push') promise = peer.request('push', op.push);
      else if (op.kind === 'once') promise = peer.request('work', op.work, { replay: false });
      else if (op.kind === 'timeout') promise = peer.request('work', op.work, { timeout: 300 });
      else if (op.kind === 'abort') {
        const controller = new AbortController();
        later(100, () => controller.abort(new Error('chaos test aborts it')));
        promise = peer.request('work', op.work, { signal: controller.signal });
      } else promise = peer.request('work', op.work);
      const outcome: Outcome = { op, settled: 0 };
      run.outcomes.push(outcome);
      settled.push(
        promise.then(
          (value) => {
            outcome.settled++;
            outcome.value = value;
          },
          (error: unknown) => {
            outcome.settled++;
            outcome.error = error;
          },
        ),
      );
    };

    const began = Date.now();
    for (const fault of faults) later(fault.at, () => inject(fault), faultTimers);
    for (const op of ops) later(op.at, () => start(runs[op.peer]!, op));
    await sleep(CHAOS_MS + 50);

    // Heal: no fault left pending, every proxy passes, no latency, both servers up.
    faultTimers.forEach((t) => clearTimeout(t));
    active.clear();
    proxies.flat().forEach(apply);
    await Promise.all(restarts);
    for (const server of servers) if (!server.up) await server.start();
    const healedAt = Date.now();
    await until(() => runs.every((r) => r.peer.state === 'open'), SETTLE_MS, 'every peer open again');
    const allOpenMs = Date.now() - healedAt;
    await Promise.race([Promise.all(settled), sleep(SETTLE_MS)]);
    await sleep(SLOW_MS + 500); // slow handlers finish, delayed pushes go out
    // Every peer is usable: a fresh request on each resolves (and fences its pushes).
    const fences = await Promise.allSettled(
      runs.map(async (r) => {
        const value = await r.peer.request('work', { key: `p${r.index}.fence`, a: 1, b: 2, ms: 0, fail: false } satisfies WorkData, { timeout: 10_000 });
        return { value, where: await r.peer.request<WhoAmI>('whoami', null, { timeout: 10_000 }) };
      }),
    );
    await Promise.all(servers.map((s) => s.barrier()));
    const elapsed = Date.now() - began;

    // ---- Collect what the servers did, per incarnation (A#1, A#2, ...). ----
    const problems: string[] = [...faultErrors];
    // A session is "incarnation peerId #generation": a server may give a new session the id
    // the peer asked to resume (after a restart or a failover), so each welcome with
    // resumed: false starts a new generation of that id.
    const lines = servers.flatMap((s) => s.incarnations.flatMap((inc) => inc.lines.map((line) => ({ inc: inc.name, line }))));
    const generation = new Map<string, number>();
    const sessionKey = (inc: string, id: string) => `${inc} ${id} #${generation.get(`${inc} ${id}`) ?? 0}`;
    const runsOf = new Map<string, Array<{ inc: string; session: string }>>();
    const notesAt = new Map<string, number>();
    const pushesInto = new Map<string, string[]>(); // session -> keys
    for (const { inc, line } of lines) {
      const { key, session: id } = line as Required<ServerLine>;
      if (line.t === 'session' && !line.resumed) generation.set(`${inc} ${id}`, (generation.get(`${inc} ${id}`) ?? 0) + 1);
      if (line.t === 'run') runsOf.set(key, [...(runsOf.get(key) ?? []), { inc, session: sessionKey(inc, id) }]);
      if (line.t === 'note') notesAt.set(key, (notesAt.get(key) ?? 0) + 1);
      if (line.t === 'push') pushesInto.set(sessionKey(inc, id), [...(pushesInto.get(sessionKey(inc, id)) ?? []), key]);
      if (line.t === 'error') problems.push(`${inc} reported an error: ${line.message}`);
    }

    /** Everything about one peer, printed for the first two peers involved in a violation. */
    const diagnosed = new Set<number>();
    function diagnose(run: PeerRun): void {
      if (diagnosed.has(run.index) || diagnosed.size >= 2) return;
      diagnosed.add(run.index);
      const out = [`--- peer ${run.index}`, `opens: ${JSON.stringify(run.opens)}`, 'timeline (ms since start):', ...run.timeline];
      for (const s of run.sockets) out.push(`socket ${s.url} writes ${s.writes.length} readUpTo ${s.readUpTo} received ${JSON.stringify(s.received)} notes ${JSON.stringify(s.notifications)}`);
      const ids = new Set(run.opens.map((o) => o.peerId));
      for (const { inc, line } of lines) if (line.session && ids.has(line.session)) out.push(`${inc} ${JSON.stringify(line)}`);
      console.log(out.join('\n'));
    }
    const peerOfKey = (key: string) => runs[Number(/^p(\d+)\./.exec(key)?.[1])];
    const violation = (key: string, message: string) => {
      problems.push(message);
      const run = peerOfKey(key);
      if (run) diagnose(run);
    };

    // ---- Handlers: at most once per (server process, id). A Peer that fails over A -> B -> A
    // resumes its session on A (sessions outlive the run here), so A's cache answers the replay. ----
    for (const [key, list] of runsOf) {
      const perProcess = new Map<string, string[]>();
      for (const { inc, session } of list) perProcess.set(inc, [...(perProcess.get(inc) ?? []), session]);
      for (const [inc, sessions] of perProcess) if (sessions.length > 1) violation(key, `handler for ${key} ran ${sessions.length} times on server process ${inc} (sessions ${sessions.join(', ')})`);
    }

    // ---- Requests: each settles once, correctly or with a SignalError whose code says why. ----
    const outcomes = runs.flatMap((r) => r.outcomes);
    const tally = new Map<string, number>();
    for (const { op, settled: times, value, error } of outcomes) {
      const label = error === undefined ? 'ok' : isSignalError(error) ? (error.code === 'REMOTE' ? `REMOTE/${error.remoteCode}` : error.code) : 'not a SignalError';
      tally.set(`${op.kind} ${label}`, (tally.get(`${op.kind} ${label}`) ?? 0) + 1);
      const ran = runsOf.get(op.key)?.length ?? 0;
      if (times !== 1) {
        violation(op.key, `${op.key}: settled ${times} times, expected exactly once`);
        continue;
      }
      if (error !== undefined && !isSignalError(error)) {
        violation(op.key, `${op.key}: rejected with ${String(error)}, not a SignalError`);
        continue;
      }
      if (op.kind === 'ask') {
        const result = value as AskResult | undefined;
        if (label !== 'ok') violation(op.key, `${op.key}: ${label}${error ? ` (${(error as Error).message})` : ''}; expected the server's report`);
        else if (result?.ok === true && JSON.stringify(result.answer) !== JSON.stringify(echoBack(op.ask!))) violation(op.key, `${op.key}: the peer answered the server with ${JSON.stringify(result.answer)}`);
        else if (result?.ok === false && !ASK_FAILURES.includes(result.code)) violation(op.key, `${op.key}: the server's request to the peer failed with ${result.code}; expected ${ASK_FAILURES.join(' or ')}`);
        if (result) {
          const outcome = `ask: server→peer request ${result.ok ? 'ok' : result.code}`;
          tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
        }
        const echoed = runs[op.peer]!.echoed.get(op.key) ?? 0;
        if (echoed > ran) violation(op.key, `${op.key}: the peer answered ${echoed} server requests for ${ran} runs`);
        continue;
      }
      const expectedValue = op.kind === 'push' ? { key: op.key } : workResult(op.work!);
      const allowed: string[] =
        op.kind === 'timeout' ? ['TIMEOUT'] : op.kind === 'abort' ? ['ABORTED'] : op.work?.fail ? ['REMOTE/UNLUCKY'] : ['ok'];
      if (op.kind === 'once') allowed.push('NOT_REPLAYED');
      if (!allowed.includes(label)) violation(op.key, `${op.key}: ${label}${error ? ` (${(error as Error).message})` : ''}; expected ${allowed.join(' or ')}`);
      if (label === 'ok' && JSON.stringify(value) !== JSON.stringify(expectedValue)) {
        violation(op.key, `${op.key}: resolved with ${JSON.stringify(value)}, expected ${JSON.stringify(expectedValue)}`);
      }
      if ((label === 'ok' || label === 'REMOTE/UNLUCKY') && ran === 0) violation(op.key, `${op.key}: answered, but no server ran its handler`);
      if (op.kind === 'once' && ran > 1) violation(op.key, `${op.key}: sent with replay: false but ran ${ran} times`);
    }
    fences.forEach((fence, i) => {
      if (fence.status === 'rejected') problems.push(`peer ${i}: a request after the chaos failed: ${String(fence.reason)}`);
      else if (JSON.stringify(fence.value.value) !== JSON.stringify({ key: `p${i}.fence`, sum: 3 })) problems.push(`peer ${i}: wrong fence response ${JSON.stringify(fence.value.value)}`);
    });

    // ---- Client notifications: never written twice, never received twice; exactly once when
    // queued while offline (flushed on open) or otherwise provably read by the server. ----
    const noteStats = { total: 0, offline: 0, offlineProven: 0, proven: 0, lostWithSocket: 0, received: 0 };
    for (const run of runs) {
      const writes = new Map<string, Array<{ socket: SocketLog; index: number }>>();
      for (const socket of run.sockets) {
        socket.writes.forEach((w, index) => {
          if (w.type === 'notification' && w.key) writes.set(w.key, [...(writes.get(w.key) ?? []), { socket, index }]);
        });
      }
      for (const [key, { offline }] of run.notes) {
        const written = writes.get(key) ?? [];
        const received = notesAt.get(key) ?? 0;
        const proven = written.length === 1 && written[0]!.socket.readUpTo > written[0]!.index;
        noteStats.total++;
        noteStats.received += received;
        if (offline) noteStats.offline++;
        if (proven) noteStats.proven++;
        if (proven && offline) noteStats.offlineProven++;
        if (written.length === 1 && received === 0) noteStats.lostWithSocket++;
        if (written.length > 1) violation(key, `notification ${key} was written ${written.length} times`);
        if (offline && written.length !== 1) violation(key, `notification ${key} was queued while offline but written ${written.length} times`);
        if (received > 1) violation(key, `notification ${key} arrived ${received} times`);
        if (proven && received !== 1) violation(key, `notification ${key} was read by the server (a later frame on its socket was answered) but recorded ${received} times`);
        if (written.length === 0 && received > 0) violation(key, `notification ${key} arrived without being written`);
      }
    }

    // ---- Server notifications: at most once per session they were sent in; every one sent
    // in a peer's final session arrives (unacknowledged ones are resent on resume). ----
    const pushStats = { sent: 0, received: 0, finalSession: 0 };
    for (const keys of pushesInto.values()) pushStats.sent += keys.length;
    const sentIn = (inc: string, id: string, key: string) =>
      [...pushesInto].filter(([session, keys]) => session.startsWith(`${inc} ${id} #`) && keys.includes(key)).length;
    runs.forEach((run, i) => {
      for (const [where, n] of run.pushed) {
        pushStats.received += n;
        const [inc, id, key] = where.split(' ') as [string, string, string];
        const sent = sentIn(inc, id, key);
        if (sent === 0) problems.push(`peer ${run.index}: server notification ${where} arrived ${n} times but was never sent`);
        else if (n > sent) problems.push(`peer ${run.index}: server notification ${where} arrived ${n} times, sent in ${sent} session(s)`);
      }
      const fence = fences[i]!;
      if (fence.status === 'rejected') return;
      const { server, peerId } = fence.value.where;
      const final = sessionKey(server, peerId);
      for (const key of pushesInto.get(final) ?? []) {
        pushStats.finalSession++;
        if (!run.pushed.has(`${server} ${peerId} ${key}`)) {
          problems.push(`peer ${run.index}: server notification ${key} sent in its current session ${final} never arrived`);
          diagnose(run);
        }
      }
    });

    // ---- Peers: all open, nothing left pending, no unexpected errors. ----
    for (const run of runs) {
      if (run.peer.state !== 'open') problems.push(`peer ${run.index} is ${run.peer.state}`);
      if (run.peer.stats().buffered !== 0) problems.push(`peer ${run.index} still holds ${run.peer.stats().buffered} messages`);
      for (const error of run.errors) problems.push(`peer ${run.index} emitted error ${String(error)}`);
    }

    // ---- Summary. ----
    const recoveries = runs.flatMap((r) => r.recoveries);
    let failovers = 0;
    let resumes = 0;
    for (const run of runs) {
      run.opens.forEach((open, i) => {
        const previous = run.opens[i - 1];
        if (previous && previous.server !== open.server) failovers++;
        if (open.resumed) resumes++;
      });
    }
    const codes = new Map<number, number>();
    for (const run of runs) for (const [code, n] of run.closeCodes) codes.set(code, (codes.get(code) ?? 0) + n);
    const reconnects = runs.reduce((sum, r) => sum + r.peer.stats().reconnects, 0);
    const summary = [
      `chaos summary (seed ${SEED}, ${PEERS} peers, ${CHAOS_MS / 1000} s of faults, ${(elapsed / 1000).toFixed(1)} s in all)`,
      `  requests:      ${outcomes.length} (${[...tally].sort().map(([k, n]) => `${k}: ${n}`).join(', ')})`,
      `  handler runs:  ${lines.filter((l) => l.line.t === 'run').length}`,
      `  notifications: client→server ${noteStats.total} (queued offline ${noteStats.offline}, of which proven read ${noteStats.offlineProven}; proven read in all ${noteStats.proven}; ` +
        `lost with their socket ${noteStats.lostWithSocket}; arrived ${noteStats.received}), server→client sent ${pushStats.sent}, arrived ${pushStats.received}, of final sessions ${pushStats.finalSession}`,
      `  faults:        ${Object.entries(applied).map(([k, n]) => `${k} ${n}`).join(', ')}; server processes: ${servers.flatMap((s) => s.incarnations.map((i) => i.name)).join(' ')}`,
      `  reconnects:    ${reconnects}; failovers: ${failovers}; resumed sessions: ${resumes}; close codes: ${[...codes].map(([c, n]) => `${c}×${n}`).join(' ')}`,
      `  recovery (link lost → open): p50 ${percentile(recoveries, 50)} ms, p99 ${percentile(recoveries, 99)} ms, max ${Math.max(...recoveries)} ms over ${recoveries.length}; all open ${allOpenMs} ms after healing`,
    ];
    console.log(summary.join('\n'));

    expect(problems.slice(0, 50), `${problems.length} violations (seed ${SEED})`).toEqual([]);
    // The run must have exercised what it claims to check.
    expect(applied.kill).toBeGreaterThanOrEqual(1);
    expect(applied.isolate).toBeGreaterThanOrEqual(1);
    expect(reconnects).toBeGreaterThanOrEqual(PEERS / 2);
    expect(noteStats.offlineProven).toBeGreaterThan(0);
    expect(recoveries.length).toBeGreaterThan(0);
  });
});
