// Liveness against a server that pings idle clients itself (start(true)): the client's own
// ping is skipped while frames keep arriving, and nothing else changes: the deadline, the
// probe and the late-timer handling are those of a client that pings.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Liveness } from '../../src/liveness.js';

const INTERVAL = 1000;

function setup(maxMissed = 3, interval = INTERVAL) {
  const pings: number[] = [];
  let deadAt: number | undefined;
  let deaths = 0;
  const liveness = new Liveness(
    { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) },
    { interval, maxMissed },
    {
      sendPing: () => pings.push(Date.now()),
      onDead: () => {
        deaths++;
        deadAt = Date.now();
      },
      onRtt: () => {},
    },
  );
  return {
    liveness,
    pings,
    get deadAt() {
      return deadAt;
    },
    get deaths() {
      return deaths;
    },
  };
}

/** Move fake time to `at` (absolute ms), running the timers due on the way. */
const advanceTo = (at: number) => vi.advanceTimersByTime(at - Date.now());

/** A server ping arrives every `every` ms from `from` up to `to` (inclusive). */
function serverPings(t: ReturnType<typeof setup>, from: number, to: number, every: number) {
  for (let at = from; at <= to; at += every) {
    advanceTo(at);
    t.liveness.received();
  }
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Liveness with server pings', () => {
  it('pings once at start, then never while a frame arrives within every interval', () => {
    const t = setup();
    t.liveness.start(true);
    serverPings(t, 100, 30_000, 900); // the pong to the opening ping, then the server's pings
    advanceTo(30_000);
    expect(t.pings).toEqual([0]);
    expect(t.deaths).toBe(0);
  });

  it('without them (an older server), pings every interval however many frames arrive', () => {
    const t = setup();
    t.liveness.start(false);
    serverPings(t, 100, 10_000, 900);
    advanceTo(10_000);
    expect(t.pings).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => i * INTERVAL));
  });

  it('pings once nothing has arrived for a whole interval, and again every interval of silence', () => {
    const t = setup();
    t.liveness.start(true);
    serverPings(t, 100, 4_600, 900); // the last frame at 4600
    advanceTo(5_599);
    expect(t.pings).toEqual([0]);
    advanceTo(7_000);
    expect(t.pings).toEqual([0, 5_600, 6_600]);
  });

  it.each([0, 1, 250, 500, 999])('keeps the deadline: dead maxMissed × interval after the last frame (%i ms after a tick)', (phase) => {
    const t = setup(3, 5000);
    t.liveness.start(true);
    serverPings(t, 4_000, 20_000, 4_500);
    advanceTo(22_000 + phase);
    t.liveness.received();
    const lastFrameAt = Date.now();
    advanceTo(lastFrameAt + 15_000 - 1);
    expect(t.deaths).toBe(0);
    vi.advanceTimersByTime(1);
    expect(t.deadAt).toBe(lastFrameAt + 15_000);
    // Pinged twice in the silence, one and two intervals after the last frame.
    expect(t.pings.filter((at) => at > lastFrameAt)).toEqual([lastFrameAt + 5_000, lastFrameAt + 10_000]);
  });

  it('a probe still pings at once, even right after a frame, and is dead one interval later without an answer', () => {
    const t = setup();
    t.liveness.start(true);
    serverPings(t, 100, 5_000, 900);
    advanceTo(5_050);
    t.liveness.probe();
    expect(t.pings).toEqual([0, 5_050]);
    advanceTo(6_049);
    expect(t.deaths).toBe(0);
    advanceTo(6_050);
    expect(t.deadAt).toBe(6_050);
  });

  it('a frame after a probe answers it; the skipping resumes', () => {
    const t = setup();
    t.liveness.start(true);
    advanceTo(500);
    t.liveness.probe();
    serverPings(t, 600, 20_000, 900);
    advanceTo(20_000);
    expect(t.pings).toEqual([0, 500]);
    expect(t.deaths).toBe(0);
  });

  it('a timer over an interval late still probes (it does not skip on a frame heard before the sleep)', () => {
    const t = setup();
    t.liveness.start(true);
    serverPings(t, 100, 3_000, 900); // the last frame at 2800; the next wake-up is due at 3800
    // The machine sleeps for an hour: the clock jumps past the deadline, the timer has not run yet.
    vi.setSystemTime(Date.now() + 3_600_000);
    vi.advanceTimersByTime(INTERVAL); // the late timer runs now
    expect(t.deaths).toBe(0);
    const probedAt = t.pings.at(-1)!;
    expect(t.pings).toHaveLength(2); // the opening ping and the probe
    expect(probedAt).toBeGreaterThan(3_600_000);
    advanceTo(probedAt + INTERVAL - 1);
    expect(t.deaths).toBe(0);
    vi.advanceTimersByTime(1);
    expect(t.deadAt).toBe(probedAt + INTERVAL); // nothing answered the probe
  });

  it('start() after a server-pinged link goes back to pinging when the next server does not ping', () => {
    const t = setup();
    t.liveness.start(true);
    serverPings(t, 100, 3_000, 900);
    t.liveness.start(false);
    const restart = Date.now();
    serverPings(t, restart + 100, restart + 3_000, 900);
    advanceTo(restart + 3_000);
    expect(t.pings.filter((at) => at >= restart)).toEqual([restart, restart + 1_000, restart + 2_000, restart + 3_000]);
  });
});
