// What every benchmark server does, whatever the library, so that the only difference
// between the four servers is the library itself:
//   request "echo"  -> returns its data
//   request "slow"  -> {key, ms}: logs "start", waits ms, logs "end", returns {key}
//   request "stats" -> {n, cpuUs}: "note" notifications received, CPU time used by this process
//   request "whoami" -> {name}: which server process answered (env NAME)
//   notification "note" -> counted
//   request "push" -> {n}: first sends n "note" notifications (PUSH_DATA) to the caller
//   request "join" / "fan" (ws, socket.io; resignal has rooms built in, protoo has none):
//     join a room; send data to every other member of the room as a "fan" notification
// The log (env LOG) is appended synchronously, so it survives a SIGKILL of this process.
import { appendFileSync } from 'node:fs';
import { payload } from '../lib/util.js';

const LOG = process.env.LOG;
const NAME = process.env.NAME ?? 'server';

export interface SlowData {
  key: string;
  ms: number;
}

let notes = 0;

/** What every "push" notification carries: the same 200-byte payload the client sends. */
export const PUSH_DATA = payload(200);

/** How many notifications a "push" request asks for: a positive integer, at most 10,000. */
export function pushCount(data: unknown): number {
  const n = (data as { n?: unknown } | null)?.n;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 && n <= 10_000 ? n : 0;
}

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
