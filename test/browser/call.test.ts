// The demo page in real Chromium: two pages (two browser contexts, like two people) join one
// room through the real reference server, started by demo/server.ts in its own process, and
// call each other with the fake camera. Then the signaling side is broken in the ways the
// demo's buttons break it, and the call must survive each one.
// Run inside a loopback-only network namespace by `npm test` (test/browser/run.ts).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type DemoServer } from '../../demo/server.js';
import { inLoopbackNamespace, launchChromium } from '../support/chromium.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
/** The end-to-end secret both pages get in their URL fragment (16 random bytes, base64url). */
const ROOM_KEY = randomBytes(16).toString('base64url');

// Killing the call's UDP path needs a firewall rule. Only inside the loopback-only namespace
// (npm test, via run.ts) is that safe: there it cannot touch the machine's real network.
const NFT = '/usr/sbin/nft';
const CAN_BLOCK_UDP = inLoopbackNamespace() && existsSync(NFT);
if (!CAN_BLOCK_UDP) {
  console.warn('browser tests: NOTE the ICE-restart test is skipped: it needs the loopback-only network namespace (npm run test:browser as root) and nft');
}
const nft = (...args: string[]) => execFileSync(NFT, args, { stdio: 'pipe' });

interface CallInfo {
  id: string;
  connection: RTCPeerConnectionState;
  chat: RTCDataChannelState;
  frames: number;
}
interface PageInfo {
  id: string;
  state: string;
  calls: CallInfo[];
}

/** The demo page's state, as its `window.demo` sees it. */
function info(page: Page): Promise<PageInfo> {
  return page.evaluate(`(async () => {
    const calls = [];
    for (const [id, call] of demo.calls) {
      calls.push({ id, connection: call.pc.connectionState, chat: call.chat.readyState, frames: await demo.framesDecoded(id) });
    }
    return { id: demo.peer.id, state: demo.peer.state, calls };
  })()`) as Promise<PageInfo>;
}

/** Poll the page until `check` passes; on timeout, fail with what the page looked like last. The
 * default bound is long because on a busy machine restarting a server process alone can take 30 s. */
