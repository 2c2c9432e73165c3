import { describe, expect, it } from 'vitest';
import type { TimerHandle } from '../../../src/env.js';
import { defaultServerEnv, normalizeServerEnv, type ServerEnv } from '../../../src/server/env.js';
import { Hub } from '../../../src/server/hub.js';
import { normalizeOptions } from '../../../src/server/options.js';
import { connect, resumeHello, welcomeOf } from '../../support/fake-server-socket.js';

/**
 * A clock and timer queue that move only when the test says so. Real timers stay real
 * here (no vitest fakes), so anything the server took from the globals instead of its env
 * would not move with it and the assertions below would fail.
 */
function manualEnv() {
  let time = 1_700_000_000_000;
  let nextHandle = 0;
  const timers = new Map<TimerHandle, { at: number; fn: () => void; every: number | undefined }>();
  const add = (fn: () => void, ms: number, every?: number) => {
    const handle = ++nextHandle;
    timers.set(handle, { at: time + ms, fn, every });
    return handle;
  };
  const env: ServerEnv = {
    now: () => time,
    setTimeout: (fn, ms) => add(fn, ms),
    clearTimeout: (handle) => void timers.delete(handle),
    setInterval: (fn, ms) => add(fn, ms, ms),
    clearInterval: (handle) => void timers.delete(handle),
    id: () => `env${String(++nextHandle).padStart(18, '0')}`,
  };
  /** Move the clock by `ms`, running the timers due on the way, in order. */
  const advance = (ms: number) => {
    const end = time + ms;
    for (;;) {
      const due = [...timers].filter(([, timer]) => timer.at <= end).sort(([, a], [, b]) => a.at - b.at)[0];
      if (due === undefined) break;
      const [handle, timer] = due;
      time = timer.at;
      if (timer.every === undefined) timers.delete(handle);
      else timer.at += timer.every;
      timer.fn();
    }
    time = end;
  };
  return { env, advance, timers };
}

describe('the server environment', () => {
  it('fills the parts left out with the runtime ones, and rejects a part that is not a function', () => {
    const now = () => 42;
    const env = normalizeServerEnv({ now, id: undefined });
    expect(env.now).toBe(now);
    expect(env.id()).toMatch(/^[A-Za-z0-9_-]{21}$/);
    expect(Object.keys(env).sort()).toEqual(Object.keys(defaultServerEnv()).sort());
    expect(() => normalizeServerEnv({ setTimeout: 5 as never })).toThrow('SignalingServer: option "env.setTimeout" must be a function, got number');
    expect(() => normalizeOptions({ env: 'fake' as never })).toThrow('SignalingServer: option "env" must be an object');
  });

  it('is where the Hub takes its clock, timers and ids from: sessions expire, idle sockets close and dedupe entries age on its time only', () => {
    const { env, advance, timers } = manualEnv();
    const fired: string[] = [];
    const hub = new Hub(
      normalizeOptions({ env, sessionTtl: 30_000, idleTimeout: 8_000, dedupeWindow: 60_000, helloTimeout: 5_000 }),
      (event, payload) => fired.push(`${event}:${(payload as { code?: number }).code ?? ''}`),
      (error) => {
        throw error;
      },
      () => {},
    );
    let runs = 0;
    hub.handle('count', () => ++runs);
    const leaving = connect(hub);
    const staying = connect(hub);
    expect(welcomeOf(leaving).peer).toMatch(/^env/);
    staying.receive({ type: 'request', id: 'r1', method: 'count' });
    leaving.drop(1006);
    expect(timers.size).toBe(2); // the expiry of the dropped session, and the idle check
    advance(30_000);
    expect(hub.peerIds()).toEqual([welcomeOf(staying).peer]); // expired on env time
    expect(staying.closedWith?.code).toBe(4502); // idle on env time (sent nothing since r1)
    const back = connect(hub, resumeHello(staying));
    back.receive({ type: 'request', id: 'r1', method: 'count' });
    expect(runs).toBe(1); // 30 s after the answer: still within the window
    for (let i = 0; i < 6; i++) {
      advance(5_000);
      back.receive({ type: 'ping', id: i }); // kept alive: only the dedupe entry ages
    }
    back.receive({ type: 'request', id: 'r1', method: 'count' });
    expect(back.closedWith).toBeUndefined();
    expect(runs).toBe(2); // 60 s after the answer, on env time: forgotten
    expect(fired.filter((event) => event.startsWith('session-end'))).toHaveLength(1);
  });
});
