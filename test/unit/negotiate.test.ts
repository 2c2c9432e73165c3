// negotiate() against a small fake RTCPeerConnection that keeps the signaling state
// machine (offers, answers, implicit rollback, an operations chain) and nothing else.
// The real thing is tested in Chromium: test/browser/call.test.ts.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Peer } from '../../src/peer.js';
import type { Room } from '../../src/room.js';
import { until } from '../support/wait.js';
import { isPolite, negotiate, parseRtcSignal, type NegotiateOptions, type NegotiationRoom, type SignalEventLike, type SignalingLink } from '../../src/webrtc/negotiate.js';

type Desc = { type: RTCSdpType; sdp?: string };

// The real Room and Peer fit what negotiate() asks for (checked by tsc).
export type RoomFits = Room extends NegotiationRoom ? true : never;
export type PeerFits = Peer extends SignalingLink ? true : never;
const fits: [RoomFits, PeerFits] = [true, true];
void fits;
let offers = 0;
/** Work in flight anywhere in the fakes: PC operations, signals on the way, negotiate()'s timers. */
let inFlight = 0;
const track = <T>(work: Promise<T>): Promise<T> => {
  inFlight++;
  return work.finally(() => inFlight--);
};

class FakePc extends EventTarget {
  signalingState: RTCSignalingState = 'stable';
  iceConnectionState: RTCIceConnectionState = 'new';
  localDescription: Desc | null = null;
  remoteDescription: Desc | null = null;
  restarts = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private busy = 0;

  constructor(readonly name: string) {
    super();
  }

  private op<T>(fn: () => T): Promise<T> {
    this.busy++;
    const run = this.chain.then(async () => {
      await new Promise((r) => setTimeout(r, 1)); // real PCs take time: lets the other side race us
      return fn();
    });
    this.chain = track(run.catch(() => {}).finally(() => this.busy--));
    return run;
  }

  setLocalDescription(d?: Desc): Promise<void> {
    const done = this.op(() => {
      if (d?.type === 'rollback') return void (this.signalingState = 'stable');
      if (this.signalingState === 'have-remote-offer') {
        this.localDescription = { type: 'answer', sdp: `answer by ${this.name}` };
        this.signalingState = 'stable';
      } else {
        this.localDescription = { type: 'offer', sdp: `offer ${++offers} by ${this.name}` };
        this.signalingState = 'have-local-offer';
      }
      // Like Chromium, sometimes: a candidate fires before the setLocalDescription promise resolves.
      this.gather(`cand-${this.name}`);
    });
    return done;
  }

  setRemoteDescription(d: Desc): Promise<void> {
    return this.op(() => {
      if (d.type === 'offer') {
        this.signalingState = 'have-remote-offer'; // an own offer is rolled back implicitly
      } else {
        if (this.signalingState !== 'have-local-offer') throw new DOMException(`answer in ${this.signalingState}`, 'InvalidStateError');
        this.signalingState = 'stable';
      }
      this.remoteDescription = d;
    });
  }

  addIceCandidate(c: RTCIceCandidateInit): Promise<void> {
    return this.op(() => {
      if (!this.remoteDescription) {
        throw new DOMException(`no remote description for ${c.candidate}`, 'InvalidStateError');
      }
    });
  }

  restartIce(): void {
    this.restarts++;
  }

  /** What the browser does after addTrack/createDataChannel (only when stable and idle). */
  needNegotiation(): void {
    if (this.signalingState === 'stable' && this.busy === 0) this.dispatchEvent(new Event('negotiationneeded'));
  }

  gather(candidate: string): void {
    this.dispatchEvent(Object.assign(new Event('icecandidate'), { candidate: { toJSON: () => ({ candidate, sdpMid: '0' }) } }));
  }

  setIceState(state: RTCIceConnectionState): void {
    this.iceConnectionState = state;
    this.dispatchEvent(new Event('iceconnectionstatechange'));
  }
}

/** A room for one peer id; `link(a, b)` delivers each one's signals to the other, asynchronously. */
class FakeRoom implements NegotiationRoom {
  readonly sent: Array<{ to: string; data: unknown }> = [];
  readonly listeners = { signal: new Set<(e: SignalEventLike) => void>(), rejoined: new Set<() => void>(), 'notifications-lost': new Set<() => void>() };
  other: FakeRoom | undefined;
  /** Signals for which this returns true are lost on the way (a server that dropped them). */
  lose: (data: unknown) => boolean = () => false;

