import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Liveness } from '../../src/liveness.js';

const INTERVAL = 1000;

function setup(maxMissed = 3, interval = INTERVAL) {
  const pings: Array<{ id: number; at: number }> = [];
  const rtts: number[] = [];
  /** When the Liveness set a timer: every start(), probe() and timer run ends with one. */
  const timersSetAt: number[] = [];
  let timersCleared = 0;
  let deadAt: number | undefined;
  let deaths = 0;
  const liveness = new Liveness(
    // Real timer functions, looked up at call time, so vitest's fake timers drive them.
    {
      now: () => Date.now(),
      setTimeout: (fn, ms) => {
        timersSetAt.push(Date.now());
        return setTimeout(fn, ms);
      },
      clearTimeout: (h) => {
        timersCleared++;
        clearTimeout(h as ReturnType<typeof setTimeout>);
      },
    },
    { interval, maxMissed },
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
    timersSetAt,
    get timersCleared() {
      return timersCleared;
    },
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

/** Move fake time to `at` (absolute ms), running the timers due on the way. */
const advanceTo = (at: number) => vi.advanceTimersByTime(at - Date.now());

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Liveness: pings', () => {
  it('pings at once on start(), then once per interval with increasing ids while frames keep arriving', () => {
    const t = setup();
    t.liveness.start();
    expect(t.pings).toEqual([{ id: 1, at: 0 }]); // the opening ping goes out inside start()
    for (let i = 0; i < 5; i++) {
      t.liveness.received();
      vi.advanceTimersByTime(INTERVAL);
    }
    expect(t.pings).toEqual([0, 1, 2, 3, 4, 5].map((i) => ({ id: i + 1, at: i * INTERVAL })));
    expect(t.dead).toBe(false);
  });

  it('wake-ups for a deadline that a frame has since moved send no ping and leave the cadence alone', () => {
    const t = setup(3);
    t.liveness.start();
    advanceTo(500);
    t.liveness.received(); // deadline 3500: after the ping at 3000 the timer is set for 3500
    advanceTo(3200);
    t.liveness.received(); // deadline 6200
    advanceTo(6100);
    t.liveness.received(); // deadline 9100
    advanceTo(9100);
    expect(t.deadAt).toBe(9100);
    // The timer did wake up at the two stale deadlines...
    expect(t.timersSetAt).toContain(3500);
    expect(t.timersSetAt).toContain(6200);
    // ...and the pings still went out once per interval, on the same grid, and only then.
    expect(t.pings.map((p) => p.at)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => i * INTERVAL));
  });

  it('received() does no timer work: a stream of frames sets and clears no timers', () => {
    const t = setup(3);
    t.liveness.start();
    const set = t.timersSetAt.length;
    const cleared = t.timersCleared;
    for (let i = 0; i < 1000; i++) t.liveness.received();
    expect(t.timersSetAt).toHaveLength(set);
    expect(t.timersCleared).toBe(cleared);
  });
});

