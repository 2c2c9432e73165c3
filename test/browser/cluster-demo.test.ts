// `npm run demo:cluster` in real Chromium: two signaling nodes share one redis-server, and
// each page lands on its own node. The "Restart server" button SIGKILLs the node of the page
// that presses it: that page resumes its session on the other node (same id, resumed), the
// other page never sees it leave, and the call and the chat go on.
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type DemoServer } from '../../demo/server.js';
import { launchChromium } from '../support/chromium.js';
import { startRedis, type TestRedis } from '../support/redis.js';

const ROOM_KEY = randomBytes(16).toString('base64url');
const wait = (page: Page, expression: string, ms = 60_000) => page.waitForFunction(expression, undefined, { timeout: ms, polling: 100 });
const nodeOf = (page: Page) => page.locator('#st-node').textContent();
const framesFrom = (page: Page, id: string) => page.evaluate(`demo.framesDecoded(${JSON.stringify(id)})`) as Promise<number>;

describe('the cluster demo in Chromium', () => {
  let redis: TestRedis;
  let demo: DemoServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let a: Page;
  let b: Page;

  beforeAll(async () => {
    redis = await startRedis();
    demo = await startDemo({ port: 0, host: '127.0.0.1', cluster: { redisUrl: redis.url, nodes: 2 } });
    browser = await launchChromium({ webrtc: true });
    const url = `http://127.0.0.1:${demo.port}/?room=cluster-test-${Date.now().toString(36)}#key=${ROOM_KEY}`;
    const pages: Page[] = [];
    for (let i = 0; i < 2; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
      await page.goto(url);
      await page.evaluate('demo.ready');
      // Record every open of the signaling link from here on.
      await page.evaluate(`window.opens = []; demo.peer.on('open', (e) => window.opens.push(e))`);
      pages.push(page);
    }
    [a, b] = pages as [Page, Page];
  }, 120_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await demo?.close();
    await redis?.stop();
  });

  it('puts the two pages on different nodes, and a killed node\'s page resumes on the other one while the call goes on', async () => {
    await expect.poll(() => nodeOf(a), { timeout: 30_000 }).toMatch(/^node [ab]$/);
    await expect.poll(() => nodeOf(b), { timeout: 30_000 }).toMatch(/^node [ab]$/);
    const [nodeA, nodeB] = [await nodeOf(a), await nodeOf(b)];
    expect(nodeA).not.toBe(nodeB);
    const idA = (await a.evaluate('demo.peer.id')) as string;
    const idB = (await b.evaluate('demo.peer.id')) as string;
    await wait(a, `demo.calls.get(${JSON.stringify(idB)})?.chat.readyState === 'open'`);
    await wait(b, `demo.calls.get(${JSON.stringify(idA)})?.chat.readyState === 'open'`);
    await wait(a, `demo.framesDecoded(${JSON.stringify(idB)}).then((n) => n > 0)`);
    const before = await framesFrom(a, idB);

    await a.click('#btn-restart'); // SIGKILLs A's node
    await wait(a, `window.opens.some((e) => e.resumed)`);
    const opens = (await a.evaluate('window.opens')) as Array<{ resumed: boolean; peerId: string }>;
    expect(opens.every((e) => e.resumed && e.peerId === idA)).toBe(true);
    await expect.poll(() => nodeOf(a), { timeout: 30_000 }).toBe(nodeB);
    // B stayed where it was and never saw A leave; nobody had to rejoin.
    expect(await nodeOf(b)).toBe(nodeB);
    const events = (await b.evaluate('demo.events')) as Array<{ type: string }>;
    expect(events.filter((e) => e.type === 'peer-left' || e.type === 'rejoined')).toEqual([]);
    expect(await b.evaluate('window.opens.length')).toBe(0);
    // The call and the chat go on.
    await a.evaluate('demo.sendChat("from the other node")');
    await wait(b, `demo.chatLog.some((m) => m.text === "from the other node")`);
    await expect.poll(() => framesFrom(a, idB), { timeout: 30_000 }).toBeGreaterThan(before);
    // A signal through the cluster after the failover: a renegotiation that adds a track.
    await a.evaluate(`(() => {
      const pc = demo.calls.get(${JSON.stringify(idB)}).pc;
      pc.addTrack(pc.getSenders().find((s) => s.track?.kind === 'video').track.clone());
    })()`);
    await expect
      .poll(
        () =>
          b.evaluate(`(async () => {
            let n = 0;
            (await demo.calls.get(${JSON.stringify(idA)}).pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > 0) n++; });
            return n;
          })()`),
        { timeout: 60_000, interval: 200 },
      )
      .toBe(2);
  }, 180_000);
});
