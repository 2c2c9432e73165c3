import { describe, expect, it } from 'vitest';
import { backoffDelay, ReconnectSchedule, type AttemptPlan } from '../../src/backoff.js';

const CONNECT = [200, 400, 600];
const RECONNECT = [2000, 4000, 6000];

function schedule(urls: string[], options: { jitter?: number; maxAttempts?: number; random?: () => number } = {}) {
  return new ReconnectSchedule(urls, { connect: CONNECT, reconnect: RECONNECT, jitter: options.jitter ?? 0, maxAttempts: options.maxAttempts ?? Infinity }, options.random ?? (() => 0.5));
}

/** Fail `n` attempts in a row and return the plans. */
function failures(s: ReconnectSchedule, n: number): AttemptPlan[] {
  const plans: AttemptPlan[] = [];
  for (let i = 0; i < n; i++) plans.push(s.next(false)!);
  return plans;
}

describe('backoffDelay', () => {
  it('picks the schedule entry and repeats the last one', () => {
    expect([0, 1, 2, 3, 10].map((i) => backoffDelay(CONNECT, i, 0, () => 0.9))).toEqual([200, 400, 600, 600, 600]);
  });

  it('with random 0 gives the lower bound base * (1 - jitter)', () => {
    expect(backoffDelay([1000], 0, 0.2, () => 0)).toBe(800);
    expect(backoffDelay([2000], 0, 0.5, () => 0)).toBe(1000);
  });

  it('with random close to 1 approaches the upper bound base * (1 + jitter) without passing it', () => {
    const delay = backoffDelay([1000], 0, 0.2, () => 0.999999);
    expect(delay).toBe(1200);
    expect(backoffDelay([2000], 0, 0.5, () => 1 - Number.EPSILON)).toBe(3000);
  });

  it('stays inside [1 - jitter, 1 + jitter] for random values across [0, 1)', () => {
    for (let r = 0; r < 1; r += 0.05) {
      const delay = backoffDelay([1000], 0, 0.2, () => r);
      expect(delay).toBeGreaterThanOrEqual(800);
      expect(delay).toBeLessThanOrEqual(1200);
    }
    // And it really varies with random: jitter is applied, not ignored.
    expect(backoffDelay([1000], 0, 0.2, () => 0.25)).toBe(900);
    expect(backoffDelay([1000], 0, 0.2, () => 0.75)).toBe(1100);
  });

  it('with jitter 0 ignores random', () => {
    expect(backoffDelay([1000], 0, 0, () => 0)).toBe(1000);
    expect(backoffDelay([1000], 0, 0, () => 0.999)).toBe(1000);
  });
});

describe('ReconnectSchedule: first connect', () => {
  it('attempts at once, then waits 200/400/600/600 ms after failures', () => {
    const s = schedule(['ws://a']);
    const first = s.start();
    expect(first).toEqual({ attempt: 1, url: 'ws://a', delay: 0, exhausted: false });
    const plans = failures(s, 4);
    expect(plans.map((p) => p.delay)).toEqual([200, 400, 600, 600]);
    expect(plans.map((p) => p.attempt)).toEqual([2, 3, 4, 5]);
  });

  it('applies jitter to every wait using the injected random', () => {
    const s = schedule(['ws://a'], { jitter: 0.5, random: () => 0 });
    s.start();
    expect(failures(s, 3).map((p) => p.delay)).toEqual([100, 200, 300]);
  });
});

describe('ReconnectSchedule: after an established link drops', () => {
  it('waits 2000/4000/6000/6000 ms once the link had been stable', () => {
    const s = schedule(['ws://a']);
    s.start();
    s.opened();
    s.stable();
    const drop = s.next(true)!;
    expect(drop).toMatchObject({ attempt: 1, delay: 2000 });
    expect(failures(s, 3).map((p) => p.delay)).toEqual([4000, 6000, 6000]);
  });

  it('an open that drops before the link is stable does NOT reset the schedule', () => {
    const s = schedule(['ws://a']);
    s.start();
    s.opened();
    s.stable();
    expect(s.next(true)!.delay).toBe(2000);
    expect(s.next(false)!.delay).toBe(4000);
    // The server accepts, then drops at once: no stable() in between.
    s.opened();
    const afterFlap = s.next(true)!;
    expect(afterFlap.delay).toBe(6000);
    expect(afterFlap.attempt).toBe(3); // still counting since the last stable link
  });

  it('an open that stays stable resets the schedule and the attempt count', () => {
    const s = schedule(['ws://a']);
    s.start();
    failures(s, 3);
    s.opened();
    s.stable();
    const plan = s.next(true)!;
    expect(plan).toMatchObject({ attempt: 1, delay: 2000 });
  });
});

