// Which resignal the benchmarks run: the built package (dist/, what users install) when it
// exists, else the TypeScript sources through tsx. tsx compiles with esbuild's keepNames,
// which wraps some per-call closures in a __name() call that the built package does not
// have, so dist/ is the fair comparison. RESIGNAL_SOURCE=src|dist forces one; the parent
// process sets it so that server children load the same build as the client.
// RESIGNAL_DIST=/some/dist points at another build (e.g. a candidate fix) to compare.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type ClientModule = typeof import('../../src/index.js');
type ServerModule = typeof import('../../src/server/index.js');

/** Read when called, not at import: the bench sets RESIGNAL_DIST after importing this. */
const dist = () => process.env.RESIGNAL_DIST ?? fileURLToPath(new URL('../../dist', import.meta.url));
const distClient = () => `${dist()}/index.mjs`;
const distServer = () => `${dist()}/server.mjs`;

export type ResignalSource = 'dist' | 'src';

export function resignalSource(): ResignalSource {
  const forced = process.env.RESIGNAL_SOURCE;
  if (forced === 'src' || forced === 'dist') return forced;
  return existsSync(distClient()) && existsSync(distServer()) ? 'dist' : 'src';
}

export async function loadClient(): Promise<ClientModule> {
  // A computed specifier keeps tsc from requiring dist/ to exist at type-check time.
  return resignalSource() === 'dist' ? ((await import(distClient())) as ClientModule) : import('../../src/index.js');
}

export async function loadServer(): Promise<ServerModule> {
  return resignalSource() === 'dist' ? ((await import(distServer())) as ServerModule) : import('../../src/server/index.js');
}
