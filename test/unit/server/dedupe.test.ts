import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DedupeCache } from '../../../src/server/dedupe.js';
import { connect, resumeHello } from '../../support/fake-server-socket.js';
import { hubOnFakeTime } from './harness.js';

const WINDOW = 60_000;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const request = (id: string, data: unknown = null, replay = false) => ({ type: 'request', id, method: 'count', data, ...(replay ? { replay } : {}) });

/** A hub whose `count` handler counts its runs and answers with the run number. */
function counting(options = {}) {
  const setup = hubOnFakeTime({ dedupeWindow: WINDOW, ...options });
  let runs = 0;
  setup.hub.handle('count', () => ++runs);
  return { ...setup, runs: () => runs };
}

describe('request de-duplication through the Hub, on fake time', () => {
  it('a replay within dedupeWindow gets the first answer, on the same socket or after a resume, and the handler runs once', () => {
    const { hub, runs } = counting({ sessionTtl: 2 * WINDOW });
    const first = connect(hub);
    first.receive(request('r1'));
    first.receive(request('r1', null, true));
    expect(first.frames('response')).toEqual([
      { type: 'response', id: 'r1', ok: true, data: 1 },
      { type: 'response', id: 'r1', ok: true, data: 1 },
    ]);
    first.drop(1006);
    vi.advanceTimersByTime(WINDOW - 1);
    const second = connect(hub, resumeHello(first));
    second.receive(request('r1', null, true));
    expect(second.frames('response')).toEqual([{ type: 'response', id: 'r1', ok: true, data: 1 }]);
    expect(runs()).toBe(1);
  });

  it('the window starts when the answer is known: after it, the same id runs the handler again', () => {
    const { hub, runs } = counting({ sessionTtl: 10 * WINDOW });
    const socket = connect(hub);
    socket.receive(request('r1'));
    vi.advanceTimersByTime(WINDOW - 1);
    socket.receive(request('r1'));
    expect(runs()).toBe(1);
    vi.advanceTimersByTime(1);
    socket.receive(request('r1'));
    expect(runs()).toBe(2);
    expect(socket.frames('response').map((frame) => frame.data)).toEqual([1, 1, 2]);
  });

  it('a request still running when its socket drops answers the resumed socket exactly once, and its window starts then', async () => {
    const { hub } = hubOnFakeTime({ dedupeWindow: WINDOW });
    let runs = 0;
    hub.handle('slow', () => {
      runs++;
      return new Promise((resolve) => setTimeout(() => resolve('done'), 5_000));
    });
    const first = connect(hub);
    first.receive({ type: 'request', id: 'r1', method: 'slow' });
    first.drop(1006);
    const second = connect(hub, resumeHello(first));
    second.receive({ type: 'request', id: 'r1', method: 'slow', replay: true });
    expect(second.frames('response')).toEqual([]); // still running: no answer yet, and no second run
    await vi.advanceTimersByTimeAsync(5_000);
    expect(first.frames('response')).toEqual([]);
    expect(second.frames('response')).toEqual([{ type: 'response', id: 'r1', ok: true, data: 'done' }]);
    await vi.advanceTimersByTimeAsync(WINDOW - 1);
    second.receive({ type: 'request', id: 'r1', method: 'slow', replay: true });
    expect(runs).toBe(1);
    expect(second.frames('response')).toHaveLength(2);
  });

  it('a handler that throws answers once with its error, and replays get the same error without a rerun', () => {
    const { hub, events } = hubOnFakeTime({ dedupeWindow: WINDOW });
    let runs = 0;
    hub.handle('boom', () => {
      runs++;
      throw Object.assign(new Error('no such room'), { code: 'not-found' });
    });
    const socket = connect(hub);
    socket.receive({ type: 'request', id: 'r1', method: 'boom' });
    socket.receive({ type: 'request', id: 'r1', method: 'boom', replay: true });
    const error = { type: 'response', id: 'r1', ok: false, error: { code: 'not-found', message: 'no such room' } };
    expect(socket.frames('response')).toEqual([error, error]);
    expect(runs).toBe(1);
    expect(events('warning')).toEqual([]); // a thrown code is an answer, not a bug
  });

  it('over dedupeLimit the oldest answered ids are forgotten first', () => {
    const { hub, runs } = counting({ dedupeLimit: 3 });
    const socket = connect(hub);
    for (const id of ['a', 'b', 'c', 'd']) socket.receive(request(id));
    expect(runs()).toBe(4);
    socket.receive(request('d'));
    socket.receive(request('b'));
    expect(runs()).toBe(4); // still remembered
    socket.receive(request('a'));
    expect(runs()).toBe(5); // forgotten: ran again
  });
});

describe('DedupeCache', () => {
  it('keeps running entries past the limit and the window: evicting one would let a replay run twice', () => {
    const cache = new DedupeCache(1_000, 2);
    cache.start('running', 0);
    for (let i = 0; i < 5; i++) {
      cache.start(`done${i}`, i);
      cache.finish(`done${i}`, `answer${i}`, i);
    }
    expect(cache.get('running', 10_000)).toEqual(expect.objectContaining({ response: undefined }));
    expect(cache.size).toBeLessThanOrEqual(3);
    expect(cache.get('done4', 4)?.response).toBe('answer4');
    expect(cache.get('done0', 4)).toBeUndefined();
  });

  it('an answered entry is live until finish time + window, then gone', () => {
    const cache = new DedupeCache(1_000, 100);
    cache.start('r', 0);
    cache.finish('r', 'answer', 500);
    expect(cache.get('r', 1_499)?.response).toBe('answer');
    expect(cache.get('r', 1_500)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('a sweep on insert removes expired entries without lookups', () => {
    const cache = new DedupeCache(100, 1_000);
    for (let i = 0; i < 50; i++) {
      cache.start(`old${i}`, 0);
      cache.finish(`old${i}`, 'x', 0);
    }
    cache.start('new', 5_000);
    expect(cache.size).toBe(1);
  });
});