async function until(page: Page, what: string, check: (state: PageInfo) => boolean, ms = 60_000): Promise<PageInfo> {
  const deadline = Date.now() + ms;
  let last: PageInfo | undefined;
  while (Date.now() < deadline) {
    last = await info(page);
    if (check(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}; page state: ${JSON.stringify(last)}`);
}

/** Wait until a JS expression is truthy in the page. */
function waitFor(page: Page, expression: string, ms = 60_000): Promise<unknown> {
  return page.waitForFunction(expression, undefined, { timeout: ms, polling: 100 });
}
const hasChat = (from: string | undefined, text: string) =>
  `demo.chatLog.some((m) => ${from ? `m.from === ${JSON.stringify(from)} && ` : ''}m.text === ${JSON.stringify(text)})`;

/** How many inbound video streams from that peer have decoded frames. */
function decodingVideoStreams(page: Page, id: string): Promise<number> {
  return page.evaluate(`(async () => {
    let n = 0;
    (await demo.calls.get(${JSON.stringify(id)}).pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > 0) n++;
    });
    return n;
  })()`) as Promise<number>;
}

/** A page-side promise with a bound, so a test fails with a message instead of hanging. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const callWith = (state: PageInfo, id: string) => state.calls.find((call) => call.id === id);
const frames = async (page: Page, id: string) => callWith(await info(page), id)?.frames ?? 0;

type RoomEvent = { type: string; peerId?: string; reason?: string; from?: string; data?: unknown; at: number };
const roomEvents = (page: Page) => page.evaluate('demo.events') as Promise<RoomEvent[]>;

describe('the demo call in Chromium', () => {
  let demo: DemoServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let a: Page; // desktop
  let b: Page; // phone-sized
  let idA: string;
  let idB: string;
  const shots: string[] = [];

  async function screenshot(name: string): Promise<void> {
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const [page, who] of [[a, 'a-desktop'], [b, 'b-phone']] as const) {
      const path = new URL(`${name}-${who}.png`, ARTIFACTS).pathname;
      await page.screenshot({ path, fullPage: true });
      shots.push(path);
    }
  }

  beforeAll(async () => {
    const t0 = performance.now();
    demo = await startDemo({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium({ webrtc: true });
    const open = async (viewport: { width: number; height: number }) => {
      const context = await browser.newContext({ viewport });
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
      return page;
    };
    [a, b] = await Promise.all([open({ width: 1280, height: 860 }), open({ width: 390, height: 844 })]);
    // The fragment carries the room's end-to-end secret, as the demo's shared link does.
    const url = `http://127.0.0.1:${demo.port}/?room=browser-test-${Date.now().toString(36)}#key=${ROOM_KEY}`;
    for (const page of [a, b]) {
      await page.goto(url);
      await page.evaluate('demo.ready');
    }
    idA = (await info(a)).id;
    idB = (await info(b)).id;
    console.info(`browser suite: demo + chromium + two joined pages in ${Math.round(performance.now() - t0)} ms; loopback netns: ${inLoopbackNamespace()}`);
  }, 120_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await demo?.close();
  });

  it('two pages in one room: chat both ways over the data channel, decoded remote video', async () => {
    const t0 = performance.now();
    for (const [page, other] of [[a, idB], [b, idA]] as const) {
      await until(page, 'an open chat channel with the other page', (s) => callWith(s, other)?.chat === 'open');
    }
    await a.evaluate('demo.sendChat("hello from A")');
    await b.evaluate('demo.sendChat("hello from B")');
    await waitFor(b, hasChat(idA, 'hello from A'));
    await waitFor(a, hasChat(idB, 'hello from B'));
    // The messages are on screen too.
    await expect.poll(() => b.locator('#messages').textContent()).toContain('hello from A');

    await until(a, 'decoded video from B', (s) => (callWith(s, idB)?.frames ?? 0) > 0);
    await until(b, 'decoded video from A', (s) => (callWith(s, idA)?.frames ?? 0) > 0);
    console.info(`call: chat both ways and video frames decoded ${Math.round(performance.now() - t0)} ms after both joined`);
    await screenshot('1-call');
  }, 150_000);

  it('survives a SIGKILL of the signaling server: both rejoin with the same ids, media keeps flowing, renegotiation works', async () => {
    const t0 = performance.now();
    const before = { a: await frames(a, idB), b: await frames(b, idA) };
    // The page's own "Restart server" button: the demo server SIGKILLs the signaling process
    // and starts it again on the same port.
    await a.click('#btn-restart');
    for (const page of [a, b]) {
      await waitFor(page, `demo.events.some((e) => e.type === 'rejoined')`);
    }
    const rejoinedMs = performance.now() - t0;
    for (const [page, self, other] of [[a, idA, idB], [b, idB, idA]] as const) {
      const state = await until(page, 'open again, with the other page back in the room', (s) => s.state === 'open');
      expect(state.id).toBe(self);
      await waitFor(page, `demo.room.peers.has(${JSON.stringify(other)})`);
      expect(await page.evaluate('demo.peer.stats().reconnects')).toBeGreaterThanOrEqual(1);
    }
    // Media kept flowing through all this: more frames decoded than before the crash, and more again now.
    const after = { a: await frames(a, idB), b: await frames(b, idA) };
    expect(after.a).toBeGreaterThan(before.a);
    expect(after.b).toBeGreaterThan(before.b);
    await until(a, 'more frames from B', (s) => (callWith(s, idB)?.frames ?? 0) > after.a);
    await until(b, 'more frames from A', (s) => (callWith(s, idA)?.frames ?? 0) > after.b);
    expect(callWith(await info(a), idB)?.connection).toBe('connected');

    // A renegotiation through the new server process: A adds a second video track (a new data
    // channel would not need one: it shares the existing SCTP association), B decodes it.
    expect(await decodingVideoStreams(b, idA)).toBe(1);
    await a.evaluate(`(() => {
      const pc = demo.calls.get(${JSON.stringify(idB)}).pc;
      const camera = pc.getSenders().find((sender) => sender.track?.kind === 'video').track;
      pc.addTrack(camera.clone());
    })()`);
    await expect.poll(() => decodingVideoStreams(b, idA), { timeout: 30_000, interval: 200 }).toBe(2);
    // And the chat of the original channel still works.
    await b.evaluate('demo.sendChat("after the restart")');
    await waitFor(a, hasChat(idB, 'after the restart'));
    console.info(`server restart: both rejoined ${Math.round(rejoinedMs)} ms after the kill; renegotiated at ${Math.round(performance.now() - t0)} ms`);
    await screenshot('2-after-restart');
  }, 180_000);

  it('a link dropped for less than sessionTtl: the other side never sees peer-left, signals sent meanwhile arrive', async () => {
    const t0 = performance.now();
    const since = Date.now();
    const openedAt = a.evaluate(`new Promise((resolve) => demo.peer.once('open', ({ resumed }) => resolve({ at: Date.now(), resumed })))`) as Promise<{ at: number; resumed: boolean }>;
    // Through the demo server's control endpoint (the one the "Drop link" button uses): reset A's
    // TCP link and refuse its reconnects for 4 s. A is away; B keeps signaling it.
    const dropped = await a.evaluate(`fetch('/api/drop?client=' + demo.clientId + '&hold=4000', { method: 'POST' }).then((r) => r.json())`);
    expect(dropped).toEqual({ dropped: 1 });
    await until(a, 'A to notice the drop', (s) => s.state !== 'open', 10_000);
    const sent = [1, 2, 3].map((n) => ({ app: 'while-away', n }));
    const sentAt = (await b.evaluate(`(async () => {
      for (const data of ${JSON.stringify(sent)}) await demo.room.signal(${JSON.stringify(idA)}, data);
      return Date.now();
    })()`)) as number;
    expect((await info(a)).state).not.toBe('open'); // they really were sent while A was away

    const opened = await within(openedAt, 30_000, "A's link to open again");
    expect(opened.resumed).toBe(true); // the server kept A's session
    expect(opened.at).toBeGreaterThan(sentAt);
    await waitFor(a, `demo.events.filter((e) => e.type === 'signal' && e.at >= ${since}).length >= ${sent.length}`);
    const received = (await roomEvents(a)).filter((e) => e.type === 'signal' && e.at >= since);
    expect(received.map((e) => [e.from, e.data])).toEqual(sent.map((data) => [idB, data]));
    expect((await roomEvents(b)).filter((e) => e.type === 'peer-left' && e.at >= since)).toEqual([]);

    // The call carried on.
    const now = await frames(b, idA);
    await until(b, 'more frames from A', (s) => (callWith(s, idA)?.frames ?? 0) > now);
    await a.evaluate('demo.sendChat("back again")');
    await waitFor(b, hasChat(idA, 'back again'));
    console.info(`link drop: A back (session resumed) ${Math.round(opened.at - since)} ms after the drop; whole test ${Math.round(performance.now() - t0)} ms`);
  }, 150_000);

  it('the blackhole button: the heartbeat notices, the link comes back, the call and chat carry on', async () => {
    const t0 = performance.now();
    const since = Date.now();
    const closed = b.evaluate(`new Promise((resolve) => demo.peer.once('close', (e) => resolve(e.reason)))`) as Promise<string>;
    const reopened = b.evaluate(`new Promise((resolve) => demo.peer.once('close', () => demo.peer.once('open', (e) => resolve(e.resumed))))`) as Promise<boolean>;
    await b.click('#btn-blackhole');
    expect(await within(closed, 30_000, 'the heartbeat to declare the link dead')).toMatch(/heartbeat/); // no close event ever came
    expect(await within(reopened, 40_000, 'the link to open again after the blackhole')).toBe(true);
    const fromA = await frames(b, idA);
    await until(b, 'more frames from A', (s) => (callWith(s, idA)?.frames ?? 0) > fromA);
    await b.evaluate('demo.sendChat("out of the hole")');
    await waitFor(a, hasChat(idB, 'out of the hole'));
    expect((await roomEvents(a)).filter((e) => e.type === 'peer-left' && e.at >= since)).toEqual([]);
    console.info(`blackhole: back after ${Math.round(performance.now() - t0)} ms`);
    await screenshot('3-after-faults');
  }, 150_000);

  it.runIf(CAN_BLOCK_UDP)('restarts ICE when the UDP path of the call dies, and the call comes back when it returns', async () => {
    const t0 = performance.now();
    const ufrag = (page: Page, id: string) =>
      page.evaluate(`(demo.calls.get(${JSON.stringify(id)}).pc.localDescription.sdp.match(/a=ice-ufrag:(\\S+)/) || [])[1]`) as Promise<string>;
    const before = { a: await ufrag(a, idB), b: await ufrag(b, idA) };
    nft('add', 'table', 'inet', 'resignal_test');
    nft('add', 'chain', 'inet', 'resignal_test', 'out', '{ type filter hook output priority 0; }');
    nft('add', 'rule', 'inet', 'resignal_test', 'out', 'meta', 'l4proto', 'udp', 'drop');
    let restartedMs = 0;
    try {
      await until(a, 'ICE to notice the dead path', (s) => callWith(s, idB)?.connection !== 'connected', 40_000);
      // negotiate() restarts ICE after 5 s of `disconnected`: new ICE credentials on both sides.
      await expect
        .poll(async () => (await ufrag(a, idB)) !== before.a && (await ufrag(b, idA)) !== before.b, { timeout: 40_000, interval: 250 })
        .toBe(true);
      restartedMs = performance.now() - t0;
    } finally {
      nft('delete', 'table', 'inet', 'resignal_test');
    }
    await until(a, 'the call to connect again', (s) => callWith(s, idB)?.connection === 'connected', 40_000);
    await until(b, 'the call to connect again', (s) => callWith(s, idA)?.connection === 'connected', 40_000);
    const now = await frames(b, idA);
    await until(b, 'more frames from A', (s) => (callWith(s, idA)?.frames ?? 0) > now);
    await a.evaluate('demo.sendChat("after the ICE restart")');
    await waitFor(b, hasChat(idA, 'after the ICE restart'));
    console.info(`ICE restart: restarted ${Math.round(restartedMs)} ms after UDP was blocked, connected again ${Math.round(performance.now() - t0)} ms after`);
    await screenshot('4-after-ice-restart');
  }, 180_000);

  it('a link held down longer than sessionTtl: the other side ends the call, and both start a fresh one when it is back', async () => {
    const t0 = performance.now();
    // Its own demo server with a 2 s sessionTtl, and two pages of its own in a new room.
    const ttl = 2000;
    const short = await startDemo({ port: 0, host: '127.0.0.1', sessionTtl: ttl });
    const mine: BrowserContext[] = [];
    try {
      const url = `http://127.0.0.1:${short.port}/?room=expiry-test-${Date.now().toString(36)}#key=${ROOM_KEY}`;
      const pages: Page[] = [];
      for (let i = 0; i < 2; i++) {
        const context = await browser.newContext({ viewport: { width: 800, height: 700 } });
        mine.push(context);
        const page = await context.newPage();
        page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
        await page.goto(url);
        await page.evaluate('demo.ready');
        pages.push(page);
      }
      const [x, y] = pages as [Page, Page];
      const [idX, idY] = [(await info(x)).id, (await info(y)).id];
      await until(x, 'the chat channel to Y', (s) => callWith(s, idY)?.chat === 'open');
      await until(y, 'the chat channel to X', (s) => callWith(s, idX)?.chat === 'open');

      const since = Date.now();
      const reopened = x.evaluate(`new Promise((resolve) => demo.peer.once('close', () => demo.peer.once('open', (e) => resolve(e.resumed))))`) as Promise<boolean>;
      // X's link is reset and its reconnects refused for well over the TTL: the server ends its session.
      expect(await x.evaluate(`fetch('/api/drop?client=' + demo.clientId + '&hold=${3 * ttl}', { method: 'POST' }).then((r) => r.json())`)).toEqual({ dropped: 1 });
      await waitFor(y, `demo.events.some((e) => e.type === 'peer-left' && e.peerId === ${JSON.stringify(idX)} && e.reason === 'session-end')`, 20_000);
      await until(y, 'Y to end its call with X', (s) => !callWith(s, idX));
      expect(await within(reopened, 40_000, "X's link to open again")).toBe(false); // a new session
      expect((await info(x)).id).toBe(idX);
      await waitFor(y, `demo.events.some((e) => e.type === 'peer-joined' && e.peerId === ${JSON.stringify(idX)} && e.at > ${since})`);
      // X replaced its stale call when the first signal of Y's new call came.
      await waitFor(x, `demo.events.some((e) => e.type === 'call-restarted' && e.peerId === ${JSON.stringify(idY)})`);

      // Both on a fresh call: connected, chat both ways, video decoded and still coming.
      await until(x, 'the new call to connect', (s) => callWith(s, idY)?.connection === 'connected' && callWith(s, idY)?.chat === 'open');
      await until(y, 'the new call to connect', (s) => callWith(s, idX)?.connection === 'connected' && callWith(s, idX)?.chat === 'open');
      await x.evaluate('demo.sendChat("X is back")');
      await y.evaluate('demo.sendChat("welcome back")');
      await waitFor(y, hasChat(idX, 'X is back'));
      await waitFor(x, hasChat(idY, 'welcome back'));
      const seen = { x: (await until(x, 'video from Y', (s) => (callWith(s, idY)?.frames ?? 0) > 0)).calls, y: (await until(y, 'video from X', (s) => (callWith(s, idX)?.frames ?? 0) > 0)).calls };
      const [fx, fy] = [seen.x.find((c) => c.id === idY)!.frames, seen.y.find((c) => c.id === idX)!.frames];
      await until(x, 'more video from Y', (s) => (callWith(s, idY)?.frames ?? 0) > fx);
      await until(y, 'more video from X', (s) => (callWith(s, idX)?.frames ?? 0) > fy);
      console.info(`session expiry: a fresh call on both sides ${Math.round(Date.now() - since)} ms after the drop; whole test ${Math.round(performance.now() - t0)} ms`);
    } finally {
      for (const context of mine) await context.close().catch(() => {});
      await short.close();
    }
  }, 180_000);

  it('wrote screenshots of both pages under test/browser/artifacts/', () => {
    expect(shots.filter((p) => p.includes('a-desktop'))).not.toHaveLength(0);
    expect(shots.filter((p) => p.includes('b-phone'))).not.toHaveLength(0);
    console.info(`screenshots:\n  ${shots.join('\n  ')}`);
  });
});
