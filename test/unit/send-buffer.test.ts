import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SignalError } from '../../src/errors.js';
import { SendBuffer, type RequestEntryInit } from '../../src/send-buffer.js';
import { track } from '../support/track.js';

const env = { setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>) };

function buffer(limits: { maxMessages?: number; maxBytes?: number } = {}) {
  return new SendBuffer({ maxMessages: limits.maxMessages ?? 100, maxBytes: limits.maxBytes ?? 100_000 }, env);
}

function requestInit(id: string, overrides: Partial<RequestEntryInit> = {}): RequestEntryInit {
  const text = JSON.stringify({ type: 'request', id, method: 'm', data: id });
  return { id, method: 'm', text, bytes: text.length, timeout: 10_000, replay: true, ...overrides };
}

function note(name: string): [string, number, string] {
  const text = JSON.stringify({ type: 'notification', method: 'n', data: name });
  return [text, text.length, 'n'];
}

/** A link: collects what the buffer writes, parsed. */
function link() {
  const frames: Array<{ type: string; id?: string; data?: unknown; replay?: boolean }> = [];
  return { frames, write: (text: string) => void frames.push(JSON.parse(text)) };
}

/** Flush promise callbacks (fake timers leave microtasks alone). */
const flush = () => new Promise<void>((resolve) => queueMicrotask(resolve)).then(() => undefined);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('SendBuffer: order', () => {
  it('writes at once while attached', () => {
    const b = buffer();
    const l = link();
    b.attach(l.write);
    void b.request(requestInit('r1'));
    b.notify(...note('n1'));
    expect(l.frames.map((f) => f.id ?? f.data)).toEqual(['r1', 'n1']);
    expect(b.written).toBe(2);
  });

  it('queues while detached and flushes in the original order on attach', () => {
    const b = buffer();
    void b.request(requestInit('r1'));
    b.notify(...note('n1'));
    void b.request(requestInit('r2'));
    b.notify(...note('n2'));
    expect(b.written).toBe(0);
    const l = link();
    b.attach(l.write);
    expect(l.frames.map((f) => f.id ?? f.data)).toEqual(['r1', 'n1', 'r2', 'n2']);
    expect(l.frames.every((f) => f.replay === undefined)).toBe(true); // first writes carry no replay mark
  });
});

describe('SendBuffer: replay', () => {
  it('resends unanswered requests with the same id and a replay mark, in original order, before newer messages', () => {
    const b = buffer();
    const first = link();
    b.attach(first.write);
    void b.request(requestInit('r1'));
    void b.request(requestInit('r2'));
    void b.request(requestInit('r3'));
    b.settle('r2', { ok: true, data: null });
    b.detach();
    b.notify(...note('n-offline'));
    void b.request(requestInit('r4'));
    const second = link();
    b.attach(second.write);
    expect(second.frames).toEqual([
      { type: 'request', id: 'r1', method: 'm', data: 'r1', replay: true },
      { type: 'request', id: 'r3', method: 'm', data: 'r3', replay: true },
      { type: 'notification', method: 'n', data: 'n-offline' },
      { type: 'request', id: 'r4', method: 'm', data: 'r4' },
    ]);
  });

  it('keeps replaying across several reconnects until answered, then forgets', async () => {
    const b = buffer();
    const p = track(b.request(requestInit('r1')));
    for (let i = 0; i < 3; i++) {
      const l = link();
      b.attach(l.write);
      expect(l.frames.map((f) => f.id)).toEqual(['r1']);
      b.detach();
    }
    b.settle('r1', { ok: true, data: 42 });
    await flush();
    expect(p).toMatchObject({ settled: true, value: 42 });
    const l = link();
    b.attach(l.write);
    expect(l.frames).toEqual([]);
    expect(b.messages).toBe(0);
  });

  it('forgets notifications once written: they are not sent again after a reconnect', () => {
    const b = buffer();
    b.notify(...note('queued'));
    const first = link();
    b.attach(first.write);
    b.notify(...note('direct'));
    expect(first.frames.map((f) => f.data)).toEqual(['queued', 'direct']);
    b.detach();
    const second = link();
    b.attach(second.write);
    expect(second.frames).toEqual([]);
    expect(b.messages).toBe(0);
    expect(b.bytes).toBe(0);
  });

  it('rejects a sent request with replay: false with NOT_REPLAYED when the link drops', async () => {
    const b = buffer();
    const l = link();
    b.attach(l.write);
    const noReplay = track(b.request(requestInit('once', { replay: false })));
    const replayed = track(b.request(requestInit('again')));
    b.detach();
    await flush();
    expect(noReplay.error).toBeInstanceOf(SignalError);
    expect(noReplay.error?.code).toBe('NOT_REPLAYED');
    expect(replayed.settled).toBe(false);
    const next = link();
    b.attach(next.write);
    expect(next.frames.map((f) => f.id)).toEqual(['again']);
  });

  it('a replay: false request that was never sent is sent normally after the link comes', async () => {
    const b = buffer();
    const p = track(b.request(requestInit('queued', { replay: false })));
    b.detach();
    await flush();
    expect(p.settled).toBe(false);
    const l = link();
    b.attach(l.write);
    expect(l.frames).toEqual([{ type: 'request', id: 'queued', method: 'm', data: 'queued' }]);
  });
});

