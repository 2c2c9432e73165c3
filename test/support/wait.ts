import type { Peer } from '../../src/index.js';
import type { PeerEvents } from '../../src/events.js';

/** Resolve with the next event of this name that passes `test`; reject after a generous bound. */
export function nextEvent<E extends keyof PeerEvents>(
  peer: Peer,
  event: E,
  test: (ctx: Parameters<PeerEvents[E]>[0]) => boolean = () => true,
  ms = 10_000,
): Promise<Parameters<PeerEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      peer.off(event, listener as never);
      reject(new Error(`no "${String(event)}" event within ${ms} ms`));
    }, ms);
    const listener = (ctx: Parameters<PeerEvents[E]>[0]) => {
      if (!test(ctx)) return;
      clearTimeout(timer);
      peer.off(event, listener as never);
      resolve(ctx);
    };
    peer.on(event, listener as never);
  });
}

/** Poll until `check` returns true; reject after a generous bound. */
export async function until(check: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
