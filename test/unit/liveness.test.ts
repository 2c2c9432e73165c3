import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Liveness } from '../../src/liveness.js';

const INTERVAL = 1000;

function setup(maxMissed = 3) {
  const pings: Array<{ id: number; at: number }> = [];
  const rtts: number[] = [];
  let deadAt: number | undefined;
  let deaths = 0;
  const liveness = new Liveness(
    // Real timer functions, looked up at call time, so vitest's fake timers drive them.
    { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) },
    { interval: INTERVAL, maxMissed },
    {
      sendPing: (id) => pings.push({ id, at: Date.now() }),
      onDead: () => {
        deaths++;
        deadAt = Date.now();
      },
      onRtt: (ms) => rtts.push(ms),
    },
  );
  return {
    liveness,
    pings,
    rtts,
    get dead() {
      return deaths > 0;
    },
    get deaths() {
      return deaths;
    },
    get deadAt() {
      return deadAt;
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Liveness: heartbeat', () => {
  it('pings once per interval with increasing ids while frames keep arriving', () => {
    const t = setup();
    t.liveness.start();
    expect(t.pings).toEqual([]);
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(INTERVAL);
      t.liveness.received();
    }
    expect(t.pings).toEqual([1, 2, 3, 4, 5].map((id) => ({ id, at: id * INTERVAL })));
    expect(t.dead).toBe(false);
  });

  it('declares the link dead after 3 consecutive intervals with nothing received', () => {
    const t = setup(3);
    t.liveness.start();
    vi.advanceTimersByTime(INTERVAL / 2);
    t.liveness.received(); // last sign of life, inside the first interval
    // Intervals 2, 3 and 4 stay silent.
    vi.advanceTimersByTime(4 * INTERVAL - INTERVAL / 2 - 1);
    expect(t.dead).toBe(false);
    vi.advanceTimersByTime(1);
    expect(t.dead).toBe(true);
    expect(t.deadAt).toBe(4 * INTERVAL);
  });

  it('a link that never answers a ping is dead after maxMissed missed pongs', () => {
    const t = setup(3);
    t.liveness.start();
    vi.advanceTimersByTime(10 * INTERVAL);
    expect(t.deaths).toBe(1);
    // The first ping goes out after one interval; 3 of them go unanswered.
    expect(t.pings.map((p) => p.at)).toEqual([1, 2, 3].map((i) => i * INTERVAL));
    expect(t.deadAt).toBe(4 * INTERVAL);
  });

  it('honours maxMissed', () => {
    const t = setup(1);
    t.liveness.start();
    vi.advanceTimersByTime(INTERVAL);
    expect(t.dead).toBe(false);
    vi.advanceTimersByTime(INTERVAL);
    expect(t.dead).toBe(true);
  });

  it('any received frame resets the count of missed intervals', () => {
    const t = setup(3);
    t.liveness.start();
    vi.advanceTimersByTime(3 * INTERVAL); // ticks at 1, 2, 3: two silent intervals counted
    expect(t.dead).toBe(false);
    t.liveness.received();
    vi.advanceTimersByTime(3 * INTERVAL); // tick at 4 sees the frame; 5 and 6 are misses 1 and 2
    expect(t.dead).toBe(false);
    vi.advanceTimersByTime(INTERVAL); // 7: third miss
    expect(t.dead).toBe(true);
  });

  it('stop() cancels the timer: no pings, no death', () => {
    const t = setup();
    t.liveness.start();
    t.liveness.stop();
    vi.advanceTimersByTime(100 * INTERVAL);
    expect(t.pings).toEqual([]);
    expect(t.dead).toBe(false);
  });

  it('start() after a death begins a fresh count', () => {
    const t = setup(2);
    t.liveness.start();
    vi.advanceTimersByTime(3 * INTERVAL);
    expect(t.deaths).toBe(1);
    vi.advanceTimersByTime(10 * INTERVAL);
    expect(t.deaths).toBe(1); // a dead link stays quiet until restarted
    t.liveness.start();
    vi.advanceTimersByTime(3 * INTERVAL - 1);
    expect(t.deaths).toBe(1);
    vi.advanceTimersByTime(1);
    expect(t.deaths).toBe(2);
  });

  it('silentFor() is the time since the last received frame', () => {
    const t = setup();
    t.liveness.start();
    vi.advanceTimersByTime(700);
    expect(t.liveness.silentFor()).toBe(700);
    t.liveness.received();
    vi.advanceTimersByTime(250);
    expect(t.liveness.silentFor()).toBe(250);
  });
});

