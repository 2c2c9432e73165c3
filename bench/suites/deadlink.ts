// Dead-link detection: each client talks to its server through its own userspace TCP
// proxy; at a chosen moment the proxy starts discarding every byte in both directions
// while keeping both TCP connections open (a "blackhole", like a NAT or Wi-Fi that
// silently stopped forwarding). We time how long the library takes to report the link
// down. Several clients per library are blackholed at staggered moments so that the
// result does not depend on where in its heartbeat cycle one client happened to be.
import { FaultProxy } from '../../test/support/fault-proxy.js';
import { protoo } from '../clients/protoo.js';
import { resignal } from '../clients/resignal.js';
import { socketIo } from '../clients/socketio.js';
import type { BenchClient, ConnectOptions, Contender } from '../clients/types.js';
import { rawWs } from '../clients/ws.js';
import { ServerChild, type LibName } from '../lib/child.js';
import { log, max, median, min, now, sleep } from '../lib/util.js';

export interface DeadLinkRow {
  config: string;
  /** Detection time in seconds per client; null = not detected within the cap. */
  samples: Array<number | null>;
  detected: number;
  median: number | null;
  min: number | null;
  max: number | null;
}

export interface DeadLinkResult {
  capS: number;
  offsetsS: number[];
  rows: DeadLinkRow[];
}

interface Config {
  label: string;
  lib: LibName;
  client: Contender;
  options?: Partial<ConnectOptions>;
}

const CONFIGS: Config[] = [
  { label: 'ws (defaults)', lib: 'ws', client: rawWs },
  { label: 'resignal (defaults: heartbeat 5 s, 3 missed)', lib: 'resignal', client: resignal },
  { label: 'resignal (heartbeat.interval 1 s)', lib: 'resignal', client: resignal, options: { heartbeatMs: 1000 } },
  { label: 'socket.io (defaults)', lib: 'socket.io', client: socketIo() },
  { label: 'protoo (defaults)', lib: 'protoo', client: protoo },
];

/**
 * Staggered blackhole moments: distinct modulo 1 s, 5 s and 25 s (socket.io's ping
 * interval), so each library's heartbeat phase is sampled across its whole cycle.
 */
export const OFFSETS_S = [0, 6.2, 12.4, 18.6, 24.8];

export async function runDeadLink(opts: { capS: number; clientsPerConfig?: number }): Promise<DeadLinkResult> {
  const offsets = OFFSETS_S.slice(0, opts.clientsPerConfig ?? OFFSETS_S.length);
  const libs = [...new Set(CONFIGS.map((c) => c.lib))];
  const servers = new Map<LibName, ServerChild>();
  await Promise.all(libs.map(async (lib) => servers.set(lib, await ServerChild.start(lib, { name: `deadlink-${lib}` }))));

  const runs: Array<{ config: Config; index: number; proxy: FaultProxy; client: BenchClient; down: number | undefined }> = [];
  for (const config of CONFIGS) {
    for (let index = 0; index < offsets.length; index++) {
      const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: servers.get(config.lib)!.port } });
      const client = await config.client.connect({ targets: [{ host: '127.0.0.1', port: proxy.port }], ...config.options });
      await client.request('echo', { hello: index });
      const run = { config, index, proxy, client, down: undefined as number | undefined };
      client.onDown(() => (run.down ??= now()));
      runs.push(run);
    }
  }
  log(`dead-link: ${runs.length} clients connected; blackholing at ${offsets.join(', ')} s, cap ${opts.capS} s`);
  await sleep(2000);

  const start = now();
  const blackholedAt = new Map<number, number>();
  await Promise.all(
    offsets.map(async (offset, index) => {
      await sleep(start + offset * 1000 - now());
      blackholedAt.set(index, now());
      for (const run of runs) if (run.index === index) run.proxy.mode('blackhole');
    }),
  );
  const lastDeadline = start + (offsets.at(-1)! + opts.capS) * 1000;
  while (now() < lastDeadline && runs.some((run) => run.down === undefined)) await sleep(100);

  const rows: DeadLinkRow[] = CONFIGS.map((config) => {
    const samples = runs
      .filter((run) => run.config === config)
      .map((run) => {
        const t = blackholedAt.get(run.index)!;
        return run.down !== undefined && run.down - t <= opts.capS * 1000 ? (run.down - t) / 1000 : null;
      });
    const seen = samples.filter((s): s is number => s !== null);
    return {
      config: config.label,
      samples,
      detected: seen.length,
      median: seen.length ? median(seen) : null,
      min: seen.length ? min(seen) : null,
      max: seen.length ? max(seen) : null,
    };
  });
  for (const row of rows) log(`dead-link ${row.config}: ${row.samples.map((s) => (s === null ? '—' : s.toFixed(1))).join(' ')}`);

  for (const run of runs) {
    run.client.close();
    await run.proxy.close();
  }
  await Promise.all([...servers.values()].map((server) => server.kill()));
  return { capS: opts.capS, offsetsS: offsets, rows };
}
