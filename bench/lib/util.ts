import { performance } from 'node:perf_hooks';

export const now = () => performance.now();
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
export const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function min(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.min(...values);
}

export function max(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.max(...values);
}

/** Resolve with the promise's value, or with `fallback` after `ms`. */
export function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    promise.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error: unknown) => (clearTimeout(timer), reject(error)),
    );
  });
}

/** Resolve on the next call of the listener registered by `subscribe`. */
export function once(subscribe: (listener: () => void) => void): Promise<number> {
  return new Promise((resolve) => {
    let done = false;
    subscribe(() => {
      if (done) return;
      done = true;
      resolve(now());
    });
  });
}

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** A ~200-byte JSON payload shaped like an ICE candidate message. */
export function payload(bytes = 200): { kind: string; candidate: string; mid: string } {
  const base = { kind: 'candidate', candidate: '', mid: '0' };
  const filler = 'candidate:842163049 1 udp 1677729535 192.0.2.10 53705 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag ';
  let text = '';
  while (JSON.stringify({ ...base, candidate: text }).length < bytes) text += filler[text.length % filler.length];
  return { ...base, candidate: text };
}

/** CPU time (user + system) of this process so far, in µs: steadier than wall time on a busy machine. */
export function cpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** CPU µs per iteration of a synchronous body. */
export function timeSync(n: number, body: (i: number) => void): number {
  const t0 = cpuUs();
  for (let i = 0; i < n; i++) body(i);
  return (cpuUs() - t0) / n;
}

/** Rejects after `ms` with a message naming what did not finish: a bench step must never hang. */
export function deadline(ms: number, what: string): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms).unref());
}
