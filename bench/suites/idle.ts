// Idle cost: 5,000 connected clients that do nothing but what the library does by itself
// (resignal: a ping every 5 s, its default; socket.io: the server pings every 25 s; raw ws
// and protoo: nothing). The server process's CPU time over a window, read with "stats"
// (process.cpuUsage) before and after, as a share of one core; and the bench process's
// (all the clients') share too. One library at a time: 5,000 sockets each is a lot for 2 cores.
import type { BenchClient } from '../clients/types.js';
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
  /** resignal only: server CPU µs per ping (pings expected in the window from the default 5 s interval). */
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

async function connectAll(i: number, port: number, n: number, capMs: number): Promise<BenchClient[]> {
  const clients: BenchClient[] = [];
  const deadline = Date.now() + capMs;
  for (let k = 0; k < n && Date.now() < deadline; k += 100) {
    const batch = await Promise.allSettled(Array.from({ length: Math.min(100, n - k) }, () => CONTENDERS[i]!.client.connect({ targets: [{ host: '127.0.0.1', port }] })));
    for (const r of batch) if (r.status === 'fulfilled') clients.push(r.value);
  }
  return clients;
}

export async function runIdle(opts: { clients: number; windowS: number }): Promise<IdleResult> {
  const { clients: n, windowS } = opts;
  const rows: IdleRow[] = [];
  for (const [i, { lib, client }] of CONTENDERS.entries()) {
    const server = await ServerChild.start(lib);
    const started = Date.now();
    const clients = await Promise.race([connectAll(i, server.port, n, 60_000), server.unexpectedExit()]);
    const connectS = (Date.now() - started) / 1000;
    // Let the connection burst settle (handshakes, first pings, JIT) before measuring.
    await sleep(2_000);
    const probe = clients[0]!;
    const stats = async () => ((await probe.request('stats', null)) as { cpuUs: number }).cpuUs;
    const serverBefore = await stats();
    const clientBefore = cpuUs();
    const t0 = performance.now();
    await sleep(windowS * 1000);
    const serverUsed = (await stats()) - serverBefore;
    const clientUsed = cpuUs() - clientBefore;
    const elapsedUs = (performance.now() - t0) * 1000;
    const row: IdleRow = {
      library: client.name,
      clients: n,
      connected: clients.length,
      windowS,
      serverPct: (100 * serverUsed) / elapsedUs,
      clientPct: (100 * clientUsed) / elapsedUs,
    };
    if (lib === 'resignal') row.usPerPing = serverUsed / ((clients.length * elapsedUs) / 5_000_000);
    if (clients.length < n) row.note = `only ${clients.length} of ${n} connected within 60 s`;
    rows.push(row);
    log(`idle ${client.name}: ${clients.length} clients (connected in ${connectS.toFixed(1)} s), server ${row.serverPct.toFixed(2)}% of a core, clients ${row.clientPct.toFixed(2)}%${row.usPerPing !== undefined ? `, ${row.usPerPing.toFixed(1)} µs per ping` : ''}`);
    for (const c of clients) c.close();
    await server.kill();
    await sleep(500);
  }
  return { clients: n, windowS, rows };
}
