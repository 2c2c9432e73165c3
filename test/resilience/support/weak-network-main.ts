// Run by weak-network.test.ts inside a fresh network namespace whose TCP output packets are
// dropped at random by nftables (see test/support/nft.ts). Runs the reference server, a
// latency proxy and Peers, all on that namespace's loopback, and prints one JSON object
// (WeakNetworkReport) on stdout.
import { Peer, type PeerOptions } from '../../../src/index.js';
import { SignalingServer } from '../../../src/server/index.js';
import { FaultProxy } from '../../support/fault-proxy.js';
import { inLoopbackNamespace } from '../../support/netns.js';
import { droppedPackets } from '../../support/nft.js';
import { percentile } from './random.js';

export interface WeakNetworkReport {
  namespace: boolean;
  lossPercent: number;
  latencyMs: number;
  /** Packets the nft rule dropped during the run. */
  dropped: number;
  ms: number;
  groups: Array<{
    name: string;
    heartbeat: string;
    peers: number;
    requests: number;
    completed: number;
    failed: string[];
    /** Time per request, ms. */
    perRequest: { p50: number; p90: number; p99: number; max: number; mean: number };
    reconnects: number;
    /** Why links were lost: Peer `reconnecting` reasons. */
    reasons: Record<string, number>;
    notifications: { sent: number; arrived: number };
  }>;
}

const LOSS = Number(process.env.LOSS_PERCENT ?? 25);
const LATENCY = Number(process.env.LATENCY_MS ?? 20);
const NFT = process.env.NFT ?? 'nft';
const REQUESTS = Number(process.env.REQUESTS_PER_PEER ?? 10);
const PEERS_PER_GROUP = 5;

async function main(): Promise<void> {
  const server = new SignalingServer({ port: 0, host: '127.0.0.1', path: '/rtc' });
  server.handle('echo', (data) => data);
  const notes = new Map<string, number>();
  server.on('notification', ({ data }) => notes.set(String(data), (notes.get(String(data)) ?? 0) + 1));
  await server.listen();
  const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: server.port } });
  proxy.latency(LATENCY);

  // Default liveness (5 s x 3), and the 1 s heartbeat people pick for faster detection.
  const groups: Array<{ name: string; heartbeat: PeerOptions['heartbeat'] }> = [
    { name: 'default liveness', heartbeat: undefined },
    { name: '1 s heartbeat', heartbeat: { interval: 1_000, maxMissed: 3 } },
  ];
  const began = Date.now();
  const report: WeakNetworkReport = { namespace: inLoopbackNamespace(), lossPercent: LOSS, latencyMs: LATENCY, dropped: 0, ms: 0, groups: [] };

  await Promise.all(
    groups.map(async ({ name, heartbeat }, g) => {
      const times: number[] = [];
      const failed: string[] = [];
      const reasons: Record<string, number> = {};
      let reconnects = 0;
      let sent = 0;
      await Promise.all(
        Array.from({ length: PEERS_PER_GROUP }, async (_, p) => {
          // Default backoff and connect timeout: what an application gets.
          const peer = new Peer({ urls: proxy.url('/rtc'), ...(heartbeat && { heartbeat }), requestTimeout: 90_000 });
          peer.on('error', (error) => failed.push(`peer ${g}.${p} error: ${String(error)}`));
          peer.on('reconnecting', ({ reason }) => (reasons[reason] = (reasons[reason] ?? 0) + 1));
          await peer.connect();
          for (let i = 0; i < REQUESTS; i++) {
            const tag = `${g}.${p}.${i}`;
            peer.notify('note', tag);
            sent++;
            const start = Date.now();
            try {
              const answer = await peer.request('echo', { tag, pad: 'x'.repeat(200) });
              if ((answer as { tag?: string }).tag !== tag) failed.push(`${tag}: answered ${JSON.stringify(answer)}`);
              else times.push(Date.now() - start);
            } catch (error) {
              failed.push(`${tag}: ${String(error)}`);
            }
          }
          reconnects += peer.stats().reconnects;
          peer.close();
        }),
      );
      const arrived = [...notes.keys()].filter((tag) => tag.startsWith(`${g}.`)).length;
      report.groups.push({
        name,
        heartbeat: heartbeat ? `${heartbeat.interval} ms x ${heartbeat.maxMissed}` : '5000 ms x 3 (default)',
        peers: PEERS_PER_GROUP,
        requests: PEERS_PER_GROUP * REQUESTS,
        completed: times.length,
        failed,
        perRequest: {
          p50: percentile(times, 50),
          p90: percentile(times, 90),
          p99: percentile(times, 99),
          max: Math.max(...times),
          mean: Math.round(times.reduce((a, b) => a + b, 0) / times.length),
        },
        reconnects,
        reasons,
        notifications: { sent, arrived },
      });
    }),
  );
  report.ms = Date.now() - began;
  report.dropped = droppedPackets(NFT);
  // Exit without waiting for close handshakes: on this lossy link a `ws` close can take
  // its full 30 s timeout, and the namespace disappears with the process anyway.
  process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
}

await main();
