// End-to-end rates and latencies through Redis: 1 redis-server, resignal nodes A and B (own
// processes), Peers in this process, half connected to A and half to B.
//  - notifications: node A calls server.notify for Peers on B (cross-node) or on A (same
//    node); a burst of N as fast as A can send them (rate = N / (last arrival - start)), and
//    a paced run at a fixed rate (p50/p99 of arrival - send time, the first 500 ms dropped);
//  - room signals: each Peer on A shares a room of two with one Peer on B and signals it
//    (room.signal, i.e. a request to A, one Redis script, delivered by B); a burst with 32 in
//    flight per sender, and a paced run.
import type { Peer, Room } from '../../src/index.js';
import { loadClient } from '../lib/resignal-module.js';
import { startRedis } from '../../test/support/redis.js';
import { NodeProcess } from './node-process.js';
import { monotonicMs } from './sender.js';
import { cpuMeter } from './cpu.js';
import { Inbox, percentile, until } from './stats.js';

export interface FlowRow {
  what: string;
  /** Messages sent / distinct ones that arrived (by the cap). */
  sent: number;
  arrived: number;
  duplicates: number;
  /** Burst: messages/s end to end. Paced: the rate asked for. */
  rate: number;
  p50?: number;
  p99?: number;
  max?: number;
  /** CPU ms spent during the run by redis-server, node A, node B and this (the Peers') process. */
  cpu: Record<string, number>;
}

export interface FlowOptions {
  peersPerNode: number;
  burst: number;
  signals: number;
  pacedRate: number;
  /** Paced room signals: a rate this machine can sustain, so the latency is not queueing. */
  signalRate: number;
  pacedMs: number;
  capMs: number;
  /** Extra node flags for the nodes (e.g. --cpu-prof). */
  execArgv?: string[];
  log: (line: string) => void;
}

const WARMUP_MS = 500;

