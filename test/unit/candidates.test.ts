// Candidate filtering and batching (src/webrtc/candidates.ts), and how negotiate() uses them.
import { describe, expect, it } from 'vitest';
import { CandidateBatch, candidateFields, candidateFilters, filterSdp, isPrivateAddress } from '../../src/webrtc/candidates.js';
import { negotiate, parseRtcSignal, type NegotiationRoom, type NegotiationTimers, type SignalEventLike } from '../../src/webrtc/negotiate.js';

const host = (address: string) => ({ candidate: `candidate:1 1 udp 2122260223 ${address} 50000 typ host generation 0`, sdpMid: '0', sdpMLineIndex: 0 });
const srflx = { candidate: 'candidate:2 1 udp 1686052607 203.0.113.7 61000 typ srflx raddr 192.168.1.20 rport 50000', sdpMid: '0', sdpMLineIndex: 0 };
const relay = { candidate: 'candidate:3 1 udp 41885439 198.51.100.9 3478 typ relay raddr 203.0.113.7 rport 61000', sdpMid: '0', sdpMLineIndex: 0 };

/** Timers that fire only when told to. */
function manualTimers() {
  const due = new Map<number, () => void>();
  let next = 0;
  const timers: NegotiationTimers = {
    setTimeout: (fn) => (due.set(++next, fn), next),
    clearTimeout: (id) => void due.delete(id as number),
  };
  const fire = () => [...due].forEach(([id, fn]) => (due.delete(id), fn()));
  return { timers, fire, pending: () => due.size };
}

describe('candidate filters', () => {
  it('reads type and address, and knows private addresses', () => {
    expect(candidateFields(srflx)).toEqual({ type: 'srflx', address: '203.0.113.7', protocol: 'udp' });
    expect(candidateFields({ candidate: '' })).toBeUndefined();
    for (const a of ['10.1.2.3', '192.168.0.1', '172.16.5.5', '172.31.0.1', '127.0.0.1', '169.254.1.1', '100.64.0.1', 'fd00::1', 'fe80::1', '::1', 'e3f1c2a0-1111.local']) expect(isPrivateAddress(a), a).toBe(true);
    for (const a of ['8.8.8.8', '172.32.0.1', '203.0.113.7', '2001:db8::1', '100.128.0.1']) expect(isPrivateAddress(a), a).toBe(false);
  });

  it('noPrivateAddresses drops host candidates on private addresses; relayOnly keeps relays only', () => {
    const all = [host('192.168.1.20'), host('8.8.4.4'), host('abc.local'), srflx, relay];
    expect(all.filter(candidateFilters.noPrivateAddresses)).toEqual([host('8.8.4.4'), srflx, relay]);
    expect(all.filter(candidateFilters.relayOnly)).toEqual([relay]);
  });

  it('filterSdp removes refused candidate lines and keeps everything else', () => {
    const sdp = ['v=0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=mid:0', `a=${host('10.0.0.2').candidate}`, `a=${relay.candidate}`, 'a=end-of-candidates', ''].join('\r\n');
    const out = filterSdp(sdp, candidateFilters.relayOnly);
    expect(out).not.toContain('10.0.0.2');
    expect(out).toContain(relay.candidate);
    expect(out.split('\r\n')).toHaveLength(sdp.split('\r\n').length - 1);
  });
});

