// The packed package in real Chromium (Debian's, driven by playwright-core): the UMD bundle
// from a plain <script> tag, the browser ESM build from <script type="module">, and the
// Peer's resilience in a page: a crashed and a restarted server, and the network going
// offline and online. The pages come from 127.0.0.1 and talk only to 127.0.0.1.
//
// ESM in the browser: dist/index.browser.mjs (the `browser` export condition) keeps bare
// imports of eventemitter3, nanoid and zod/mini, as every npm ESM build does. The page maps
// them with an import map to browser-ready ESM files from the installed node_modules, the
// way a CDN or a no-bundler app would: eventemitter3's own dist/eventemitter3.esm.js
// (its index.mjs wraps CommonJS), nanoid's index.browser.js, and zod's mini/index.js.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.js';
import { PackedServerProcess, startStaticServer } from './support/browser-fixtures.js';
import { installedPackage, packed } from './support/packed.js';

/** Logs every Peer event (and window online/offline) with a timestamp, and exposes helpers. */
const pageScript = (peerClass: string) => `
  const log = [];
  window.resignalLog = log;
  const record = (event, payload) => log.push({ event, t: performance.now(), ...payload });
  window.startPeer = (options) => {
    const peer = new ${peerClass}(options);
    window.peer = peer;
    for (const name of ['state', 'open', 'close', 'reconnecting', 'exhausted']) peer.on(name, (e) => record(name, e));
    peer.on('error', (e) => record('error', { code: e.code, message: e.message }));
    // Registered before connect(), so each of these is logged before the Peer reacts to it.
    for (const name of ['online', 'offline']) window.addEventListener(name, () => record(name, {}));
    return peer.connect().then(() => peer.id);
  };
  window.call = (method, data) =>
    window.peer.request(method, data).then((value) => ({ ok: true, value }), (e) => ({ ok: false, code: e.code, message: e.message }));
  window.pageReady = true;
`;

const UMD_PAGE = `<!doctype html>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>resignal UMD</title>
<script src="resignal.umd.min.js"></script>
<script>${pageScript('Resignal.Peer')}</script>
`;

const ESM_PAGE = `<!doctype html>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>resignal ESM</title>
<script type="importmap">
{
  "imports": {
    "resignal": "/node_modules/resignal/dist/index.browser.mjs",
    "eventemitter3": "/node_modules/eventemitter3/dist/eventemitter3.esm.js",
    "nanoid": "/node_modules/nanoid/index.browser.js",
    "zod/mini": "/node_modules/zod/mini/index.js"
  }
}
</script>
<script type="module">
import { Peer } from 'resignal';
${pageScript('Peer')}
</script>
`;

interface LogEntry {
  event: string;
  t: number;
  [key: string]: unknown;
}
type CallResult = { ok: true; value: unknown } | { ok: false; code: string; message: string };

// Browser code runs as strings/functions in the page; `window` there has these helpers.
type PageWindow = Window & {
  resignalLog: LogEntry[];
  startPeer(options: object): Promise<string>;
  call(method: string, data?: unknown): Promise<CallResult>;
  peer: { state: string };
  pending?: Promise<CallResult>;
  Resignal?: Record<string, unknown>;
};

let browser: Browser;
let site: Awaited<ReturnType<typeof startStaticServer>>;
let server: PackedServerProcess;
let context: BrowserContext | undefined;
const pageErrors: string[] = [];

beforeAll(async () => {
  const { app } = packed();
  site = await startStaticServer(app, { '/umd.html': UMD_PAGE, '/esm.html': ESM_PAGE }, { '/resignal.umd.min.js': `${installedPackage()}/dist/resignal.umd.min.js` });
  server = new PackedServerProcess(app);
  await server.start(0);
  browser = await launchChromium();
});

afterEach(async () => {
  await context?.close();
  context = undefined;
  pageErrors.length = 0;
  if (!server.running) await server.start(); // every test starts with the server up
});

afterAll(async () => {
  await browser?.close();
  await server?.kill();
  await site?.close();
});

async function openPage(name: 'umd' | 'esm'): Promise<Page> {
  context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(`console.error: ${message.text()}`);
  });
  await page.goto(`${site.origin}/${name}.html`);
  await page.waitForFunction(() => (window as unknown as { pageReady?: boolean }).pageReady === true, undefined, { timeout: 10_000 });
  return page;
}

const pageLog = (page: Page) => page.evaluate(() => (window as unknown as PageWindow).resignalLog);
const startPeer = (page: Page, options: object) => page.evaluate((o) => (window as unknown as PageWindow).startPeer(o), options);
const call = (page: Page, method: string, data?: unknown) => page.evaluate(([m, d]) => (window as unknown as PageWindow).call(m as string, d), [method, data] as const);

/** Wait until the page's log has `count` entries matching `event` (and `match`, if given). */
async function waitForLog(page: Page, event: string, count = 1, timeout = 60_000): Promise<LogEntry[]> {
  await page.waitForFunction(([e, n]) => (window as unknown as PageWindow).resignalLog.filter((x) => x.event === e).length >= (n as number), [event, count] as const, { timeout, polling: 20 });
  return pageLog(page);
}

/** The log entries after `from` (an entry of an earlier copy of the log). */
const eventsAfter = (log: LogEntry[], from: LogEntry) => {
  const index = log.findIndex((e) => e.event === from.event && e.t === from.t);
  if (index < 0) throw new Error(`log entry ${JSON.stringify(from)} not found`);
  return log.slice(index + 1);
};