export async function runFlow(o: FlowOptions): Promise<FlowRow[]> {
  const redis = await startRedis();
  const env = { REDIS_URL: redis.url };
  const a = await NodeProcess.start('resignal', { ...env, NODE_ID: 'a' }, o.execArgv);
  const b = await NodeProcess.start('resignal', { ...env, NODE_ID: 'b' }, o.execArgv);
  const meter = () => cpuMeter({ redis: redis.pid, a: a.pid, b: b.pid, peers: process.pid });
  const { Peer, Room } = await loadClient();
  const peers: Peer[] = [];
  const rows: FlowRow[] = [];
  try {
    let inbox = new Inbox();
    let keep = true;
    const connect = async (port: number) => {
      const peer = new Peer({ urls: [`ws://127.0.0.1:${port}/rtc`] });
      peer.on('error', () => {});
      peer.on('notification', ({ method, data }) => method === 'n' && inbox.add(peer.id!, data as { s: number; t: number }, keep));
      await peer.connect();
      peers.push(peer);
      return peer;
    };
    const onA = await Promise.all(Array.from({ length: o.peersPerNode }, () => connect(a.port)));
    const onB = await Promise.all(Array.from({ length: o.peersPerNode }, () => connect(b.port)));
    const ids = (list: Peer[]) => list.map((p) => p.id!);

    const burst = async (what: string, to: Peer[]) => {
      inbox = new Inbox();
      keep = true;
      const cpu = meter();
      const started = monotonicMs();
      await a.command({ op: 'burst', to: ids(to), count: o.burst });
      await until(() => inbox.received >= o.burst, o.capMs);
      const row: FlowRow = { what, sent: o.burst, arrived: inbox.distinct(), duplicates: inbox.duplicates, rate: inbox.received / ((inbox.lastAt - started) / 1000), cpu: cpu() };
      rows.push(row);
      o.log(`cluster: ${what}: ${Math.round(row.rate)}/s (${row.arrived}/${row.sent} arrived)`);
    };
    const paced = async (what: string, to: Peer[]) => {
      inbox = new Inbox();
      keep = false;
      const cpu = meter();
      const warm = setTimeout(() => (keep = true), WARMUP_MS);
      const reply = await a.command({ op: 'paced', to: ids(to), rate: o.pacedRate, ms: o.pacedMs });
      clearTimeout(warm);
      const sent = reply.sent as number;
      await until(() => inbox.received >= sent, o.capMs);
      rows.push(latencyRow(what, sent, inbox, o.pacedRate, cpu()));
      o.log(`cluster: ${what}: p50 ${rows.at(-1)!.p50?.toFixed(1)} ms, p99 ${rows.at(-1)!.p99?.toFixed(1)} ms`);
    };

    await burst('warm-up', onB); // JIT, Redis script cache
    rows.pop();
    await burst('notifications, node A to Peers on node B', onB);
    await burst('notifications, node A to Peers on node A', onA);
    await paced(`notifications at ${o.pacedRate}/s, A to B`, onB);
    await paced(`notifications at ${o.pacedRate}/s, A to A`, onA);

    // Rooms of two: Peer i on A with Peer i on B.
    const rooms: Room[] = [];
    for (let i = 0; i < o.peersPerNode; i++) {
      const room = await Room.join(onA[i]!, `pair-${i}`);
      const other = await Room.join(onB[i]!, `pair-${i}`);
      const receiver = onB[i]!;
      other.on('signal', ({ data }) => inbox.add(receiver.id!, data as { s: number; t: number }, keep));
      rooms.push(room);
    }
    const seq = new Map<Room, number>();
    const signal = (i: number) => {
      const room = rooms[i]!;
      const s = (seq.get(room) ?? 0) + 1;
      seq.set(room, s);
      return room.signal(onB[i]!.id!, { s, t: monotonicMs() });
    };
    const signalBurst = async () => {
      inbox = new Inbox();
      keep = true;
      let next = 0;
      const cpu = meter();
      const started = monotonicMs();
      await Promise.all(
        rooms.flatMap((_, i) =>
          Array.from({ length: 32 }, async () => {
            while (next < o.signals) {
              next++;
              await signal(i);
            }
          }),
        ),
      );
      await until(() => inbox.received >= o.signals, o.capMs);
      const row: FlowRow = { what: 'room signals, Peers on A to Peers on B', sent: o.signals, arrived: inbox.distinct(), duplicates: inbox.duplicates, rate: inbox.received / ((inbox.lastAt - started) / 1000), cpu: cpu() };
      rows.push(row);
      o.log(`cluster: ${row.what}: ${Math.round(row.rate)}/s (${row.arrived}/${row.sent} arrived)`);
    };
    await signalBurst(); // warm-up
    rows.pop();
    await signalBurst();

    inbox = new Inbox();
    keep = false;
    const cpu = meter();
    const started = monotonicMs();
    let sent = 0;
    const pending: Array<Promise<void>> = [];
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const elapsed = monotonicMs() - started;
        keep = elapsed >= WARMUP_MS;
        const due = Math.floor((Math.min(elapsed, o.pacedMs) * o.signalRate) / 1000);
        for (; sent < due; sent++) pending.push(signal(sent % rooms.length).catch(() => {}));
        if (elapsed >= o.pacedMs) {
          clearInterval(timer);
          resolve();
        }
      }, 1);
    });
    await Promise.all(pending);
    await until(() => inbox.received >= sent, o.capMs);
    rows.push(latencyRow(`room signals at ${o.signalRate}/s, A to B`, sent, inbox, o.signalRate, cpu()));
    o.log(`cluster: room signals paced: p50 ${rows.at(-1)!.p50?.toFixed(1)} ms, p99 ${rows.at(-1)!.p99?.toFixed(1)} ms`);
    return rows;
  } finally {
    for (const peer of peers) peer.close();
    await Promise.all([a.stop(), b.stop()]);
    await redis.stop();
  }
}

function latencyRow(what: string, sent: number, inbox: Inbox, rate: number, cpu: Record<string, number>): FlowRow {
  const l = inbox.latencies;
  return { what, sent, arrived: inbox.distinct(), duplicates: inbox.duplicates, rate, p50: percentile(l, 50), p99: percentile(l, 99), max: percentile(l, 100), cpu };
}