  constructor(readonly id: string) {}

  signal(to: string, data: unknown): Promise<void> {
    this.sent.push({ to, data });
    const other = this.other;
    if (other?.id === to && !this.lose(data)) void track(new Promise<void>((r) => setTimeout(r, 1)).then(() => other.emit('signal', { from: this.id, data })));
    return Promise.resolve();
  }

  on(event: 'signal' | 'rejoined' | 'notifications-lost', listener: (e: SignalEventLike) => void): void {
    (this.listeners[event] as Set<typeof listener>).add(listener);
  }

  off(event: 'signal' | 'rejoined' | 'notifications-lost', listener: (e: SignalEventLike) => void): void {
    (this.listeners[event] as Set<typeof listener>).delete(listener);
  }

  emit(event: 'signal', e: SignalEventLike): void;
  emit(event: 'rejoined' | 'notifications-lost'): void;
  emit(event: 'signal' | 'rejoined' | 'notifications-lost', e?: SignalEventLike): void {
    for (const listener of this.listeners[event]) (listener as (e?: SignalEventLike) => void)(e);
  }

  static link(a: FakeRoom, b: FakeRoom): void {
    a.other = b;
    b.other = a;
  }
}

const asPc = (pc: FakePc) => pc as unknown as RTCPeerConnection;
/**
 * Until nothing is in flight (no PC operation, no signal on the way, no negotiate() timer
 * armed) across a few turns of the event loop: the exchange is over, however slow the
 * machine. Bounded, so a negotiation that never ends fails the test rather than hanging it.
 */
async function settle(): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (let quiet = 0; quiet < 3; ) {
    await new Promise((r) => setTimeout(r, 2));
    quiet = inFlight === 0 ? quiet + 1 : 0;
    if (Date.now() > deadline) throw new Error(`negotiation still busy after 10 s (${inFlight} in flight)`);
  }
}

/** Real timers, counted in `inFlight` while armed, for negotiate()'s `timers` option. */
const armed = new Set<unknown>();
const countedTimers = {
  setTimeout(fn: () => void, ms: number): unknown {
    inFlight++;
    const handle = setTimeout(() => {
      if (armed.delete(handle)) inFlight--;
      fn();
    }, ms);
    armed.add(handle);
    return handle;
  },
  clearTimeout(handle: unknown): void {
    if (armed.delete(handle)) inFlight--;
    clearTimeout(handle as NodeJS.Timeout);
  },
};

