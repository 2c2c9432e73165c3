// Recovery after a crash, and failover.
// Recovery: a client connected straight to a server process; the process is SIGKILLed and
// a replacement (already loaded, so its start-up time does not count) listens on the same
// port exactly 1 s after the kill, a stand-in for a fast restart. We time, from the kill:
// the library reporting the link down, the library reporting it open again, and the first
// request answered after that. Rounds are 6 s apart so that each library's backoff has
// reset (resignal resets after one heartbeat interval of uptime).
// Failover (resignal only, the others take a single url): a Peer with two server urls;
// the server it is on is SIGKILLed and not restarted; we time from the kill until a
// request is answered by the other server.
import { protoo } from '../clients/protoo.js';
import { resignal } from '../clients/resignal.js';
import { socketIo } from '../clients/socketio.js';
import type { BenchClient, Contender } from '../clients/types.js';
import { ServerChild, type LibName } from '../lib/child.js';
import { log, median, now, sleep } from '../lib/util.js';

export const RESTART_AFTER_MS = 1000;
const STABLE_MS = 6000;
const WAIT_CAP_MS = 30_000;

export interface RecoveryRow {
  library: string;
  /** Seconds from the kill, one value per round (null: not within the cap). */
  downS: Array<number | null>;
  upS: Array<number | null>;
  answeredS: Array<number | null>;
  medianUpS: number | null;
  medianAnsweredS: number | null;
}

export interface FailoverRow {
  library: string;
  answeredS: Array<number | null>;
  medianAnsweredS: number | null;
  servedBy: string[];
}

export interface RecoveryResult {
  rounds: number;
  restartAfterMs: number;
  recovery: RecoveryRow[];
  failover: FailoverRow[];
}

const LIBS: Array<{ lib: LibName; client: Contender }> = [
  { lib: 'resignal', client: resignal },
  { lib: 'socket.io', client: socketIo() },
  { lib: 'protoo', client: protoo },
];

/** Timestamps of a client's down/up reports, to wait for the first one after a moment. */
function watch(client: BenchClient) {
  const downs: number[] = [];
  const ups: number[] = [];
  client.onDown(() => downs.push(now()));
  client.onUp(() => ups.push(now()));
  const after = async (list: number[], t: number) => {
    const deadline = t + WAIT_CAP_MS;
    for (;;) {
      const hit = list.find((x) => x > t);
      if (hit !== undefined) return hit;
      if (now() > deadline) return undefined;
      await sleep(5);
    }
  };
  return { downAfter: (t: number) => after(downs, t), upAfter: (t: number) => after(ups, t) };
}

const seconds = (t: number | undefined, from: number) => (t === undefined ? null : (t - from) / 1000);
const medianOf = (values: Array<number | null>) => {
  const seen = values.filter((v): v is number => v !== null);
  return seen.length === values.length && seen.length > 0 ? median(seen) : null;
};

async function recoverOne(lib: LibName, contender: Contender, rounds: number): Promise<RecoveryRow> {
  let server = await ServerChild.start(lib, { name: `recovery-${lib}` });
  const client = await contender.connect({ targets: [{ host: '127.0.0.1', port: server.port }] });
  const events = watch(client);
  const row: RecoveryRow = { library: contender.name, downS: [], upS: [], answeredS: [], medianUpS: null, medianAnsweredS: null };
  for (let round = 0; round < rounds; round++) {
    await sleep(STABLE_MS);
    await client.request('echo', { round });
    const replacement = await ServerChild.spawn(lib, { name: `recovery-${lib}` });
    const killedAt = now();
    await server.kill();
    const restart = sleep(killedAt + RESTART_AFTER_MS - now()).then(() => replacement.listen(server.port));
    const down = await events.downAfter(killedAt);
    await restart;
    server = replacement;
    const up = await events.upAfter(killedAt);
    let answered: number | undefined;
    if (up !== undefined) {
      try {
        await client.request('echo', { round });
        answered = now();
      } catch {
        answered = undefined;
      }
    }
    row.downS.push(seconds(down, killedAt));
    row.upS.push(seconds(up, killedAt));
    row.answeredS.push(seconds(answered, killedAt));
  }
  client.close();
  await server.kill();
  row.medianUpS = medianOf(row.upS);
  row.medianAnsweredS = medianOf(row.answeredS);
  log(`recovery ${row.library}: answered after ${row.answeredS.map((s) => s?.toFixed(2) ?? '—').join(' ')} s`);
  return row;
}

async function failoverResignal(rounds: number): Promise<FailoverRow> {
  const servers = new Map<string, ServerChild>();
  for (const name of ['A', 'B']) servers.set(name, await ServerChild.start('resignal', { name }));
  const ports = new Map([...servers].map(([name, server]) => [name, server.port]));
  const client = await resignal.connect({ targets: [...servers.values()].map((s) => ({ host: '127.0.0.1', port: s.port })) });
  const events = watch(client);
  const row: FailoverRow = { library: 'resignal', answeredS: [], medianAnsweredS: null, servedBy: [] };
  for (let round = 0; round < rounds; round++) {
    await sleep(STABLE_MS);
    const { name } = (await client.request('whoami', null)) as { name: string };
    const victim = servers.get(name)!;
    const killedAt = now();
    await victim.kill();
    const up = await events.upAfter(killedAt);
    let answered: number | undefined;
    if (up !== undefined) {
      const reply = (await client.request('whoami', null)) as { name: string };
      answered = now();
      row.servedBy.push(`${name}→${reply.name}`);
    }
    row.answeredS.push(seconds(answered, killedAt));
    servers.set(name, await ServerChild.start('resignal', { name }, ports.get(name)!)); // back for the next round
  }
  client.close();
  await Promise.all([...servers.values()].map((s) => s.kill()));
  row.medianAnsweredS = medianOf(row.answeredS);
  log(`failover resignal: answered after ${row.answeredS.map((s) => s?.toFixed(2) ?? '—').join(' ')} s (${row.servedBy.join(', ')})`);
  return row;
}

export async function runRecovery(opts: { rounds: number }): Promise<RecoveryResult> {
  const [failover, ...recovery] = await Promise.all([failoverResignal(opts.rounds), ...LIBS.map(({ lib, client }) => recoverOne(lib, client, opts.rounds))]);
  return { rounds: opts.rounds, restartAfterMs: RESTART_AFTER_MS, recovery, failover: [failover!] };
}