describe('SendBuffer: responses', () => {
  it('resolves or rejects the matching request and frees its room', async () => {
    const b = buffer();
    b.attach(link().write);
    const ok = track(b.request(requestInit('a')));
    const bad = track(b.request(requestInit('b')));
    expect(b.messages).toBe(2);
    expect(b.settle('a', { ok: true, data: 'yes' })).toBe(true);
    expect(b.settle('b', { ok: false, error: new SignalError('REMOTE', 'no') })).toBe(true);
    await flush();
    expect(ok.value).toBe('yes');
    expect(bad.error?.code).toBe('REMOTE');
    expect(b.messages).toBe(0);
    expect(b.bytes).toBe(0);
  });

  it('ignores responses to unknown, duplicate or queued-notification ids', async () => {
    const b = buffer();
    b.notify(...note('n'));
    const p = track(b.request(requestInit('a')));
    expect(b.settle('nope', { ok: true, data: 1 })).toBe(false);
    expect(b.settle('~0', { ok: true, data: 1 })).toBe(false); // not a request, whatever the key
    expect(b.settle('a', { ok: true, data: 2 })).toBe(true);
    expect(b.settle('a', { ok: true, data: 3 })).toBe(false);
    await flush();
    expect(p.value).toBe(2);
    expect(b.messages).toBe(1); // the notification is still queued
  });
});

describe('SendBuffer: bounds', () => {
  it('rejects the request that does not fit in maxMessages with BUFFER_FULL and drops nothing', async () => {
    const b = buffer({ maxMessages: 2 });
    const r1 = track(b.request(requestInit('r1')));
    b.notify(...note('n1'));
    const r2 = track(b.request(requestInit('r2')));
    await flush();
    expect(r2.error?.code).toBe('BUFFER_FULL');
    expect(r1.settled).toBe(false);
    expect(b.messages).toBe(2);
    const l = link();
    b.attach(l.write);
    expect(l.frames.map((f) => f.id ?? f.data)).toEqual(['r1', 'n1']);
  });

  it('throws BUFFER_FULL for a notification over maxMessages', () => {
    const b = buffer({ maxMessages: 1 });
    b.notify(...note('n1'));
    let thrown: unknown;
    try {
      b.notify(...note('n2'));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SignalError);
    expect((thrown as SignalError).code).toBe('BUFFER_FULL');
    const l = link();
    b.attach(l.write);
    expect(l.frames.map((f) => f.data)).toEqual(['n1']);
  });

  it('enforces maxBytes on the total held, and an exact fit is allowed', async () => {
    const [text, bytes] = note('x');
    const b = buffer({ maxBytes: bytes * 2 });
    b.notify(text, bytes, 'n');
    b.notify(text, bytes, 'n'); // exactly at the limit
    expect(b.bytes).toBe(bytes * 2);
    expect(() => b.notify(text, 1, 'n')).toThrow(expect.objectContaining({ code: 'BUFFER_FULL' }));
    const r = track(b.request(requestInit('r', { bytes: 1 })));
    await flush();
    expect(r.error?.code).toBe('BUFFER_FULL');
    expect(b.messages).toBe(2);
  });

  it('counts requests awaiting a response against the limits even while attached', async () => {
    const b = buffer({ maxMessages: 1 });
    b.attach(link().write);
    void b.request(requestInit('in-flight'));
    const second = track(b.request(requestInit('second')));
    await flush();
    expect(second.error?.code).toBe('BUFFER_FULL');
    b.settle('in-flight', { ok: true, data: null });
    const third = track(b.request(requestInit('third')));
    await flush();
    expect(third.settled).toBe(false); // room again
  });

  it('frees the room of written notifications', () => {
    const b = buffer({ maxMessages: 1 });
    b.notify(...note('n1'));
    b.attach(link().write);
    b.detach();
    expect(() => b.notify(...note('n2'))).not.toThrow();
  });
});