describe('ReconnectSchedule: failover', () => {
  it('starts at urls[0] and goes round-robin over the urls after failures', () => {
    const s = schedule(['ws://a', 'ws://b', 'ws://c']);
    expect(s.start().url).toBe('ws://a');
    expect(failures(s, 5).map((p) => p.url)).toEqual(['ws://b', 'ws://c', 'ws://a', 'ws://b', 'ws://c']);
  });

  it('after a drop from urls[i] the next attempt goes to urls[i + 1]', () => {
    const s = schedule(['ws://a', 'ws://b', 'ws://c']);
    s.start();
    expect(s.next(false)!.url).toBe('ws://b');
    s.opened(); // connected to b
    s.stable();
    expect(s.next(true)!.url).toBe('ws://c');
    s.opened(); // connected to c
    expect(s.next(true)!.url).toBe('ws://a');
  });

  it('marks `exhausted` when the failed attempts covered every url, and keeps going', () => {
    const s = schedule(['ws://a', 'ws://b']);
    s.start();
    const plans = failures(s, 6);
    expect(plans.map((p) => p.exhausted)).toEqual([false, true, false, true, false, true]);
    expect(plans.map((p) => p.url)).toEqual(['ws://b', 'ws://a', 'ws://b', 'ws://a', 'ws://b', 'ws://a']);
  });

  it('with one url every failure is a full pass', () => {
    const s = schedule(['ws://a']);
    s.start();
    expect(failures(s, 3).map((p) => p.exhausted)).toEqual([true, true, true]);
  });

  it('counts a pass from the drop: the dropped url is not a failure, the next full pass is', () => {
    const s = schedule(['ws://a', 'ws://b']);
    s.start();
    s.opened(); // a works
    s.stable();
    const afterDrop = s.next(true)!;
    expect(afterDrop).toMatchObject({ url: 'ws://b', exhausted: false });
    expect(s.next(false)).toMatchObject({ url: 'ws://a', exhausted: false }); // b failed: half a pass
    expect(s.next(false)).toMatchObject({ url: 'ws://b', exhausted: true }); // a failed too: full pass
  });

  it('an open in the middle of a pass starts a new pass', () => {
    const s = schedule(['ws://a', 'ws://b']);
    s.start();
    expect(s.next(false)!.exhausted).toBe(false); // a failed
    s.opened(); // b worked
    s.next(true); // b dropped, on to a
    expect(s.next(false)!.exhausted).toBe(false); // a failed: only one failure in this pass
  });
});

describe('ReconnectSchedule: maxAttempts', () => {
  it('returns null once maxAttempts attempts have failed in a row', () => {
    const s = schedule(['ws://a', 'ws://b'], { maxAttempts: 3 });
    s.start(); // attempt 1
    expect(s.next(false)).toMatchObject({ attempt: 2 });
    expect(s.next(false)).toMatchObject({ attempt: 3 });
    expect(s.next(false)).toBeNull();
    expect(s.attemptCount).toBe(3);
  });

  it('maxAttempts 1 gives up after the first failure', () => {
    const s = schedule(['ws://a'], { maxAttempts: 1 });
    s.start();
    expect(s.next(false)).toBeNull();
  });

  it('counts again from zero after a stable link drops', () => {
    const s = schedule(['ws://a'], { maxAttempts: 2 });
    s.start();
    expect(s.next(false)).not.toBeNull();
    s.opened();
    s.stable();
    expect(s.next(true)).toMatchObject({ attempt: 1 });
    expect(s.next(false)).toMatchObject({ attempt: 2 });
    expect(s.next(false)).toBeNull();
  });
});

describe('ReconnectSchedule: again() (token expired)', () => {
  it('from a stable link: the same url at once; from a link not yet stable: the usual next attempt', () => {
    const s = schedule(['ws://a', 'ws://b']);
    s.start();
    s.opened();
    s.stable();
    expect(s.again()).toEqual({ attempt: 1, url: 'ws://a', delay: 0, exhausted: false });
    s.opened(); // the fresh link is expired again before it became stable
    expect(s.again()).toEqual({ attempt: 2, url: 'ws://b', delay: 2000, exhausted: false });
  });
});
