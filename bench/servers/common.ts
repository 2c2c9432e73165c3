// What every benchmark server does, whatever the library, so that the only difference
// between the four servers is the library itself:
//   request "echo"  -> returns its data
//   request "slow"  -> {key, ms}: logs "start", waits ms, logs "end", returns {key}
//   request "stats" -> {n, cpuUs}: "note" notifications received, CPU time used by this process
//   request "whoami" -> {name}: which server process answered (env NAME)
//   notification "note" -> counted
// The log (env LOG) is appended synchronously, so it survives a SIGKILL of this process.
import { appendFileSync } from 'node:fs';

const LOG = process.env.LOG;
const NAME = process.env.NAME ?? 'server';

export interface SlowData {
  key: string;
  ms: number;
}

let notes = 0;

export function echo(data: unknown): unknown {
  return data;
}

/** An object, not a bare count: protoo answers a falsy result (0) with {}. */
export function stats(): { n: number; cpuUs: number } {
  const { user, system } = process.cpuUsage();
  return { n: notes, cpuUs: user + system };
}

export function whoami(): { name: string } {
  return { name: NAME };
}

export function note(): void {
  notes++;
}

export async function slow(data: unknown, replay = false): Promise<{ key: string }> {
  const { key, ms } = data as SlowData;
  record('start', key, replay);
  await new Promise((resolve) => setTimeout(resolve, ms));
  record('end', key, replay);
  return { key };
}

function record(event: 'start' | 'end', key: string, replay: boolean): void {
  if (LOG !== undefined) appendFileSync(LOG, `${JSON.stringify({ event, key, replay, server: NAME, pid: process.pid })}\n`);
}