describe('Liveness: dead-link deadline', () => {
  it('is dead exactly maxMissed × interval after the last frame, not at the next ping and not before', () => {
    const t = setup(3);
    t.liveness.start();
    for (let at = 500; at <= 5500; at += INTERVAL) {
      advanceTo(at);
      t.liveness.received(); // the last frame arrives at 5500, halfway between two pings
    }
    advanceTo(8499);
    expect(t.dead).toBe(false);
    vi.advanceTimersByTime(1);
    expect(t.deadAt).toBe(8500); // a per-interval count would say 9000
    // Pinged up to the end: 0, 1000, ..., 8000; none after death.
    vi.advanceTimersByTime(10 * INTERVAL);
    expect(t.pings.map((p) => p.at)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => i * INTERVAL));
    expect(t.deaths).toBe(1);
  });

  it.each([0, 1, 250, 500, 999])('with the defaults (5 s × 3) the link is dead 15 s after its last frame, which came %i ms after a ping', (phase) => {
    const t = setup(3, 5000);
    t.liveness.start();
    advanceTo(10_000 + phase);
    t.liveness.received();
    const lastFrameAt = Date.now();
    advanceTo(lastFrameAt + 15_000 - 1);
    expect(t.dead).toBe(false);
    vi.advanceTimersByTime(1);
    expect(t.deadAt).toBe(lastFrameAt + 15_000);
  });

  it('start() does not count as hearing from the link: silent from the start, dead maxMissed intervals later', () => {
    const t = setup(3);
    t.liveness.start();
    vi.advanceTimersByTime(3 * INTERVAL - 1);
    expect(t.dead).toBe(false);
    vi.advanceTimersByTime(1);
    expect(t.deadAt).toBe(3 * INTERVAL);
    vi.advanceTimersByTime(10 * INTERVAL);
    expect(t.deaths).toBe(1);
    // The opening ping and the next two (at 0, 1 and 2 intervals) all go unanswered.
    expect(t.pings.map((p) => p.at)).toEqual([0, 1, 2].map((i) => i * INTERVAL));
  });

  it.each([1, 2, 5])('honours maxMissed = %i', (maxMissed) => {
    const t = setup(maxMissed);
    t.liveness.start();
    advanceTo(300);
    t.liveness.received();
    advanceTo(300 + maxMissed * INTERVAL - 1);
    expect(t.dead).toBe(false);
    vi.advanceTimersByTime(1);
    expect(t.deadAt).toBe(300 + maxMissed * INTERVAL);
  });

  it('frames keep the link alive indefinitely, wherever they fall between pings', () => {
    const t = setup(3);
    t.liveness.start();
    const gaps = [2999, 10, 1700, 2500, 1, 2998];
    for (let i = 0; i < 300; i++) {
      vi.advanceTimersByTime(gaps[i % gaps.length]!);
      t.liveness.received();
    }
    expect(t.dead).toBe(false);
    const elapsed = Date.now();
    expect(elapsed).toBeGreaterThan(100 * INTERVAL);
    // One ping per interval all along, no more and no fewer.
    expect(t.pings).toHaveLength(Math.floor(elapsed / INTERVAL) + 1);
    advanceTo(elapsed + 3 * INTERVAL);
    expect(t.deadAt).toBe(elapsed + 3 * INTERVAL); // and silence still kills it
  });

  it('stop() cancels the timer: no more pings, no death', () => {
    const t = setup();
    t.liveness.start();
    t.liveness.stop();
    vi.advanceTimersByTime(100 * INTERVAL);
    expect(t.pings).toEqual([{ id: 1, at: 0 }]); // only the opening ping
    expect(t.dead).toBe(false);
  });

  it('start() after a death begins afresh: frames heard before it do not count', () => {
    const t = setup(2);
    t.liveness.start();
    advanceTo(100);
    t.liveness.received();
    advanceTo(3 * INTERVAL);
    expect(t.deadAt).toBe(2100);
    vi.advanceTimersByTime(10 * INTERVAL);
    expect(t.deaths).toBe(1); // a dead link stays quiet until restarted
    expect(t.pings.map((p) => p.at)).toEqual([0, 1000, 2000]);
    const restartedAt = Date.now();
    t.liveness.start();
    expect(t.pings.at(-1)).toEqual({ id: 4, at: restartedAt }); // a fresh opening ping
    vi.advanceTimersByTime(2 * INTERVAL - 1);
    expect(t.deaths).toBe(1);
    vi.advanceTimersByTime(1);
    expect(t.deaths).toBe(2);
  });

  it('start() on a running link pings again and counts the silence from the restart', () => {
    const t = setup(2);
    t.liveness.start();
    advanceTo(1500);
    t.liveness.start();
    expect(t.pings.map((p) => p.at)).toEqual([0, 1000, 1500]); // the new opening ping at 1500
    advanceTo(3499); // the old deadline (2000) and old ping time (2000) are forgotten
    expect(t.dead).toBe(false);
    expect(t.pings.map((p) => p.at)).toEqual([0, 1000, 1500, 2500]);
    vi.advanceTimersByTime(1);
    expect(t.deadAt).toBe(3500);
  });

  it('silentFor() is the time since the last received frame, or since start()', () => {
    const t = setup();
    t.liveness.start();
    vi.advanceTimersByTime(700);
    expect(t.liveness.silentFor()).toBe(700);
    t.liveness.received();
    vi.advanceTimersByTime(250);
    expect(t.liveness.silentFor()).toBe(250);
    t.liveness.probe(); // a probe does not make the link look any less silent
    expect(t.liveness.silentFor()).toBe(250);
  });
});

