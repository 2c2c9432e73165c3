// Launches Debian's Chromium through playwright-core for browser tests.
// `npx playwright install` cannot work here (no network), so we use the apt
// package and only the driver from npm. Facts behind each flag: BROWSER-TESTING.md.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export { canUnshare, inLoopbackNamespace } from './netns.js';

/** Debian's Chromium, or another Chromium/Chrome named by CHROMIUM_PATH (e.g. on a laptop). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const INSTALL_COMMAND = 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium';

/** Flags every launch gets. Some repeat what Playwright passes; that is harmless. */
export const BASE_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Otherwise Chromium resolves Google hosts through the real DNS server at every
  // start. Tests must send nothing beyond loopback. `EXCLUDE 127.0.0.1` is needed
  // too, or even http://127.0.0.1 fails to load.
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1',
];

/** Flags that let two pages connect over loopback with no STUN/TURN server. */
export const WEBRTC_FLAGS: readonly string[] = [
  '--allow-loopback-in-peer-connection',
  // Grants the camera/mic permission. Without it Chromium gathers no host
  // candidates at all on a loopback-only network, even for data channels.
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream', // synthetic camera and microphone
];

/** Features we disable for WebRTC: real IPs in candidates, not `<uuid>.local` mDNS names. */
export const WEBRTC_DISABLED_FEATURES: readonly string[] = ['WebRtcHideLocalIpsWithMdns'];

// Chromium honours only the LAST --disable-features switch, and Playwright passes
// its own (chromiumSwitches.ts in playwright-core). Adding a second one would
// silently re-enable what Playwright turned off, so we drop Playwright's switch
// with `ignoreDefaultArgs` (an exact string match) and pass one merged list.
// Copied from playwright-core 1.65.1. If Playwright changes it, the exact match
// fails, both switches reach Chromium, and the chrome://version check in
// test/browser/chromium.test.ts fails: update this list then.
export const PLAYWRIGHT_DISABLED_FEATURES: readonly string[] = [
  'AvoidUnnecessaryBeforeUnloadCheckSync',
  'DestroyProfileOnBrowserClose',
  'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable',
  'LensOverlay',
  'MediaRouter',
  'PaintHolding',
  'ThirdPartyStoragePartitioning',
  'AvoidCorsURLLoaderRestartOnRedirect',
  'TcpPortRandomizationWin',
  'OptimizationHints',
  'NetworkTimeServiceQuerying',
  'AimEnabled',
  'PreconnectToSearch',
  'msForceBrowserSignIn',
  'msEdgeUpdateLaunchServicesPreferredVersion',
];
const disableFeatures = (names: readonly string[]) => `--disable-features=${names.join(',')}`;

/**
 * Path of the Chromium executable. Installs it with apt when missing and we are
 * root; otherwise throws with the command to run. Never skips silently.
 */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  if (process.env.CHROMIUM_PATH) throw new Error(`CHROMIUM_PATH is ${CHROMIUM_PATH}, but there is no file there; point it at a Chromium or Chrome executable`);
  if (process.getuid?.() !== 0) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}; browser tests need it. ` +
        `On Debian/Ubuntu install it with: sudo sh -c '${INSTALL_COMMAND}'`,
    );
  }
  console.warn(`Chromium missing at ${CHROMIUM_PATH}; installing: ${INSTALL_COMMAND}`);
  execSync(INSTALL_COMMAND, { stdio: 'inherit', shell: '/bin/sh' });
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`'${INSTALL_COMMAND}' ran but ${CHROMIUM_PATH} is still missing`);
  return CHROMIUM_PATH;
}

export interface LaunchChromiumOptions {
  /** Add the loopback WebRTC flags and keep real IPs in ICE candidates. @default false */
  webrtc?: boolean;
}

/** The exact flags `launchChromium` adds to Playwright's own, for reports and tests. */
export function chromiumFlags(opts: LaunchChromiumOptions = {}): string[] {
  if (!opts.webrtc) return [...BASE_FLAGS];
  return [...BASE_FLAGS, ...WEBRTC_FLAGS, disableFeatures([...PLAYWRIGHT_DISABLED_FEATURES, ...WEBRTC_DISABLED_FEATURES])];
}

export function launchChromium(opts: LaunchChromiumOptions = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: ensureChromium(),
    headless: true,
    args: chromiumFlags(opts),
    ignoreDefaultArgs: opts.webrtc ? [disableFeatures(PLAYWRIGHT_DISABLED_FEATURES)] : [],
    timeout: 60_000, // a cold start on a loaded CI machine can take several seconds
  });
}

/** The command line Chromium actually runs with, as chrome://version shows it. */
export async function browserCommandLine(browser: Browser): Promise<string> {
  const page = await browser.newPage();
  try {
    await page.goto('chrome://version');
    return (await page.locator('#command_line').textContent()) ?? '';
  } finally {
    await page.close();
  }
}
