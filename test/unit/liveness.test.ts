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

  it('expects an answer within the first interval: start() does not count as hearing from the link', () => {
    const t = setup(1);
    t.liveness.start();
    vi.advanceTimersByTime(INTERVAL - 1);
    expect(t.dead).toBe(false);
    vi.advanceTimersByTime(1);
    expect(t.dead).toBe(true);
    expect(t.deadAt).toBe(INTERVAL);
  });

  it('a link that answers the opening ping within the first interval survives its first tick', () => {
    const t = setup(1);
    t.liveness.start();
    vi.advanceTimersByTime(INTERVAL / 2);
    t.liveness.received();
    vi.advanceTimersByTime(INTERVAL / 2);
    expect(t.dead).toBe(false);
    expect(t.pings.map((p) => p.at)).toEqual([0, INTERVAL]);
    vi.advanceTimersByTime(INTERVAL); // the second ping goes unanswered
    expect(t.dead).toBe(true);
    expect(t.deadAt).toBe(2 * INTERVAL);
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

  it('a link that goes silent right after start() is dead after maxMissed intervals, not one more', () => {
    const t = setup(3);
    t.liveness.start();
    vi.advanceTimersByTime(3 * INTERVAL - 1);
    expect(t.dead).toBe(false);
    vi.advanceTimersByTime(1);
    expect(t.dead).toBe(true);
    vi.advanceTimersByTime(10 * INTERVAL);
    expect(t.deaths).toBe(1);
    // The opening ping and the next two (at 0, 1 and 2 intervals) all go unanswered.
    expect(t.pings.map((p) => p.at)).toEqual([0, 1, 2].map((i) => i * INTERVAL));
    expect(t.deadAt).toBe(3 * INTERVAL);
  });

  it('honours maxMissed', () => {
    const t = setup(2);
    t.liveness.start();
    vi.advanceTimersByTime(2 * INTERVAL - 1);
    expect(t.dead).toBe(false);
    vi.advanceTimersByTime(1);
    expect(t.dead).toBe(true);
    expect(t.deadAt).toBe(2 * INTERVAL);
  });

  it('any received frame resets the count of missed intervals', () => {
    const t = setup(3);
    t.liveness.start();
    vi.advanceTimersByTime(2 * INTERVAL); // ticks at 1, 2: two silent intervals counted
    expect(t.dead).toBe(false);
    t.liveness.received();
    vi.advanceTimersByTime(3 * INTERVAL); // tick at 3 sees the frame; 4 and 5 are misses 1 and 2
    expect(t.dead).toBe(false);
    vi.advanceTimersByTime(INTERVAL); // 6: third miss
    expect(t.dead).toBe(true);
    expect(t.deadAt).toBe(6 * INTERVAL);
  });

  it('stop() cancels the timer: no more pings, no death', () => {
    const t = setup();
    t.liveness.start();
    t.liveness.stop();
    vi.advanceTimersByTime(100 * INTERVAL);
    expect(t.pings).toEqual([{ id: 1, at: 0 }]); // only the opening ping
    expect(t.dead).toBe(false);
  });

  it('start() after a death begins a fresh count', () => {
    const t = setup(2);
    t.liveness.start();
    vi.advanceTimersByTime(3 * INTERVAL);
    expect(t.deaths).toBe(1);
    vi.advanceTimersByTime(10 * INTERVAL);
    expect(t.deaths).toBe(1); // a dead link stays quiet until restarted
    expect(t.pings).toHaveLength(2);
    const restartedAt = Date.now();
    t.liveness.start();
    expect(t.pings.at(-1)).toEqual({ id: 3, at: restartedAt }); // a fresh opening ping
    vi.advanceTimersByTime(2 * INTERVAL - 1);
    expect(t.deaths).toBe(1);
    vi.advanceTimersByTime(1);
    expect(t.deaths).toBe(2);
  });

  it('start() on a running link restarts the count and pings again', () => {
    const t = setup(2);
    t.liveness.start();
    vi.advanceTimersByTime(INTERVAL + INTERVAL / 2); // one miss counted
    t.liveness.start();
    expect(t.pings).toHaveLength(3); // 0, 1000 and the new opening ping at 1500
    vi.advanceTimersByTime(2 * INTERVAL - 1); // the old timer (due at 2000) no longer fires
    expect(t.dead).toBe(false);
    vi.advanceTimersByTime(1);
    expect(t.deadAt).toBe(INTERVAL + INTERVAL / 2 + 2 * INTERVAL);
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
    vi.advanceTimersByTime(2 * INTERVAL); // two misses already counted
    expect(t.pings).toHaveLength(3); // at 0, 1000 and 2000
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
    t.liveness.received(); // the opening ping is answered
    vi.advanceTimersByTime(INTERVAL); // heard: no miss
    expect(t.dead).toBe(false);
    vi.setSystemTime(Date.now() + INTERVAL / 2); // mildly late
    vi.advanceTimersByTime(INTERVAL);
    expect(t.dead).toBe(true);
  });
});

describe('Liveness: probe()', () => {
  it('pings at once and declares the link dead after one silent interval', () => {
    const t = setup(3);
    t.liveness.start();
    t.liveness.received(); // the opening ping is answered
    vi.advanceTimersByTime(INTERVAL / 2);
    t.liveness.probe();
    expect(t.pings).toEqual([
      { id: 1, at: 0 },
      { id: 2, at: INTERVAL / 2 },
    ]);
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
    expect(t.pings).toEqual([]); // a probe before start() sends nothing
    t.liveness.start();
    t.liveness.stop();
    t.liveness.probe();
    vi.advanceTimersByTime(10 * INTERVAL);
    expect(t.pings).toEqual([{ id: 1, at: 0 }]); // only the opening ping of start()
    expect(t.dead).toBe(false);
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

  it('matches the pong to its own ping when several are outstanding', () => {
    const t = setup(5);
    t.liveness.start(); // ping 1 at 0
    vi.advanceTimersByTime(INTERVAL); // ping 2 at 1000
    vi.advanceTimersByTime(100);
    t.liveness.pong(2);
    t.liveness.pong(1);
    expect(t.rtts).toEqual([100, INTERVAL + 100]);
  });

  it('ignores unknown and duplicate pongs', () => {
    const t = setup();
    t.liveness.start(); // ping 1
    t.liveness.pong(99);
    t.liveness.pong(1);
    t.liveness.pong(1);
    expect(t.rtts).toEqual([0]);
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
