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
  /** Clients that lost at least one message. */
  clientsWithLoss: number;
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
  try {
    for (let i = 0; i < o.clients; i++) clients.push(lib === 'resignal' ? await resignalClient(port, inbox, () => killedAt, backoff) : await socketIoClient(port, `c${i}`, inbox, () => killedAt));
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
    await until(() => inbox.distinct() >= sent, 10_000);
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
    };
    o.log(`cluster failover ${row.library}: back ${row.reconnected}/${row.clients} (median ${row.reconnectMedianMs?.toFixed(0)} ms, worst ${row.reconnectMaxMs?.toFixed(0)} ms), resumed ${row.resumed}, sent ${sent}, lost ${row.lost}, duplicated ${row.duplicates}`);
    return row;
  } finally {
    for (const c of clients) c.close();
    await tcp.close();
    await Promise.all([a.kill(), b.stop()]);
    await redis.stop();
  }
}

async function resignalClient(port: number, inbox: Inbox, killedAt: () => number, backoff?: { reconnect: number[] }): Promise<Client> {
  const { Peer } = await loadClient();
  const peer: Peer = new Peer({ urls: [`ws://127.0.0.1:${port}/rtc`], ...(backoff && { backoff }) });
  peer.on('error', () => {});
  const client: Client = { id: '', backAt: undefined, resumed: false, close: () => peer.close() };
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

async function socketIoClient(port: number, cid: string, inbox: Inbox, killedAt: () => number): Promise<Client> {
  const socket: Socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], auth: { cid } });
  const client: Client = { id: cid, backAt: undefined, resumed: false, close: () => void socket.disconnect() };
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
