// rollup.config.mjs's browser swap, for esbuild (the size report and the bench's bundle
// breakdown): browser builds take src/transport/X.browser.ts for ws-node.ts and default-websocket.ts.
import path from 'node:path';
import type { Plugin } from 'esbuild';

export const browserSwap: Plugin = {
  name: 'browser-swap',
  setup(build) {
    build.onResolve({ filter: /\/(ws-node|default-websocket)\.js$/ }, (args) => ({ path: path.join(args.resolveDir, args.path.replace(/\.js$/, '.browser.ts')) }));
  },
};