describe('Liveness: probe()', () => {
  it('pings at once and declares the link dead one interval later; a frame just before the probe is no answer', () => {
    const t = setup(3);
    t.liveness.start();
    advanceTo(500);
    t.liveness.received(); // heard in the same millisecond as the probe, but before it
    t.liveness.probe();
    expect(t.pings).toEqual([
      { id: 1, at: 0 },
      { id: 2, at: 500 },
    ]);
    advanceTo(1499);
    expect(t.dead).toBe(false);
    vi.advanceTimersByTime(1);
    expect(t.deadAt).toBe(1500); // without the probe: 3500
    // The probe was the ping of that interval: none at 1000.
    expect(t.pings.map((p) => p.at)).toEqual([0, 500]);
  });

  it('any frame after the probe cancels its deadline: the usual maxMissed intervals count from that frame', () => {
    const t = setup(3);
    t.liveness.start();
    t.liveness.probe(); // in the same millisecond as start()
    advanceTo(10);
    t.liveness.received();
    advanceTo(3009);
    expect(t.dead).toBe(false); // the probe alone would have ended it at 1000
    vi.advanceTimersByTime(1);
    expect(t.deadAt).toBe(3010);
  });

  it('does not postpone a closer deadline', () => {
    const t = setup(3);
    t.liveness.start();
    t.liveness.received(); // deadline 3000
    advanceTo(2500);
    t.liveness.probe(); // one interval would be 3500
    advanceTo(2999);
    expect(t.dead).toBe(false);
    vi.advanceTimersByTime(1);
    expect(t.deadAt).toBe(3000);
  });

  it('the regular pings resume one interval after the probe', () => {
    const t = setup(3);
    t.liveness.start();
    advanceTo(1300);
    t.liveness.received();
    t.liveness.probe();
    advanceTo(1350);
    t.liveness.received(); // answered
    advanceTo(3400);
    expect(t.pings.map((p) => p.at)).toEqual([0, 1000, 1300, 2300, 3300]);
    expect(t.dead).toBe(false);
  });

  it('with the timer overdue (the machine woke up, the timer has not run yet), gives a full interval', () => {
    const t = setup(3);
    t.liveness.start();
    t.liveness.received(); // deadline 3000
    vi.setSystemTime(60_000); // asleep for a minute: no timer ran
    t.liveness.probe(); // e.g. the page becomes visible again before the timer fires
    expect(t.pings.map((p) => p.at)).toEqual([0, 60_000]);
    vi.advanceTimersByTime(0);
    expect(t.dead).toBe(false); // the 3000 deadline passed during the sleep: that proves nothing
    advanceTo(60_999);
    expect(t.dead).toBe(false);
    vi.advanceTimersByTime(1);
    expect(t.deadAt).toBe(61_000);
  });

  it('does nothing while stopped', () => {
    const t = setup();
    t.liveness.probe();
    expect(t.pings).toEqual([]); // a probe before start() sends nothing
    t.liveness.start();
    t.liveness.stop();
    t.liveness.probe();
    vi.advanceTimersByTime(10 * INTERVAL);
    expect(t.pings).toEqual([{ id: 1, at: 0 }]); // only the opening ping of start()
    expect(t.dead).toBe(false);
  });
});

describe('Liveness: late timers (throttled tab, sleeping laptop)', () => {
  it('a timer that fires over an interval late probes instead of declaring death, even with the deadline long past', () => {
    const t = setup(3);
    t.liveness.start();
    t.liveness.received(); // deadline 3000
    vi.advanceTimersByTime(2 * INTERVAL);
    expect(t.pings).toHaveLength(3); // at 0, 1000 and 2000
    // The machine sleeps for an hour: the clock jumps, the timer (due at 3000) has not run yet.
    vi.setSystemTime(Date.now() + 3_600_000);
    vi.advanceTimersByTime(INTERVAL); // the late timer runs now
    expect(t.dead).toBe(false);
    expect(t.pings).toHaveLength(4); // a probe went out at once
    expect(t.pings.at(-1)!.at).toBe(Date.now());
    t.liveness.received(); // the probe is answered
    const answeredAt = Date.now();
    advanceTo(answeredAt + 3 * INTERVAL - 1);
    expect(t.dead).toBe(false);
    vi.advanceTimersByTime(1);
    expect(t.deadAt).toBe(answeredAt + 3 * INTERVAL);
  });

  it('the probe after a late timer kills the link if nothing arrives within one interval', () => {
    const t = setup(3);
    t.liveness.start();
    vi.setSystemTime(Date.now() + 60_000);
    vi.advanceTimersByTime(INTERVAL); // late timer: probe
    const probedAt = Date.now();
    expect(t.pings.at(-1)?.at).toBe(probedAt);
    vi.advanceTimersByTime(INTERVAL - 1);
    expect(t.dead).toBe(false);
    vi.advanceTimersByTime(1);
    expect(t.deadAt).toBe(probedAt + INTERVAL);
  });

  it.each([INTERVAL / 2, INTERVAL])('a timer %i ms late is not a probe: a deadline that has passed is death', (lateness) => {
    const t = setup(1);
    t.liveness.start();
    t.liveness.received(); // deadline 1000
    vi.setSystemTime(lateness); // the timer, due at 1000, will run at 1000 + lateness
    vi.advanceTimersByTime(INTERVAL);
    expect(t.deadAt).toBe(INTERVAL + lateness);
    expect(t.pings).toHaveLength(1);
  });

  it('a timer just over one interval late probes', () => {
    const t = setup(1);
    t.liveness.start();
    t.liveness.received(); // deadline 1000
    vi.setSystemTime(INTERVAL + 1); // the timer, due at 1000, will run at 2001
    vi.advanceTimersByTime(INTERVAL);
    expect(t.dead).toBe(false);
    expect(t.pings.map((p) => p.at)).toEqual([0, 2001]);
    advanceTo(3001);
    expect(t.deadAt).toBe(3001);
  });
});

