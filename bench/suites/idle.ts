// Idle cost: 5,000 connected clients that do nothing but what the library does by itself
// (resignal: the server's beat to each idle Peer about every 4.5 s, and a ping it answers every
// 30 s; socket.io: the server pings every 25 s; raw ws and protoo: nothing). Raw ws is measured twice: idle, and with each client sending an
// application-level ping (a request answered by the server) every 5 s, at a random phase:
// the floor for what a 5 s heartbeat costs over TCP. The server process's CPU time over a window, read with "stats"
// (process.cpuUsage) before and after, as a share of one core; and the bench process's
// (all the clients') share too. One library at a time: 5,000 sockets each is a lot for 2 cores.
import type { BenchClient, Contender } from '../clients/types.js';
import { ServerChild } from '../lib/child.js';
import { CONTENDERS } from '../lib/contenders.js';
import { log, sleep } from '../lib/util.js';

export interface IdleRow {
  library: string;
  clients: number;
  /** Clients that connected (a library that cannot hold them all says so here). */
  connected: number;
  windowS: number;
  /** % of one core, server process. */
  serverPct: number;
  /** % of one core, the bench process holding every client. */
  clientPct: number;
  /** resignal and ws with pings: server CPU µs per ping (pings expected in the window from a 5 s interval). */
  usPerPing?: number;
  note?: string;
}

export interface IdleResult {
  clients: number;
  windowS: number;
  rows: IdleRow[];
}

const cpuUs = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

export interface CpuWindow {
  /** Server process CPU µs used in the window. */
  serverUsed: number;
  /** This (client) process's CPU µs used in the window. */
  clientUsed: number;
  elapsedUs: number;
}

/** CPU used by the server (asked through `probe`'s "stats" request) and by this process over `windowS` seconds. */
export async function cpuWindow(probe: BenchClient, windowS: number): Promise<CpuWindow> {
  const stats = async () => ((await probe.request('stats', null)) as { cpuUs: number }).cpuUs;
  const serverBefore = await stats();
  const clientBefore = cpuUs();
  const t0 = performance.now();
  await sleep(windowS * 1000);
  const serverUsed = (await stats()) - serverBefore;
  const clientUsed = cpuUs() - clientBefore;
  return { serverUsed, clientUsed, elapsedUs: (performance.now() - t0) * 1000 };
}

/**
 * Connect `n` clients of `client` spread evenly over at least `spreadMs` (also for bench/idle-ab.ts): a library that pings on a timer
 * started at connect time (resignal) then pings at spread-out moments, as clients that
 * arrive one by one would. Connected all at once, their pings would come in bursts that the
 * server reads in one wake-up, which flatters the cost of a ping.
 */
export async function connectAll(client: Contender, port: number, n: number, spreadMs: number, capMs: number): Promise<BenchClient[]> {
  const clients: BenchClient[] = [];
  const started = Date.now();
  const batch = 10;
  for (let k = 0; k < n && Date.now() - started < capMs; k += batch) {
    const due = started + (k / n) * spreadMs;
    if (due > Date.now()) await sleep(due - Date.now());
    const settled = await Promise.allSettled(Array.from({ length: Math.min(batch, n - k) }, () => client.connect({ targets: [{ host: '127.0.0.1', port }] })));
    for (const r of settled) if (r.status === 'fulfilled') clients.push(r.value);
  }
  return clients;
}

/** Every client sends an "echo" request every `ms`, starting at a random phase. Returns a stop function. */
function pingEvery(clients: BenchClient[], ms: number): () => void {
  const timers: NodeJS.Timeout[] = [];
  for (const client of clients) {
    const first = setTimeout(() => timers.push(setInterval(() => void client.request('echo', null).catch(() => {}), ms)), Math.random() * ms);
    timers.push(first);
  }
  return () => timers.forEach((timer) => clearInterval(timer));
}

export async function runIdle(opts: { clients: number; windowS: number }): Promise<IdleResult> {
  const { clients: n, windowS } = opts;
  const rows: IdleRow[] = [];
  const runs = CONTENDERS.flatMap((c, i) => (c.lib === 'ws' ? [{ ...c, i, pings: false }, { ...c, i, pings: true }] : [{ ...c, i, pings: false }]));
  for (const { i, lib, client, pings } of runs) {
    const server = await ServerChild.start(lib);
    const started = Date.now();
    const clients = await Promise.race([connectAll(client, server.port, n, 5_000, 60_000), server.unexpectedExit()]);
    const connectS = (Date.now() - started) / 1000;
    const stopPings = pings ? pingEvery(clients, 5_000) : () => {};
    // Let the connection burst settle (handshakes, first pings, the garbage they leave, JIT)
    // before measuring: the same 6 s for every library.
    await sleep(6_000);
    const { serverUsed, clientUsed, elapsedUs } = await cpuWindow(clients[0]!, windowS);
    stopPings();
    const row: IdleRow = {
      library: pings ? `${client.name} + 5 s app pings` : client.name,
      clients: n,
      connected: clients.length,
      windowS,
      serverPct: (100 * serverUsed) / elapsedUs,
      clientPct: (100 * clientUsed) / elapsedUs,
    };
    if (lib === 'resignal' || pings) row.usPerPing = serverUsed / ((clients.length * elapsedUs) / 5_000_000);
    if (clients.length < n) row.note = `only ${clients.length} of ${n} connected within 60 s`;
    rows.push(row);
    log(`idle ${row.library}: ${clients.length} clients (connected in ${connectS.toFixed(1)} s), server ${row.serverPct.toFixed(2)}% of a core, clients ${row.clientPct.toFixed(2)}%${row.usPerPing !== undefined ? `, ${row.usPerPing.toFixed(1)} µs per ping` : ''}`);
    for (const c of clients) c.close();
    await server.kill();
    await sleep(500);
  }
  return { clients: n, windowS, rows };
}
