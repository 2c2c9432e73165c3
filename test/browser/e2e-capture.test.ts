// The demo's call in real Chromium with end-to-end encrypted signals (its default), while the
// signaling process records every frame it receives and sends (demo/capture.ts). What the
// server saw must hold no SDP, no ICE candidate and no app data in clear text. The same
// capture counts what one two-party call setup costs on the wire.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type DemoServer } from '../../demo/server.js';
import { launchChromium } from '../support/chromium.js';

interface Captured {
  dir: 'in' | 'out';
  bytes: number;
  text: string;
}

const SECRET = randomBytes(16).toString('base64url');
/** Text that only appears in clear SDP, candidates, or the app data sent below. */
const CLEAR_TEXT = [/v=0/, /a=candidate/, /candidate:/, /ice-ufrag/, /ice-pwd/, /fingerprint/, /typ host/, /"sdp"/, /"rtc"/, /127\.0\.0\.1/, /PLAINTEXT-MARKER/];

describe('an end-to-end encrypted call, seen from the server', () => {
  let demo: DemoServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'resignal-capture-'));
  const file = path.join(dir, 'frames.jsonl');
  const captured = (): Captured[] =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Captured);

  beforeAll(async () => {
    demo = await startDemo({ port: 0, host: '127.0.0.1', captureFile: file });
    browser = await launchChromium({ webrtc: true });
  }, 120_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await demo?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the call connects, and the server saw only ciphertext', async () => {
    const url = `http://127.0.0.1:${demo.port}/?room=e2e-${Date.now().toString(36)}#key=${SECRET}`;
    const pages: Page[] = [];
    for (let i = 0; i < 2; i++) {
      const context = await browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
      await page.goto(url);
      await page.evaluate('demo.ready');
      pages.push(page);
    }
    const [a, b] = pages as [Page, Page];
    const connected = `[...demo.calls.values()].some((c) => c.pc.connectionState === 'connected' && c.chat.readyState === 'open')`;
    await a.waitForFunction(connected, undefined, { timeout: 40_000, polling: 100 });
    await b.waitForFunction(connected, undefined, { timeout: 40_000, polling: 100 });
    // Let late trickled candidates and acks land before counting.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const setup = captured();

    const idB = (await b.evaluate('demo.peer.id')) as string;
    await a.evaluate(`demo.room.signal(${JSON.stringify(idB)}, { note: 'PLAINTEXT-MARKER from A' })`);
    await b.waitForFunction(`demo.events.some((e) => e.type === 'signal' && e.data && e.data.note === 'PLAINTEXT-MARKER from A')`, undefined, { timeout: 20_000 });
    expect((await a.evaluate(`demo.events.filter((e) => e.type === 'undecryptable').length`)) as number).toBe(0);
    expect((await b.evaluate(`demo.events.filter((e) => e.type === 'undecryptable').length`)) as number).toBe(0);

    const frames = captured();
    const signals = frames.filter((f) => f.dir === 'in' && f.text.includes('"method":"signal"'));
    expect(signals.length).toBeGreaterThanOrEqual(3); // an offer, an answer, candidates, the app signal
    for (const f of signals) expect(f.text).toMatch(/"data":\{"e2e":1,"iv":"[A-Za-z0-9_-]{16}","ct":"[A-Za-z0-9_-]+"\}/);
    const leaks = frames.filter((f) => CLEAR_TEXT.some((re) => re.test(f.text)));
    expect(leaks.map((f) => f.text.slice(0, 200))).toEqual([]);
    expect(frames.some((f) => f.text.includes(SECRET))).toBe(false);

    const sum = (dir: Captured['dir']) => setup.filter((f) => f.dir === dir);
    const [up, down] = [sum('in'), sum('out')];
    const kb = (fs: Captured[]) => (fs.reduce((n, f) => n + f.bytes, 0) / 1000).toFixed(1);
    console.info(
      `call cost (encrypted, uncompressed payload bytes, from the server's side): ${up.length} frames up (${kb(up)} kB) + ${down.length} down (${kb(down)} kB) = ${setup.length} frames; signal requests: ${signals.length - 1}`,
    );
  }, 90_000);
});