describe('browser: packed package in Chromium', () => {
  it('UMD: a page with only <script src="resignal.umd.min.js"> connects and completes a request', async () => {
    const page = await openPage('umd');
    expect(await page.evaluate(() => typeof (window as unknown as PageWindow).Resignal?.Peer)).toBe('function');
    const peerId = await startPeer(page, { urls: server.url });
    expect(peerId).toMatch(/^\S+$/);
    expect(await call(page, 'echo', { sdp: 'v=0', n: 1 })).toEqual({ ok: true, value: { sdp: 'v=0', n: 1 } });
    expect(await call(page, 'missing')).toMatchObject({ ok: false, code: 'REMOTE' });
    const log = await pageLog(page);
    expect(log.filter((e) => e.event === 'open')).toEqual([expect.objectContaining({ url: server.url, resumed: false, peerId })]);
    expect(pageErrors).toEqual([]);
  });

  it('ESM: dist/index.browser.mjs loaded with <script type="module"> connects and completes a request', async () => {
    const page = await openPage('esm');
    const peerId = await startPeer(page, { urls: server.url });
    expect(peerId).toMatch(/^\S+$/);
    expect(await call(page, 'echo', ['esm', 2])).toEqual({ ok: true, value: ['esm', 2] });
    expect(pageErrors).toEqual([]);
  });

  it('a crashed server, then a cleanly stopped one: the Peer reconnects by itself and a request made during each outage resolves', async () => {
    const page = await openPage('umd');
    // The request made during an outage must wait out a server restart, which on a busy
    // machine can take longer than the default requestTimeout.
    await startPeer(page, { urls: server.url, requestTimeout: 90_000 });
    expect(await call(page, 'echo', 'before')).toEqual({ ok: true, value: 'before' });

    for (const [outage, stop, closeCode] of [
      ['crash', () => server.kill(), 1006],
      ['clean shutdown', () => server.shutdown(), 1001],
    ] as const) {
      const closesBefore = (await pageLog(page)).filter((e) => e.event === 'close').length;
      const opensBefore = (await pageLog(page)).filter((e) => e.event === 'open').length;
      await stop();
      const log = await waitForLog(page, 'close', closesBefore + 1);
      const close = log.filter((e) => e.event === 'close').at(-1)!;
      expect(close, outage).toMatchObject({ code: closeCode, willReconnect: true });

      // Issued while the server is down: it waits in the Peer's buffer.
      await page.evaluate((data) => {
        const w = window as unknown as PageWindow;
        w.pending = w.call('echo', data);
      }, `during ${outage}`);
      expect(await page.evaluate(() => (window as unknown as PageWindow).peer.state)).toBe('reconnecting');

      await server.start(); // same port as before
      const result = await page.evaluate(() => (window as unknown as PageWindow).pending!);
      expect(result, outage).toEqual({ ok: true, value: `during ${outage}` });

      const after = eventsAfter(await pageLog(page), close);
      const opens = after.filter((e) => e.event === 'open');
      expect(opens, outage).toHaveLength(1);
      expect(opens[0], outage).toMatchObject({ url: server.url, resumed: false }); // a new process has no sessions
      expect(after.find((e) => e.event === 'reconnecting'), outage).toMatchObject({ reason: 'closed' });
      expect((await pageLog(page)).filter((e) => e.event === 'open')).toHaveLength(opensBefore + 1);
    }
    expect(await call(page, 'echo', 'after')).toEqual({ ok: true, value: 'after' });
  });

  it('offline then online (CDP network emulation): `online` reconnects at once instead of waiting out the backoff', async () => {
    const page = await openPage('umd');
    // A 60 s reconnect wait: only the `online` event can explain a reconnect within this test.
    await startPeer(page, { urls: server.url, backoff: { reconnect: [60_000], jitter: 0.2 } });

    await context!.setOffline(true); // Network.emulateNetworkConditions { offline: true }
    await waitForLog(page, 'offline');
    // Emulated offline does not end an open WebSocket, so drop the link the way a network
    // change would: the server goes away while the page is offline.
    await server.kill();
    let log = await waitForLog(page, 'reconnecting');
    const reconnecting = log.find((e) => e.event === 'reconnecting')!;
    // The `offline` event also sends a liveness probe: on a busy machine its deadline can pass
    // before the page sees the killed server's close. Either way the link is lost and the next
    // attempt waits the 60 s schedule, which only `online` can cut short.
    expect(['closed', 'dead']).toContain(reconnecting.reason);
    expect(reconnecting.delay).toBeGreaterThanOrEqual(48_000);
    await server.start();

    await context!.setOffline(false);
    log = await waitForLog(page, 'open', 2, 15_000);
    const online = log.find((e) => e.event === 'online')!;
    const after = eventsAfter(log, online).filter((e) => e.event !== 'state');
    // Straight from `online` to `open`: no further scheduled attempt, and long before the wait ran out.
    expect(after.map((e) => e.event)).toEqual(['open']);
    expect(log.filter((e) => e.event === 'reconnecting')).toHaveLength(1);
    const reconnectMs = after[0]!.t - online.t;
    expect(reconnectMs).toBeLessThan(reconnecting.delay as number);
    console.log(`online -> open in ${reconnectMs.toFixed(0)} ms (the scheduled wait was ${reconnecting.delay} ms)`);
    expect(await call(page, 'echo', 'back online')).toEqual({ ok: true, value: 'back online' });
  });
});