describe('SendBuffer: timeout and abort', () => {
  it('times out counted from the call, even while queued, and never writes the request afterwards', async () => {
    const b = buffer();
    const p = track(b.request(requestInit('slow', { timeout: 1000 })));
    vi.advanceTimersByTime(999);
    await flush();
    expect(p.settled).toBe(false);
    vi.advanceTimersByTime(1);
    await flush();
    expect(p.error?.code).toBe('TIMEOUT');
    expect(b.messages).toBe(0);
    const l = link();
    b.attach(l.write);
    expect(l.frames).toEqual([]);
  });

  it('a request that timed out after being sent is not replayed, and its late response is ignored', async () => {
    const b = buffer();
    const first = link();
    b.attach(first.write);
    const p = track(b.request(requestInit('r', { timeout: 500 })));
    expect(first.frames).toHaveLength(1);
    vi.advanceTimersByTime(500);
    b.detach();
    const second = link();
    b.attach(second.write);
    expect(second.frames).toEqual([]);
    expect(b.settle('r', { ok: true, data: 'late' })).toBe(false);
    await flush();
    expect(p.error?.code).toBe('TIMEOUT');
  });

  it('an answered request does not time out later, and leaves no timer behind', async () => {
    const b = buffer();
    const p = track(b.request(requestInit('r', { timeout: 500 })));
    expect(vi.getTimerCount()).toBe(1);
    b.settle('r', { ok: true, data: 1 });
    expect(vi.getTimerCount()).toBe(0); // a forgotten 15 s timer would keep a Node process alive
    vi.advanceTimersByTime(10_000);
    await flush();
    expect(p).toMatchObject({ settled: true, value: 1 });
    expect(p.error).toBeUndefined();
  });

  it('abort while queued rejects with ABORTED and the request is never written', async () => {
    const b = buffer();
    const controller = new AbortController();
    const p = track(b.request(requestInit('r', { signal: controller.signal })));
    controller.abort(new Error('user left'));
    await flush();
    expect(p.error?.code).toBe('ABORTED');
    expect((p.error?.cause as Error).message).toBe('user left');
    const l = link();
    b.attach(l.write);
    expect(l.frames).toEqual([]);
    expect(b.messages).toBe(0);
  });

  it('abort after sending rejects with ABORTED and the request is not replayed', async () => {
    const b = buffer();
    b.attach(link().write);
    const controller = new AbortController();
    const p = track(b.request(requestInit('r', { signal: controller.signal })));
    controller.abort();
    b.detach();
    const l = link();
    b.attach(l.write);
    await flush();
    expect(p.error?.code).toBe('ABORTED');
    expect(l.frames).toEqual([]);
  });

  it('an already aborted signal rejects at once and nothing is written or held', async () => {
    const b = buffer();
    const l = link();
    b.attach(l.write);
    const p = track(b.request(requestInit('r', { signal: AbortSignal.abort() })));
    await flush();
    expect(p.error?.code).toBe('ABORTED');
    expect(l.frames).toEqual([]);
    expect(b.messages).toBe(0);
  });

  it('an abort after the response changes nothing', async () => {
    const b = buffer();
    const controller = new AbortController();
    const p = track(b.request(requestInit('r', { signal: controller.signal })));
    b.settle('r', { ok: true, data: 'done' });
    controller.abort();
    await flush();
    expect(p.value).toBe('done');
    expect(p.error).toBeUndefined();
  });
});

describe('SendBuffer: failAll', () => {
  it('rejects every request with the given error, drops queued notifications and stops writing', async () => {
    const b = buffer();
    const l = link();
    b.attach(l.write);
    const sent = track(b.request(requestInit('sent')));
    b.detach();
    b.notify(...note('queued'));
    const queued = track(b.request(requestInit('queued')));
    const error = new SignalError('CLOSED', 'closed');
    b.failAll(error);
    await flush();
    expect(sent.error).toBe(error);
    expect(queued.error).toBe(error);
    expect(b.messages).toBe(0);
    expect(b.bytes).toBe(0);
    // Their timers are gone too: nothing fires later.
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(60_000);
    expect(l.frames.map((f) => f.id)).toEqual(['sent']);
  });
});

describe('SendBuffer: what the link can carry', () => {
  const tooLarge = (what: string, bytes: number) => new SignalError('TOO_LARGE', `${what} is ${bytes} bytes, over the link's limit`);

  it('fails queued messages over the link limit at attach, in place, and writes the rest in order', async () => {
    const b = buffer();
    const l = link();
    const dropped: SignalError[] = [];
    const big = track(b.request(requestInit('big', { bytes: 500 })));
    b.notify('{"type":"notification","method":"n","data":"huge"}', 600, 'huge');
    const small = track(b.request(requestInit('small')));
    b.notify(...note('n1'));
    b.attach(l.write, { maxBytes: 200, tooLarge, dropped: (error) => dropped.push(error) });
    await flush();
    expect(l.frames.map((f) => f.id ?? f.data)).toEqual(['small', 'n1']);
    expect(big.error).toMatchObject({ code: 'TOO_LARGE', message: 'request "m" is 514 bytes, over the link\'s limit' }); // the replay mark counts
    expect(dropped.map((e) => e.message)).toEqual(['notification "huge" is 600 bytes, over the link\'s limit']);
    expect(small.settled).toBe(false);
    expect(b.messages).toBe(1);
  });

  it('while attached, refuses a message over the limit at the call, and writes nothing', async () => {
    const b = buffer();
    const l = link();
    b.attach(l.write, { maxBytes: 200, tooLarge, dropped: () => {} });
    const big = track(b.request(requestInit('big', { bytes: 190 })));
    await flush();
    expect(big.error?.code).toBe('TOO_LARGE');
    expect(() => b.notify('{}', 201, 'n')).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
    expect(l.frames).toEqual([]);
    expect(b.messages).toBe(0);
  });
});