function pair(options: NegotiateOptions = {}) {
  const ra = new FakeRoom('a');
  const rb = new FakeRoom('b');
  FakeRoom.link(ra, rb);
  const a = new FakePc('a');
  const b = new FakePc('b');
  const errors: unknown[] = [];
  const na = negotiate(asPc(a), ra, 'b', { localId: 'a', onError: (e) => errors.push(e), timers: countedTimers, ...options });
  const nb = negotiate(asPc(b), rb, 'a', { localId: 'b', onError: (e) => errors.push(e), timers: countedTimers, ...options });
  return { a, b, ra, rb, na, nb, errors };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('isPolite / parseRtcSignal', () => {
  it('makes exactly one side polite, the same way on both sides', () => {
    expect(isPolite('a', 'b')).toBe(true);
    expect(isPolite('b', 'a')).toBe(false);
    expect(() => isPolite('x', 'x')).toThrow(/two different peer ids/);
  });

  it('recognises its own signals and leaves app signals alone', () => {
    expect(parseRtcSignal({ rtc: 'description', description: { type: 'offer', sdp: 'v=0' } })).toEqual({
      rtc: 'description',
      description: { type: 'offer', sdp: 'v=0' },
    });
    expect(parseRtcSignal({ rtc: 'candidate', candidate: { candidate: 'c', sdpMid: '0' } })).toMatchObject({ rtc: 'candidate' });
    for (const other of [null, 'hi', { chat: 'hi' }, { rtc: 'description', description: { type: 'bogus' } }, { rtc: 'candidate', candidate: {} }]) {
      expect(parseRtcSignal(other)).toBeUndefined();
    }
  });

  it('needs an id or an explicit role', () => {
    expect(() => negotiate(asPc(new FakePc('x')), new FakeRoom('x'), 'y')).toThrow(/localId/);
  });
});

describe('negotiate', () => {
  it('one side offers, the other answers, candidates are trickled', async () => {
    const { a, b, ra, rb, errors } = pair();
    b.needNegotiation(); // the impolite side (the polite one holds its first offer back)
    a.needNegotiation();
    await settle();
    expect([a.signalingState, b.signalingState]).toEqual(['stable', 'stable']);
    expect(a.remoteDescription?.type).toBe('offer');
    expect(b.remoteDescription?.type).toBe('answer');
    // Each description goes out before the candidates gathered for it.
    const kinds = (room: FakeRoom) => room.sent.map((s) => (s.data as { rtc: string; description?: Desc }).description?.type ?? 'candidate');
    expect(kinds(rb)).toEqual(['offer', 'candidate']);
    expect(kinds(ra)).toEqual(['answer', 'candidate']);
    expect(errors).toEqual([]);
  });

  it('the polite side gives the other side a head start for the first offer, then offers itself', async () => {
    const { a, b, ra, rb, errors } = pair({ initialOfferDelay: 40 });
    a.needNegotiation(); // polite: waits
    await new Promise((r) => setTimeout(r, 20));
    expect(ra.sent).toEqual([]);
    await settle();
    expect([a.signalingState, b.signalingState]).toEqual(['stable', 'stable']);
    expect(b.remoteDescription?.type).toBe('offer'); // nothing came from b, so a offered after the delay
    expect(rb.sent.some((s) => (s.data as { description?: Desc }).description?.type === 'answer')).toBe(true);
    expect(errors).toEqual([]);
  });

  it('resolves glare: the polite side yields, the impolite offer wins, nothing errors', async () => {
    const { a, b, ra, rb, errors } = pair({ initialOfferDelay: 0 }); // 'a' < 'b': a is polite
    a.needNegotiation();
    b.needNegotiation(); // both offers are in flight, each followed by its candidates
    await settle();
    expect([a.signalingState, b.signalingState]).toEqual(['stable', 'stable']);
    const offered = (room: FakeRoom) => room.sent.some((s) => (s.data as { description?: Desc }).description?.type === 'offer');
    expect([offered(ra), offered(rb)]).toEqual([true, true]); // a real collision
    expect(a.remoteDescription?.sdp).toMatch(/by b$/); // a took b's offer
    expect(b.remoteDescription).toEqual({ type: 'answer', sdp: 'answer by a' });
    expect(errors).toEqual([]);
  });

  it('ignores signals from other peers and app signals in the same room', async () => {
    const { a, ra, errors } = pair();
    ra.emit('signal', { from: 'c', data: { rtc: 'description', description: { type: 'offer', sdp: 'x' } } });
    ra.emit('signal', { from: 'b', data: { chat: 'hello' } });
    await settle();
    expect(a.signalingState).toBe('stable');
    expect(a.remoteDescription).toBeNull();
    expect(errors).toEqual([]);
  });

  it('restarts ICE on failed at once, and on disconnected only when it lasts', async () => {
    vi.useFakeTimers();
    const pc = new FakePc('a');
    negotiate(asPc(pc), new FakeRoom('a'), 'b', { localId: 'a', disconnectedTimeout: 3000 });
    pc.setIceState('failed');
    expect(pc.restarts).toBe(1);
    pc.setIceState('disconnected');
    await vi.advanceTimersByTimeAsync(2000);
    pc.setIceState('connected'); // recovered by itself
    await vi.advanceTimersByTimeAsync(5000);
    expect(pc.restarts).toBe(1);
    pc.setIceState('disconnected');
    await vi.advanceTimersByTimeAsync(3000);
    expect(pc.restarts).toBe(2);
  });

  it('runs its timers on the injected timers, and close() cancels them there', () => {
    const due = new Map<number, () => void>();
    let next = 0;
    const timers = { setTimeout: (fn: () => void) => (due.set(++next, fn), next), clearTimeout: (handle: unknown) => due.delete(handle as number) };
    const pc = new FakePc('a');
    const negotiation = negotiate(asPc(pc), new FakeRoom('a'), 'b', { localId: 'a', disconnectedTimeout: 3000, timers });
    pc.setIceState('disconnected');
    expect(due.size).toBe(1);
    [...due.values()].forEach((fn) => fn()); // the injected clock says 3 s passed
    expect(pc.restarts).toBe(1);
    pc.setIceState('disconnected');
    negotiation.close();
    expect(due.size).toBe(0);
  });

  it('restarts failed ICE when the signaling link opens again', () => {
    const pc = new FakePc('a');
    const open = new Set<() => void>();
    const link = { on: (_: 'open', fn: () => void) => open.add(fn), off: (_: 'open', fn: () => void) => open.delete(fn) };
    negotiate(asPc(pc), new FakeRoom('a'), 'b', { localId: 'a', link });
    open.forEach((fn) => fn());
    expect(pc.restarts).toBe(0); // ICE is fine: nothing to do
    pc.iceConnectionState = 'failed'; // failed while we were away, without us seeing the event
    open.forEach((fn) => fn());
    expect(pc.restarts).toBe(1);
  });

  it('sends a pending offer again after a rejoin (the old server may have lost it)', async () => {
    const { a, ra, rb, errors } = pair({ initialOfferDelay: 0 });
    ra.other = undefined; // the offer is lost on the way
    a.needNegotiation();
    await settle();
    expect(a.signalingState).toBe('have-local-offer');
    FakeRoom.link(ra, rb);
    ra.emit('rejoined');
    await settle();
    expect(a.signalingState).toBe('stable');
    expect(errors).toEqual([]);
  });

  describe('resyncs when the room reports lost notifications', () => {
    it('its answer was lost: sends its offer again, and the other side answers again', async () => {
      const { a, b, ra, rb, errors } = pair({ initialOfferDelay: 0 });
      rb.lose = () => true; // its answer and candidates
      a.needNegotiation();
      await until(() => a.signalingState === 'have-local-offer' && b.signalingState === 'stable', 5000, 'states have-local-offer/stable');
      rb.lose = () => false;
      ra.emit('notifications-lost');
      await until(() => a.signalingState === 'stable' && b.signalingState === 'stable', 5000, 'states stable/stable');
      expect(errors).toEqual([]);
    });

    it('the other side\'s offer was lost: asks for it again with a resync signal', async () => {
      const { a, b, ra, rb, errors } = pair({ initialOfferDelay: 0 });
      rb.lose = () => true; // its offer and candidates
      b.needNegotiation();
      await until(() => a.signalingState === 'stable' && b.signalingState === 'have-local-offer', 5000, 'states stable/have-local-offer');
      rb.lose = () => false;
      ra.emit('notifications-lost');
      expect(ra.sent.map((s) => s.data)).toContainEqual({ rtc: 'resync' });
      await until(() => a.remoteDescription !== null && b.signalingState === 'stable', 5000, 'the offer sent again and answered');
      expect(a.signalingState).toBe('stable');
      expect(a.remoteDescription?.type).toBe('offer');
      expect(a.restarts).toBe(0); // nothing had been negotiated yet: no ICE to restart
      expect(errors).toEqual([]);
    });

    it('candidates may be lost: restarts ICE unless it is connected', async () => {
      const { a, b, ra, errors } = pair({ initialOfferDelay: 0 });
      b.needNegotiation();
      await until(() => b.remoteDescription?.type === 'answer' && a.signalingState === 'stable', 5000, 'negotiated');
      a.iceConnectionState = 'connected';
      ra.emit('notifications-lost');
      expect(a.restarts).toBe(0); // connected: nothing it needs was lost
      a.iceConnectionState = 'checking';
      ra.emit('notifications-lost');
      expect(a.restarts).toBe(1);
      await settle();
      expect(errors).toEqual([]);
    });
  });

  it('close() removes every listener and sends nothing more', async () => {
    const { a, ra, na } = pair();
    na.close();
    na.close();
    a.needNegotiation();
    a.gather('late');
    a.setIceState('failed');
    await settle();
    expect(ra.sent).toEqual([]);
    expect(ra.listeners.signal.size).toBe(0);
    expect(ra.listeners['notifications-lost'].size).toBe(0);
    expect(a.restarts).toBe(0);
  });
});
