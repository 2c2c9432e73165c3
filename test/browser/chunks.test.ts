// A message larger than a frame in real Chromium: the script-tag bundle (what the demo page
// loads) chunks a 300 kB room signal, and rebuilds the relayed one, over the browser's own
// WebSocket. The code is the same as in Node; this proves the bundle and the browser socket.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type DemoServer } from '../../demo/server.js';
import { launchChromium } from '../support/chromium.js';

describe('large messages in Chromium', () => {
  let demo: DemoServer;
  let browser: Browser;

  beforeAll(async () => {
    demo = await startDemo({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('a 300 kB room signal between two Peers of the script-tag bundle arrives whole, in order', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      // The bundle alone, on the demo's origin, without the demo's own page and call.
      const bundle = `http://127.0.0.1:${demo.port}/dist/resignal.umd.min.js`;
      await page.goto(bundle);
      await page.addScriptTag({ url: bundle });
      const result = await page.evaluate(async () => {
        const { Peer, Room } = (window as unknown as { Resignal: typeof import('../../src/index.js') }).Resignal;
        const url = `${location.origin.replace(/^http/, 'ws')}/rtc`;
        const [a, b] = [new Peer({ urls: url }), new Peer({ urls: url })];
        await Promise.all([a.connect(), b.connect()]);
        const name = `big-${Math.random().toString(36).slice(2)}`;
        const roomB = await Room.join(b, name);
        const roomA = await Room.join(a, name);
        const received: unknown[] = [];
        const both = new Promise<void>((resolve) => roomB.on('signal', ({ data }) => received.push(data) === 2 && resolve()));
        const big = 'é€😀x'.repeat(30_000); // 300 kB of UTF-8: 2-, 3- and 4-byte characters
        await roomA.signal(b.id!, { sdp: big });
        await roomA.signal(b.id!, 'after');
        await both;
        a.close();
        b.close();
        return { whole: (received[0] as { sdp: string }).sdp === big, second: received[1], states: [a.state, b.state] };
      });
      expect(result).toEqual({ whole: true, second: 'after', states: ['closed', 'closed'] });
    } finally {
      await context.close();
    }
  });
});
