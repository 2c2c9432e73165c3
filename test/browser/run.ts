// `npm run test:browser`: the browser tests (vitest project `browser`), inside a fresh network
// namespace whose only interface is loopback when this machine allows it (root on Linux), so
// Chromium's ICE can only pair 127.0.0.1 and nothing leaves the machine (BROWSER-TESTING.md).
// Elsewhere (a developer's laptop) they run in the normal namespace, with a note saying so.
// Extra arguments go to vitest, e.g. `npm run test:browser -- -t restart`.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ensureChromium } from '../support/chromium.js';
import { canUnshare, inLoopbackNamespace, loopbackNamespaceArgv } from '../support/netns.js';
import { ensureRedisServer } from '../support/redis.js';

// Out here, where apt can still reach its mirrors if Chromium (or the cluster demo's
// redis-server) has to be installed.
ensureChromium();
ensureRedisServer();

const vitest = path.join(path.dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const argv = [process.execPath, vitest, 'run', '--project', 'browser', ...process.argv.slice(2)];

let command = argv;
if (inLoopbackNamespace()) {
  console.info('browser tests: already in a loopback-only network namespace');
} else if (canUnshare()) {
  console.info('browser tests: running in a loopback-only network namespace (unshare --net)');
  command = loopbackNamespaceArgv(argv);
} else {
  console.warn(
    'browser tests: NOTE `unshare --net` is not available here (it needs root on Linux), so they run in the ' +
      'normal network namespace: Chromium may also use the network card for ICE. Results are still valid.',
  );
}
const result = spawnSync(command[0]!, command.slice(1), { stdio: 'inherit' });
if (result.error) throw result.error;
process.exit(result.status ?? 1);
