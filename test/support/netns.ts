// Loopback-only network namespaces for browser tests.
//
// Outside one, Chromium also gathers ICE candidates on the machine's real network
// card and the WebRTC pair may end up there (see BROWSER-TESTING.md). Inside one,
// the only interface is `lo`, so every byte provably stays on 127.0.0.1.
//
// How a test run gets into one (root on Linux), e.g.:
//   unshare --net sh -c 'ip link set lo up && exec npx vitest run test/browser'
// `loopbackNamespaceArgv()` builds exactly that argv. Where `canUnshare()` is
// false (a developer's laptop), run the tests normally.
import { spawnSync } from 'node:child_process';
import os from 'node:os';

/** True when a new network namespace can be made and its `lo` brought up. */
export function canUnshare(): boolean {
  if (process.platform !== 'linux') return false;
  // `ip link set lo up` runs inside the new namespace: it proves both that
  // `unshare --net` is permitted and that `ip` is there to bring loopback up.
  const result = spawnSync('unshare', ['--net', 'ip', 'link', 'set', 'lo', 'up'], { stdio: 'ignore' });
  return result.status === 0;
}

/** True when this process sees loopback interfaces only (e.g. inside `unshare --net`). */
export function inLoopbackNamespace(): boolean {
  const addresses = Object.values(os.networkInterfaces()).flatMap((list) => list ?? []);
  return addresses.length > 0 && addresses.every((a) => a.internal);
}

/** `argv` wrapped to run in a fresh namespace whose only interface is a live `lo`. */
export function loopbackNamespaceArgv(argv: readonly string[]): string[] {
  return ['unshare', '--net', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', ...argv];
}
