// nftables for the weak-network tests: random packet loss inside a network namespace
// (`tc netem` does not exist on the CI kernel, see BROWSER-TESTING.md). CI starts from a
// fresh machine, so when `nft` is missing and we are root, it is installed with apt, the
// same way test/support/chromium.ts installs Chromium. Never skips silently.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

// The lock timeout lets this wait for another apt run (e.g. the Chromium install of the browser tests).
export const NFT_INSTALL_COMMAND =
  'apt-get -o DPkg::Lock::Timeout=120 update && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y nftables';

/** Path of the `nft` binary, or undefined. */
export function findNft(): string | undefined {
  for (const path of ['/usr/sbin/nft', '/sbin/nft', '/usr/bin/nft']) if (existsSync(path)) return path;
  const found = spawnSync('sh', ['-c', 'command -v nft'], { encoding: 'utf8' });
  return found.status === 0 && found.stdout.trim() ? found.stdout.trim() : undefined;
}

/**
 * Path of `nft`. Installs nftables with apt when missing and we are root; otherwise throws
 * with the command to run.
 */
export function ensureNft(): string {
  const present = findNft();
  if (present) return present;
  if (process.getuid?.() !== 0) {
    throw new Error(`nft (nftables) is not installed; the weak-network test needs it. On Debian/Ubuntu install it with: sudo sh -c '${NFT_INSTALL_COMMAND}'`);
  }
  console.warn(`nft missing; installing: ${NFT_INSTALL_COMMAND}`);
  let failure: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      execSync(NFT_INSTALL_COMMAND, { stdio: 'inherit', shell: '/bin/sh' });
      failure = undefined;
      break;
    } catch (error) {
      failure = error; // e.g. another apt run held the lock past the timeout: try again
      execSync('sleep 5');
    }
  }
  const installed = findNft();
  if (!installed) throw new Error(`'${NFT_INSTALL_COMMAND}' ran but nft is still missing${failure ? `: ${String(failure)}` : ''}`);
  return installed;
}

/**
 * Shell commands that make TCP output in the current network namespace drop `percent`% of
 * packets at random. On loopback every packet passes output once, so this hits both directions.
 */
export function randomLossCommands(nft: string, percent: number): string {
  const chain = `'{ type filter hook output priority 0; policy accept; }'`;
  return [
    `${nft} add table inet chaos`,
    `${nft} add chain inet chaos out ${chain}`,
    `${nft} add rule inet chaos out meta l4proto tcp numgen random mod 100 '<' ${percent} counter drop`,
  ].join(' && ');
}

/** Packets dropped so far by the rule of randomLossCommands (run inside the same namespace). */
export function droppedPackets(nft: string): number {
  const listed = spawnSync(nft, ['-j', 'list', 'table', 'inet', 'chaos'], { encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`nft list failed: ${listed.stderr}`);
  const rules = (JSON.parse(listed.stdout) as { nftables: Array<{ rule?: { expr: Array<{ counter?: { packets: number } }> } }> }).nftables;
  for (const item of rules) {
    for (const expr of item.rule?.expr ?? []) if (expr.counter) return expr.counter.packets;
  }
  throw new Error('no counter found in table inet chaos');
}