describe('Liveness: late timers (throttled tab, sleeping laptop)', () => {
  it('a tick that fires much later than scheduled is not counted as misses: it probes and gives one interval', () => {
    const t = setup(3);
    t.liveness.start();
    vi.advanceTimersByTime(3 * INTERVAL); // two misses already counted
    expect(t.pings).toHaveLength(3);
    // The machine sleeps for an hour: the clock jumps, the timer has not run yet.
    vi.setSystemTime(Date.now() + 3_600_000);
    vi.advanceTimersByTime(INTERVAL); // the late tick runs now
    expect(t.dead).toBe(false); // counting would have made it the third miss
    expect(t.pings).toHaveLength(4); // a probe went out at once
    t.liveness.received(); // the probe is answered
    vi.advanceTimersByTime(2 * INTERVAL);
    expect(t.dead).toBe(false);
  });

  it('the probe after a late tick kills the link if nothing arrives within one interval', () => {
    const t = setup(3);
    t.liveness.start();
    vi.setSystemTime(Date.now() + 60_000);
    vi.advanceTimersByTime(INTERVAL); // late tick: probe
    const probedAt = Date.now();
    expect(t.pings.at(-1)?.at).toBe(probedAt);
    vi.advanceTimersByTime(INTERVAL - 1);
    expect(t.dead).toBe(false);
    vi.advanceTimersByTime(1);
    expect(t.dead).toBe(true);
    expect(t.deadAt).toBe(probedAt + INTERVAL);
  });

  it('a tick late by less than one interval still counts normally', () => {
    const t = setup(1);
    t.liveness.start();
    vi.advanceTimersByTime(INTERVAL); // heard (start): no miss
    vi.setSystemTime(Date.now() + INTERVAL / 2); // mildly late
    vi.advanceTimersByTime(INTERVAL);
    expect(t.dead).toBe(true);
  });
});

describe('Liveness: probe()', () => {
  it('pings at once and declares the link dead after one silent interval', () => {
    const t = setup(3);
    t.liveness.start();
    vi.advanceTimersByTime(INTERVAL / 2);
    t.liveness.probe();
    expect(t.pings).toEqual([{ id: 1, at: INTERVAL / 2 }]);
    vi.advanceTimersByTime(INTERVAL - 1);
    expect(t.dead).toBe(false);
    vi.advanceTimersByTime(1);
    expect(t.dead).toBe(true);
  });

  it('an answer to the probe keeps the link alive', () => {
    const t = setup(3);
    t.liveness.start();
    t.liveness.probe();
    vi.advanceTimersByTime(10);
    t.liveness.received();
    vi.advanceTimersByTime(2 * INTERVAL);
    expect(t.dead).toBe(false);
  });

  it('does nothing while stopped', () => {
    const t = setup();
    t.liveness.probe();
    t.liveness.start();
    t.liveness.stop();
    t.liveness.probe();
    vi.advanceTimersByTime(10 * INTERVAL);
    expect(t.pings).toEqual([]);
    expect(t.dead).toBe(false);
  });
});

describe('Liveness: RTT', () => {
  it('measures from ping to the matching pong', () => {
    const t = setup();
    t.liveness.start();
    vi.advanceTimersByTime(INTERVAL); // ping 1
    vi.advanceTimersByTime(37);
    t.liveness.pong(1);
    expect(t.rtts).toEqual([37]);
  });

  it('matches the pong to its own ping when several are outstanding', () => {
    const t = setup(5);
    t.liveness.start();
    vi.advanceTimersByTime(INTERVAL); // ping 1 at 1000
    vi.advanceTimersByTime(INTERVAL); // ping 2 at 2000
    vi.advanceTimersByTime(100);
    t.liveness.pong(1);
    t.liveness.pong(2);
    expect(t.rtts).toEqual([INTERVAL + 100, 100]);
  });

  it('ignores unknown and duplicate pongs', () => {
    const t = setup();
    t.liveness.start();
    vi.advanceTimersByTime(INTERVAL);
    t.liveness.pong(99);
    t.liveness.pong(1);
    t.liveness.pong(1);
    expect(t.rtts).toEqual([0]);
  });

  it('ignores a pong for a ping sent before stop()', () => {
    const t = setup();
    t.liveness.start();
    vi.advanceTimersByTime(INTERVAL); // ping 1
    t.liveness.stop();
    t.liveness.start();
    t.liveness.pong(1);
    expect(t.rtts).toEqual([]);
  });
});