describe('CandidateBatch', () => {
  it('sends what the window collected as one batch, and end-of-candidates flushes at once', () => {
    const { timers, fire, pending } = manualTimers();
    const sent: Array<[string[], boolean]> = [];
    const batch = new CandidateBatch(50, timers, (c, end) => sent.push([c.map((x) => x.candidate!), end]));
    batch.add({ candidate: 'a' });
    batch.add({ candidate: 'b' });
    expect(sent).toEqual([]);
    fire();
    batch.add({ candidate: 'c' });
    batch.flush(true);
    expect(pending()).toBe(0);
    batch.flush(true); // nothing pending: end-of-candidates alone is not worth a signal
    expect(sent).toEqual([[['a', 'b'], false], [['c'], true]]);
  });

  it('a window of 0 sends each candidate alone; close() drops what is pending', () => {
    const { timers, fire } = manualTimers();
    const sent: string[][] = [];
    new CandidateBatch(0, timers, (c) => sent.push(c.map((x) => x.candidate!))).add({ candidate: 'x' });
    const closed = new CandidateBatch(50, timers, (c) => sent.push(c.map((x) => x.candidate!)));
    closed.add({ candidate: 'y' });
    closed.close();
    fire();
    expect(sent).toEqual([['x']]);
  });
});

describe('negotiate() with batching and a filter', () => {
  /** A PeerConnection that only gathers: enough to see what negotiate() sends. */
  class GatheringPc extends EventTarget {
    signalingState = 'stable';
    iceConnectionState = 'new';
    localDescription = null;
    remoteDescription = null;
    gather(candidate: RTCIceCandidateInit | null): void {
      this.dispatchEvent(Object.assign(new Event('icecandidate'), { candidate: candidate && { toJSON: () => candidate } }));
    }
  }
  const room = () => {
    const sent: unknown[] = [];
    const r: NegotiationRoom = { signal: async (_to, data) => void sent.push(data), on: () => {}, off: () => {} };
    return { r, sent };
  };

  it('batches trickled candidates with end-of-candidates, after dropping the filtered ones', () => {
    const { timers } = manualTimers();
    const pc = new GatheringPc();
    const { r, sent } = room();
    negotiate(pc as unknown as RTCPeerConnection, r, 'b', { polite: false, timers, candidateBatch: 10_000, candidateFilter: candidateFilters.noPrivateAddresses });
    pc.gather(host('192.168.1.20'));
    pc.gather(srflx);
    pc.gather(relay);
    pc.gather(null);
    expect(sent).toEqual([{ rtc: 'candidates', candidates: [srflx, relay], end: true }]);
    expect(parseRtcSignal(sent[0])).toEqual(sent[0]);
  });

  it('applies every candidate of a batch it receives, then end-of-candidates', async () => {
    const added: unknown[] = [];
    const pc = Object.assign(new GatheringPc(), { remoteDescription: { type: 'offer' }, addIceCandidate: async (c: unknown) => void added.push(c) });
    let deliver!: (e: SignalEventLike) => void;
    const r: NegotiationRoom = { signal: async () => {}, on: (event: string, fn: never) => void (event === 'signal' && (deliver = fn)), off: () => {} };
    negotiate(pc as unknown as RTCPeerConnection, r, 'b', { polite: false, timers: manualTimers().timers });
    deliver({ from: 'b', data: { rtc: 'candidates', candidates: [srflx, relay], end: true } });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(added).toEqual([srflx, relay, { candidate: '' }]);
    expect(parseRtcSignal({ rtc: 'candidates', candidates: [{}] })).toBeUndefined();
    expect(parseRtcSignal({ rtc: 'candidates', candidates: [srflx], end: 'yes' })).toBeUndefined();
  });

  it("applies the link's ICE servers to the connection after each reconnect", () => {
    const configs: RTCConfiguration[] = [];
    const pc = Object.assign(new GatheringPc(), {
      getConfiguration: () => ({ bundlePolicy: 'max-bundle', iceServers: [] }),
      setConfiguration: (c: RTCConfiguration) => void configs.push(c),
    });
    let open!: () => void;
    const link = { iceServers: [{ urls: 'turn:127.0.0.1', username: '1:p', credential: 'c' }], on: (_: 'open', fn: () => void) => void (open = fn), off: () => {} };
    negotiate(pc as unknown as RTCPeerConnection, room().r, 'b', { polite: false, timers: manualTimers().timers, link });
    expect(configs).toEqual([]);
    open();
    expect(configs).toEqual([{ bundlePolicy: 'max-bundle', iceServers: link.iceServers }]);
  });
});
