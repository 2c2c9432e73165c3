// Smoke test for the Chromium harness: the browser starts offline-safe, loads a
// page from 127.0.0.1, reaches a Node WebSocket server, and two pages connect
// over WebRTC on loopback. Later browser tests rely on all of this.
import { once } from 'node:events';
import http from 'node:http';
import type net from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import {
  browserCommandLine,
  inLoopbackNamespace,
  launchChromium,
  PLAYWRIGHT_DISABLED_FEATURES,
} from '../support/chromium.js';

// Browser code is plain JS served as a page, so it needs no DOM types in tsc.
const PEER_SCRIPT = `
  // Messages are queued from the moment the channel opens, so none is missed
  // while the test is still asking for it.
  const inbox = [], waiters = [];
  const watch = (dc) => {
    dc.addEventListener('message', (e) => { const w = waiters.shift(); w ? w(e.data) : inbox.push(e.data); });
    return dc;
  };
  window.nextMessage = () => inbox.length ? Promise.resolve(inbox.shift()) : new Promise((r) => waiters.push(r));
  window.startPeer = () => {
    const pc = new RTCPeerConnection({ iceServers: [] });
    window.pc = pc;
    pc.onicecandidate = (e) => { if (e.candidate) sendSignal({ candidate: e.candidate.toJSON() }); };
    // Signals are handled one at a time, so a candidate never races setRemoteDescription.
    let chain = Promise.resolve();
    window.onSignal = (msg) => (chain = chain.then(async () => {
      if (msg.candidate) return pc.addIceCandidate(msg.candidate);
      await pc.setRemoteDescription(msg.sdp);
      if (msg.sdp.type === 'offer') {
        await pc.setLocalDescription();
        sendSignal({ sdp: pc.localDescription.toJSON() });
      }
    }));
    window.channel = new Promise((resolve) => {
      pc.ondatachannel = (e) => e.channel.addEventListener('open', () => resolve(watch(e.channel)));
    });
  };
  window.call = async () => {
    const dc = pc.createDataChannel('test');
    window.channel = new Promise((resolve) => dc.addEventListener('open', () => resolve(watch(dc))));
    await pc.setLocalDescription();
    sendSignal({ sdp: pc.localDescription.toJSON() });
  };
  window.send = (text) => window.channel.then((dc) => dc.send(text));
  window.selectedPair = async () => {
    const stats = [...(await pc.getStats()).values()];
    const transport = stats.find((s) => s.type === 'transport');
    const pair = stats.find((s) => s.id === transport.selectedCandidatePairId);
    const local = stats.find((s) => s.id === pair.localCandidateId);
    const remote = stats.find((s) => s.id === pair.remoteCandidateId);
    return { local: local.address, remote: remote.address, protocol: local.protocol };
  };
`;
const PAGE = `<!doctype html><title>resignal smoke</title><p id="ok">loaded</p><script>${PEER_SCRIPT}</script>`;

