import { describe, expect, it } from 'vitest';
import type { NetworkEvents, VisibilityEvents } from '../../src/env.js';
import { NetworkWatch } from '../../src/network-watch.js';

/** An event source that shows which listeners are attached. */
function source<T extends string>() {
  const listeners = new Map<T, Set<() => void>>();
  return {
    listeners,
    count: () => [...listeners.values()].reduce((n, set) => n + set.size, 0),
    fire: (type: T) => [...(listeners.get(type) ?? [])].forEach((listener) => listener()),
    addEventListener(type: T, listener: () => void) {
      if (!listeners.has(type)) listeners.set(type, new Set());
      listeners.get(type)!.add(listener);
    },
    removeEventListener(type: T, listener: () => void) {
      listeners.get(type)?.delete(listener);
    },
  };
}

function setup() {
  const network = source<'online' | 'offline'>();
  const visibility = Object.assign(source<'visibilitychange'>(), { visibilityState: 'hidden' });
  const calls: string[] = [];
  const watch = new NetworkWatch(
    { network: network as NetworkEvents, visibility: visibility as VisibilityEvents },
    { online: () => calls.push('online'), offline: () => calls.push('offline'), visible: () => calls.push('visible') },
  );
  return { network, visibility, calls, watch };
}

describe('NetworkWatch', () => {
  it('listens only between start() and stop()', () => {
    const t = setup();
    t.network.fire('online');
    expect(t.calls).toEqual([]);
    t.watch.start();
    expect(t.network.count()).toBe(2);
    expect(t.visibility.count()).toBe(1);
    t.network.fire('online');
    t.network.fire('offline');
    expect(t.calls).toEqual(['online', 'offline']);
    t.watch.stop();
    expect(t.network.count()).toBe(0);
    expect(t.visibility.count()).toBe(0);
    t.network.fire('online');
    expect(t.calls).toEqual(['online', 'offline']);
  });

  it('start() and stop() are idempotent: no double listeners', () => {
    const t = setup();
    t.watch.start();
    t.watch.start();
    t.network.fire('online');
    expect(t.calls).toEqual(['online']);
    t.watch.stop();
    t.watch.stop();
    expect(t.network.count()).toBe(0);
  });

  it('reports visibility changes only when the page becomes visible', () => {
    const t = setup();
    t.watch.start();
    t.visibility.fire('visibilitychange'); // still hidden
    expect(t.calls).toEqual([]);
    t.visibility.visibilityState = 'visible';
    t.visibility.fire('visibilitychange');
    expect(t.calls).toEqual(['visible']);
  });

  it('works without network or visibility sources', () => {
    const watch = new NetworkWatch({}, { online() {}, offline() {}, visible() {} });
    expect(() => {
      watch.start();
      watch.stop();
    }).not.toThrow();
  });
});