describe('Liveness: RTT', () => {
  it('measures from ping to the matching pong, from the opening ping on', () => {
    const t = setup();
    t.liveness.start(); // ping 1 at 0
    vi.advanceTimersByTime(37);
    t.liveness.pong(1);
    expect(t.rtts).toEqual([37]); // known right away, not one interval later
    vi.advanceTimersByTime(INTERVAL - 37); // ping 2 at 1000
    vi.advanceTimersByTime(12);
    t.liveness.pong(2);
    expect(t.rtts).toEqual([37, 12]);
  });

  it('matches the pong to its own ping when several are outstanding, probes included', () => {
    const t = setup(5);
    t.liveness.start(); // ping 1 at 0
    vi.advanceTimersByTime(INTERVAL); // ping 2 at 1000
    vi.advanceTimersByTime(100);
    t.liveness.probe(); // ping 3 at 1100
    vi.advanceTimersByTime(100);
    t.liveness.pong(2);
    t.liveness.pong(1);
    t.liveness.pong(3);
    expect(t.rtts).toEqual([200, INTERVAL + 200, 100]);
  });

  it('ignores unknown and duplicate pongs', () => {
    const t = setup();
    t.liveness.start(); // ping 1
    t.liveness.pong(99);
    t.liveness.pong(1);
    t.liveness.pong(1);
    expect(t.rtts).toEqual([0]);
  });

  it('remembers only the last maxMissed + 2 pings: unanswered ones do not pile up', () => {
    const t = setup(3);
    t.liveness.start(); // ping 1
    for (let i = 0; i < 9; i++) {
      t.liveness.received(); // alive, but no pongs
      vi.advanceTimersByTime(INTERVAL); // pings 2..10
    }
    t.liveness.pong(5); // forgotten: only 6..10 are kept
    expect(t.rtts).toEqual([]);
    t.liveness.pong(6);
    expect(t.rtts).toEqual([4 * INTERVAL]);
  });

  it('ignores a pong for a ping sent before stop()', () => {
    const t = setup();
    t.liveness.start(); // ping 1
    vi.advanceTimersByTime(INTERVAL); // ping 2
    t.liveness.stop();
    t.liveness.start(); // ping 3
    t.liveness.pong(1);
    t.liveness.pong(2);
    expect(t.rtts).toEqual([]);
    t.liveness.pong(3);
    expect(t.rtts).toEqual([0]);
  });
});

describe('Liveness in a throttled background tab', () => {
  /** Every timer fires a minute late, as Chrome does for hidden tabs. */
  function throttled(onDead: () => void) {
    const pings: number[] = [];
    const liveness = new Liveness(
      { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms + 60_000), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) },
      { interval: 5000, maxMissed: 3 },
      { sendPing: (id) => pings.push(id), onDead, onRtt: () => {} },
    );
    return { liveness, pings };
  }

  it('declares a silent link dead after its probe goes unanswered for a whole late period', () => {
    let deadAt: number | undefined;
    const start = Date.now();
    const { liveness } = throttled(() => (deadAt = Date.now()));
    liveness.start();
    liveness.received(); // alive at first
    vi.advanceTimersByTime(65_000); // late tick: probe
    expect(deadAt).toBeUndefined();
    vi.advanceTimersByTime(65_000); // late again, and nothing arrived since the probe
    expect(deadAt).toBe(start + 130_000);
  });

  it('keeps a link alive that still receives frames while throttled', () => {
    let dead = false;
    const { liveness, pings } = throttled(() => (dead = true));
    liveness.start();
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(30_000);
      liveness.received(); // pongs and messages are not throttled, only timers
      vi.advanceTimersByTime(35_000);
    }
    expect(dead).toBe(false);
    expect(pings.length).toBeGreaterThan(5);
  });
});
