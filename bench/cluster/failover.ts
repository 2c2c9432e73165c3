// A node's SIGKILL under load, same scenario for resignal and socket.io: 1 redis-server,
// nodes A and B (own processes), a TCP switch in front of them (switch.ts: new connections go
// to A while it accepts them, else to B). C clients connect through the switch (all land on
// A). Node B sends numbered messages to all of them, R/s in total, continuously. After 1.5 s
// node A is SIGKILLed. Measured: per client, the time from the kill until it is connected
// again (resignal: `open`; socket.io: `connect`) and whether its session was resumed
// (resignal: open.resumed; socket.io: socket.recovered); then, 3 s after the last client is
// back, B stops; after the rest arrived (or a cap): lost and duplicated messages per client,
// by sequence number. Clients use their library's default reconnect settings (resignal
// also once with socket.io's first delay: 1 s instead of 2 s).
import { io, type Socket } from 'socket.io-client';
import type { Peer } from '../../src/index.js';
import { loadClient } from '../lib/resignal-module.js';
import { startRedis } from '../../test/support/redis.js';
import { NodeProcess, type NodeLib } from './node-process.js';
import { monotonicMs } from './sender.js';
import { Inbox, percentile, until } from './stats.js';
import { TcpSwitch } from './switch.js';

export interface FailoverRow {
  library: string;
  clients: number;
  rate: number;
  /** ms from SIGKILL to connected again: median and worst (null: not back by the cap). */
  reconnectMedianMs: number | null;
  reconnectMaxMs: number | null;
  reconnected: number;
  resumed: number;
  sent: number;
  arrived: number;
  lost: number;
  duplicates: number;
  /** What the clients themselves reported lost (resignal: notifications-lost events). */
  reportedLost: number;
  /** Clients that lost at least one message. */
  clientsWithLoss: number;
  /** ms from SIGKILL until the client saw its link drop: median. */
  downMedianMs: number | null;
  /** Connection attempts after the kill, per client: median and worst. */
  attemptsMedian: number;
  attemptsMax: number;
  /** Events between the kill and being back (resignal: close cause, reconnect reason; socket.io: disconnect, connect_error), with counts. */
  failures: Record<string, number>;
}

export interface FailoverOptions {
  clients: number;
  rate: number;
  capMs: number;
  log: (line: string) => void;
}

interface Client {
  /** The recipient's name at the sender: resignal peer id, socket.io cid. */
  id: string;
  backAt: number | undefined;
  resumed: boolean;
  attempts: number;
  /** When it saw its link drop after the kill. */
  downAt: number | undefined;
  close(): void;
}

/** A resignal variant with socket.io's first reconnect delay (1 s; resignal's default is 2 s). */
export const SOCKET_IO_DELAYS = { reconnect: [1_000, 2_000, 5_000] };

