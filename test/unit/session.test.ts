import { describe, expect, it } from 'vitest';
import { ClientSession } from '../../src/session.js';

const welcome = (peer: string, resumed: boolean, secret = 's-' + peer) => ({ type: 'welcome' as const, version: 1, peer, secret, resumed });

describe('ClientSession', () => {
  it('sends a plain hello before any welcome, and asks to resume afterwards with the ack of that server', () => {
    const session = new ClientSession();
    expect(session.hello('ws://a', 'tok')).toEqual({ type: 'hello', version: 1, token: 'tok' });
    session.welcomed('ws://a', welcome('p1', false));
    expect(session.accept('ws://a', 1)).toBe(true);
    expect(session.accept('ws://a', 2)).toBe(true);
    expect(session.hello('ws://a', undefined)).toEqual({ type: 'hello', version: 1, resume: { peer: 'p1', secret: 's-p1' }, ack: 2 });
    expect(session.id).toBe('p1');
  });

  it('delivers each seq once and lets notifications without seq through', () => {
    const session = new ClientSession();
    session.welcomed('ws://a', welcome('p1', false));
    expect([1, 2, 2, 1, 3].map((seq) => session.accept('ws://a', seq))).toEqual([true, true, false, false, true]);
    expect(session.accept('ws://a', undefined)).toBe(true);
  });

  it('keeps the seq per server: failing over A -> B -> A acks A with its own numbering', () => {
    const session = new ClientSession();
    session.welcomed('ws://a', welcome('p1', false));
    session.accept('ws://a', 5);
    session.welcomed('ws://b', welcome('p1', false)); // B: a new session under the same id
    session.accept('ws://b', 1);
    expect(session.hello('ws://a', undefined).ack).toBe(5);
    session.welcomed('ws://a', welcome('p1', true)); // A resumed its session
    expect(session.accept('ws://a', 5)).toBe(false);
    expect(session.accept('ws://a', 6)).toBe(true);
    expect(session.hello('ws://b', undefined).ack).toBe(1);
  });

  it('starts counting again when a server starts a new session, even under the same id', () => {
    const session = new ClientSession();
    session.welcomed('ws://a', welcome('p1', false));
    session.accept('ws://a', 9);
    session.welcomed('ws://a', welcome('p1', false)); // restarted server
    expect(session.accept('ws://a', 1)).toBe(true);
    session.welcomed('ws://a', welcome('p2', true)); // "resumed" but under another id: new numbering too
    expect(session.accept('ws://a', 1)).toBe(true);
  });
});
