import type { EventEmitter } from 'eventemitter3';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type EventMap = { [event: string]: (ctx: any) => void };
type Payload<Events extends EventMap, E extends keyof Events> = Parameters<Events[E]>[0];

/**
 * Resolve with the emitter's (a Peer's, a Room's) next event of this name that passes `test`;
 * reject after a generous bound.
 */
export function nextEvent<Events extends EventMap, E extends keyof Events & string>(
  emitter: EventEmitter<Events>,
  event: E,
  test: (ctx: Payload<Events, E>) => boolean = () => true,
  ms = 10_000,
): Promise<Payload<Events, E>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event as never, listener as never);
      reject(new Error(`no "${event}" event within ${ms} ms`));
    }, ms);
    const listener = (ctx: Payload<Events, E>) => {
      if (!test(ctx)) return;
      clearTimeout(timer);
      emitter.off(event as never, listener as never);
      resolve(ctx);
    };
    emitter.on(event as never, listener as never);
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
