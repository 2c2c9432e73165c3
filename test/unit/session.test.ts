import { describe, expect, it } from 'vitest';
import { ClientSession } from '../../src/session.js';

const welcome = (peer: string, resumed: boolean, secret = 's-' + peer) => ({ type: 'welcome' as const, version: 1, peer, secret, resumed });

describe('ClientSession', () => {
  it('sends a plain hello before any welcome, and asks to resume afterwards with the ack of that server', () => {
    const session = new ClientSession();
    expect(session.hello('ws://a', 'tok')).toEqual({ type: 'hello', version: 1, token: 'tok' });
    session.welcomed('ws://a', welcome('p1', false));
    expect(session.accept('ws://a', 1)).toBe(0);
    expect(session.accept('ws://a', 2)).toBe(0);
    expect(session.hello('ws://a', undefined)).toEqual({ type: 'hello', version: 1, resume: { peer: 'p1', secret: 's-p1' }, ack: 2 });
    expect(session.id).toBe('p1');
  });

  it('delivers each seq once and lets notifications without seq through', () => {
    const session = new ClientSession();
    session.welcomed('ws://a', welcome('p1', false));
    expect([1, 2, 2, 1, 3].map((seq) => session.accept('ws://a', seq))).toEqual([0, 0, -1, -1, 0]);
    expect(session.accept('ws://a', undefined)).toBe(0);
  });

  it('keeps the seq per server: failing over A -> B -> A acks A with its own numbering', () => {
    const session = new ClientSession();
    session.welcomed('ws://a', welcome('p1', false));
    session.accept('ws://a', 5);
    session.welcomed('ws://b', welcome('p1', false)); // B: a new session under the same id
    session.accept('ws://b', 1);
    expect(session.hello('ws://a', undefined).ack).toBe(5);
    session.welcomed('ws://a', welcome('p1', true)); // A resumed its session
    expect(session.accept('ws://a', 5)).toBe(-1);
    expect(session.accept('ws://a', 6)).toBe(0);
    expect(session.hello('ws://b', undefined).ack).toBe(1);
  });

  it('starts counting again when a server starts a new session, even under the same id', () => {
    const session = new ClientSession();
    session.welcomed('ws://a', welcome('p1', false));
    session.accept('ws://a', 9);
    session.welcomed('ws://a', welcome('p1', false)); // restarted server
    expect(session.accept('ws://a', 1)).toBe(0);
    session.welcomed('ws://a', welcome('p2', true)); // "resumed" but under another id: new numbering too
    expect(session.accept('ws://a', 1)).toBe(0);
  });

  it('counts a jump in seq as that many lost notifications', () => {
    const session = new ClientSession();
    session.welcomed('ws://a', welcome('p1', false));
    expect([1, 2, 6, 7, 10].map((seq) => session.accept('ws://a', seq))).toEqual([0, 0, 3, 0, 2]);
    expect(session.hello('ws://a', undefined).ack).toBe(10);
  });

  it('does not count again what the welcome of this link reported lost, and only on this link', () => {
    const session = new ClientSession();
    session.welcomed('ws://a', welcome('p1', false));
    session.accept('ws://a', 2);
    session.welcomed('ws://a', { ...welcome('p1', true), lost: { count: 3 } });
    expect(session.accept('ws://a', 4)).toBe(0); // 3 lost, excused
    expect(session.accept('ws://a', 7)).toBe(0); // 5, 6 lost, excused (fair eviction need not drop a contiguous run)
    expect(session.accept('ws://a', 10)).toBe(2); // 8, 9: beyond what welcome reported
    session.welcomed('ws://a', welcome('p1', true)); // a new link without `lost`
    expect(session.accept('ws://a', 12)).toBe(1);
  });

  it('keeps one seq per cluster scope, whichever node of it the client is on, and names the scope in hello', () => {
    const session = new ClientSession();
    const scoped = (peer: string, resumed: boolean, scope: string) => ({ ...welcome(peer, resumed), scope });
    session.welcomed('ws://a', scoped('p1', false, 'cluster-1'));
    expect([1, 2, 3].map((seq) => session.accept('ws://a', seq))).toEqual([0, 0, 0]);
    // B was never welcomed: it is taken for another node of the same cluster.
    expect(session.hello('ws://b', undefined)).toMatchObject({ resume: { peer: 'p1' }, ack: 3, scope: 'cluster-1' });
    session.welcomed('ws://b', scoped('p1', true, 'cluster-1'));
    expect([2, 3, 4].map((seq) => session.accept('ws://b', seq))).toEqual([-1, -1, 0]); // resent ones are seen already
    expect(session.hello('ws://a', undefined).ack).toBe(4);
    // The cluster lost its state: a new scope, a new session, numbering from 1.
    session.welcomed('ws://a', scoped('p9', false, 'cluster-2'));
    expect(session.accept('ws://a', 1)).toBe(0);
    expect(session.hello('ws://b', undefined)).toMatchObject({ ack: 1, scope: 'cluster-2' });
  });

  it('a lone server after a cluster: per url again, and no scope in hello', () => {
    const session = new ClientSession();
    session.welcomed('ws://a', { ...welcome('p1', false), scope: 'cluster-1' });
    session.accept('ws://a', 7);
    session.welcomed('ws://c', welcome('p1', false));
    session.accept('ws://c', 1);
    expect(session.hello('ws://c', undefined)).toEqual({ type: 'hello', version: 1, resume: { peer: 'p1', secret: 's-p1' }, ack: 1 });
    expect(session.hello('ws://a', undefined).ack).toBe(7);
  });
});