describe('Chromium harness', () => {
  let http1: http.Server;
  let wss: WebSocketServer;
  let pageUrl: string;
  const port = (s: { address(): unknown }) => (s.address() as net.AddressInfo).port;

  beforeAll(async () => {
    http1 = http.createServer((_req, res) => res.setHeader('content-type', 'text/html').end(PAGE));
    http1.listen(0, '127.0.0.1');
    await once(http1, 'listening');
    pageUrl = `http://127.0.0.1:${port(http1)}/`;
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
  });

  afterAll(async () => {
    for (const c of wss?.clients ?? []) c.terminate();
    await new Promise((r) => wss?.close(r));
    await new Promise((r) => http1?.close(r));
  });

  describe('plain launch', () => {
    let browser: Browser;
    beforeAll(async () => {
      const t0 = performance.now();
      browser = await launchChromium();
      console.info(`chromium launch: ${Math.round(performance.now() - t0)} ms (${browser.version()})`);
    }, 60_000);
    afterAll(() => browser?.close());

    it('loads a page from 127.0.0.1 and reaches a ws server from it', async () => {
      const page = await browser.newPage();
      await page.goto(pageUrl);
      expect(await page.locator('#ok').textContent()).toBe('loaded');

      const received = once(wss, 'connection').then(
        ([ws]) => new Promise<string>((resolve) => ws.once('message', (d: Buffer) => resolve(String(d)))),
      );
      await page.evaluate(`new Promise((resolve, reject) => {
        const ws = new WebSocket('ws://127.0.0.1:${port(wss)}');
        ws.onopen = () => { ws.send('hello from page'); resolve(); };
        ws.onerror = () => reject(new Error('page WebSocket failed'));
      })`);
      expect(await received).toBe('hello from page');
      await page.close();
    });

    it('keeps Playwright\'s --disable-features switch and resolves no outside hosts', async () => {
      const cmd = await browserCommandLine(browser);
      expect(cmd).toContain('--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1');
      expect(cmd.match(/--disable-features=/g)).toHaveLength(1);
      expect(cmd).toContain(`--disable-features=${PLAYWRIGHT_DISABLED_FEATURES.join(',')}`);
    });
  });

  describe('webrtc launch', () => {
    let browser: Browser;
    beforeAll(async () => {
      const t0 = performance.now();
      browser = await launchChromium({ webrtc: true });
      console.info(`chromium launch (webrtc): ${Math.round(performance.now() - t0)} ms`);
    }, 60_000);
    afterAll(() => browser?.close());

    it('passes ONE merged --disable-features list (Playwright\'s names plus ours)', async () => {
      const cmd = await browserCommandLine(browser);
      const switches = [...cmd.matchAll(/--disable-features=(\S+)/g)].map((m) => m[1] ?? '');
      expect(switches).toHaveLength(1);
      const names = switches.join().split(',');
      expect(names).toEqual(expect.arrayContaining([...PLAYWRIGHT_DISABLED_FEATURES, 'WebRtcHideLocalIpsWithMdns']));
      expect(cmd).toContain('--allow-loopback-in-peer-connection');
    });

    it('two pages open a data channel over loopback and pass a message', async () => {
      const t0 = performance.now();
      // Separate contexts: two independent "users", as in the demo.
      const [a, b] = await Promise.all([browser.newPage(), browser.newPage()]);
      const candidates: string[] = [];
      const wire = async (from: Page, to: Page) => {
        await from.exposeFunction('sendSignal', async (msg: { candidate?: { candidate: string } }) => {
          if (msg.candidate) candidates.push(msg.candidate.candidate);
          await to.evaluate((m) => (globalThis as unknown as { onSignal(m: unknown): Promise<void> }).onSignal(m), msg);
        });
      };
      await Promise.all([wire(a, b), wire(b, a)]);
      await Promise.all([a.goto(pageUrl), b.goto(pageUrl)]);
      await Promise.all([a.evaluate('startPeer()'), b.evaluate('startPeer()')]);

      const tCall = performance.now();
      await a.evaluate('call()');
      await Promise.all([a.evaluate('window.channel.then(() => true)'), b.evaluate('window.channel.then(() => true)')]);
      const openMs = performance.now() - tCall;

      await a.evaluate('send("hi over webrtc")');
      expect(await b.evaluate('nextMessage()')).toBe('hi over webrtc');

      const pair = (await a.evaluate('selectedPair()')) as { local: string; remote: string; protocol: string };
      // Candidates carry real addresses, not `<uuid>.local` mDNS names. (Measured: the media
      // permission granted by --use-fake-ui-for-media-stream already does this; disabling
      // WebRtcHideLocalIpsWithMdns is kept as the documented belt and braces.)
      expect(candidates.length).toBeGreaterThan(0);
      expect(candidates.some((c) => c.includes('.local '))).toBe(false);
      if (inLoopbackNamespace()) expect([pair.local, pair.remote]).toEqual(['127.0.0.1', '127.0.0.1']);

      console.info(
        `webrtc: data channel open ${Math.round(openMs)} ms after offer, whole test ${Math.round(performance.now() - t0)} ms; ` +
          `pair ${pair.local} <-> ${pair.remote} (${pair.protocol}), loopback netns: ${inLoopbackNamespace()}`,
      );
      await Promise.all([a.close(), b.close()]);
    }, 60_000);
  });
});