export async function runFailover(lib: NodeLib, o: FailoverOptions, backoff?: { reconnect: number[] }): Promise<FailoverRow> {
  const redis = await startRedis();
  const env = { REDIS_URL: redis.url };
  const a = await NodeProcess.start(lib, { ...env, NODE_ID: 'a' });
  const b = await NodeProcess.start(lib, { ...env, NODE_ID: 'b' });
  const tcp = new TcpSwitch([a.port, b.port]);
  const port = await tcp.listen();
  const inbox = new Inbox();
  let killedAt = Number.POSITIVE_INFINITY;
  const clients: Client[] = [];
  const failures: Record<string, number> = {};
  const reported = { lost: 0 };
  const failed = (why: string) => void (failures[why] = (failures[why] ?? 0) + 1);
  try {
    for (let i = 0; i < o.clients; i++) clients.push(lib === 'resignal' ? await resignalClient(port, inbox, () => killedAt, failed, reported, backoff) : await socketIoClient(port, `c${i}`, inbox, () => killedAt, failed));
    const ids = clients.map((c) => c.id);
    const sending = b.command({ op: 'paced', to: ids, rate: o.rate, ms: -1 });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    killedAt = monotonicMs();
    await a.kill();
    await until(() => clients.every((c) => c.backAt !== undefined), o.capMs, 5);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const { perPeer } = (await b.command({ op: 'stop' })) as { perPeer: Record<string, number> };
    await sending;
    const sent = Object.values(perPeer).reduce((x, y) => x + y, 0);
    // Late arrivals on a loaded machine are not losses: wait until all arrived, or nothing
    // arrived for 5 s (cap: capMs).
    let last = -1;
    let lastChange = Date.now();
    await until(() => {
      if (inbox.received !== last) [last, lastChange] = [inbox.received, Date.now()];
      return inbox.distinct() >= sent || Date.now() - lastChange > 5_000;
    }, o.capMs);
    await new Promise((resolve) => setTimeout(resolve, 500)); // late duplicates
    const back = clients.filter((c) => c.backAt !== undefined).map((c) => c.backAt! - killedAt);
    let clientsWithLoss = 0;
    for (const [peer, count] of Object.entries(perPeer)) if (inbox.lost({ [peer]: count }) > 0) clientsWithLoss++;
    const row: FailoverRow = {
      library: lib === 'resignal' ? `resignal (RedisStore)${backoff ? `, backoff.reconnect [${backoff.reconnect.join(', ')}] ms` : ''}` : 'socket.io (redis-streams-adapter, connection state recovery)',
      clients: o.clients,
      rate: o.rate,
      reconnectMedianMs: back.length ? percentile(back, 50) : null,
      reconnectMaxMs: back.length === clients.length ? Math.max(...back) : null,
      reconnected: back.length,
      resumed: clients.filter((c) => c.resumed).length,
      sent,
      arrived: inbox.distinct(),
      lost: inbox.lost(perPeer),
      duplicates: inbox.duplicates,
      clientsWithLoss,
      reportedLost: reported.lost,
      downMedianMs: clients.some((c) => c.downAt !== undefined) ? percentile(clients.filter((c) => c.downAt !== undefined).map((c) => c.downAt! - killedAt), 50) : null,
      attemptsMedian: percentile(clients.map((c) => c.attempts), 50),
      attemptsMax: Math.max(...clients.map((c) => c.attempts)),
      failures,
    };
    o.log(`cluster failover ${row.library}: back ${row.reconnected}/${row.clients} (median ${row.reconnectMedianMs?.toFixed(0)} ms, worst ${row.reconnectMaxMs?.toFixed(0)} ms), resumed ${row.resumed}, sent ${sent}, lost ${row.lost} (reported by the clients: ${row.reportedLost}), duplicated ${row.duplicates}; down after ${row.downMedianMs?.toFixed(0)} ms (median); attempts median ${row.attemptsMedian}, worst ${row.attemptsMax}; ${JSON.stringify(failures)}`);
    return row;
  } finally {
    for (const c of clients) c.close();
    await tcp.close();
    await Promise.all([a.kill(), b.stop()]);
    await redis.stop();
  }
}

async function resignalClient(port: number, inbox: Inbox, killedAt: () => number, failed: (why: string) => void, reported: { lost: number }, backoff?: { reconnect: number[] }): Promise<Client> {
  const { Peer } = await loadClient();
  const peer: Peer = new Peer({ urls: [`ws://127.0.0.1:${port}/rtc`], ...(backoff && { backoff }) });
  peer.on('error', () => {});
  const client: Client = { id: '', backAt: undefined, resumed: false, attempts: 0, downAt: undefined, close: () => peer.close() };
  const after = () => monotonicMs() >= killedAt() && client.backAt === undefined;
  peer.on('reconnecting', ({ attempt, reason }) => {
    if (!after()) return;
    client.attempts++;
    failed(`reconnecting (attempt ${attempt}): ${reason}`);
  });
  peer.on('notifications-lost', ({ count }) => void (reported.lost += count));
  peer.on('close', ({ code, cause }) => {
    if (!after()) return;
    client.downAt ??= monotonicMs();
    failed(`close ${code} ${cause}`);
  });
  peer.on('notification', ({ method, data }) => method === 'n' && inbox.add(client.id, data as { s: number; t: number }, false));
  peer.on('open', ({ resumed }) => {
    if (monotonicMs() < killedAt() || client.backAt !== undefined) return;
    client.backAt = monotonicMs();
    client.resumed = resumed;
  });
  await peer.connect();
  client.id = peer.id!;
  return client;
}

async function socketIoClient(port: number, cid: string, inbox: Inbox, killedAt: () => number, failed: (why: string) => void): Promise<Client> {
  const socket: Socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], auth: { cid } });
  const client: Client = { id: cid, backAt: undefined, resumed: false, attempts: 0, downAt: undefined, close: () => void socket.disconnect() };
  const after = () => monotonicMs() >= killedAt() && client.backAt === undefined;
  socket.io.on('reconnect_attempt', () => after() && client.attempts++);
  socket.on('connect_error', (error) => after() && failed(`connect_error: ${error.message}`));
  socket.on('disconnect', (reason) => {
    if (!after()) return;
    client.downAt ??= monotonicMs();
    failed(`disconnect: ${reason}`);
  });
  socket.on('n', (data: { s: number; t: number }) => inbox.add(cid, data, false));
  socket.on('connect', () => {
    if (monotonicMs() < killedAt() || client.backAt !== undefined) return;
    client.backAt = monotonicMs();
    client.resumed = socket.recovered;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  // Joined its room on the node once `connect` fired (the server joins it in `connection`).
  return client;
}
