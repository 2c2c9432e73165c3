// Where the client's bytes go. Prints the four size measures that test/package/bundle.test.ts
// holds against their budgets (from the current dist/, so run `npm run build` first), then the
// minified bytes per source module of the browser build, for `import { Peer }` and for everything.
//   npx tsx scripts/size-report.ts
// The per-module figures are esbuild's estimate (minified, before gzip) of a browser bundle of
// src/ with the same browser swaps as rollup.config.mjs; they add up to about the bundler's size.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Plugin } from 'esbuild';
import { browserSwap } from './esbuild-browser-swap.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const gzip9 = (text: string | Uint8Array) => gzipSync(text, { level: 9 }).length;

/** esbuild --bundle --minify --platform=browser of `source`, resolved from the repo root (dist/ as a bundler sees it). */
async function bundle(source: string, metafile = false, plugins: Plugin[] = []) {
  return build({
    stdin: { contents: source, resolveDir: ROOT, loader: 'ts', sourcefile: 'entry.ts' },
    bundle: true,
    minify: true,
    platform: 'browser',
    write: false,
    metafile,
    outfile: 'out.js',
    logLevel: 'silent',
    plugins,
  });
}

async function measures(): Promise<void> {
  const dist = (file: string) => path.join(ROOT, 'dist', file);
  if (!existsSync(dist('index.browser.mjs'))) {
    console.log('dist/ is missing: run `npm run build` for the four size measures\n');
    return;
  }
  const rows: Array<[string, number, number]> = [
    ['script tag: dist/resignal.umd.min.js', gzip9(readFileSync(dist('resignal.umd.min.js'))), 9_500],
    ['script tag: dist/resignal.webrtc.umd.min.js', gzip9(readFileSync(dist('resignal.webrtc.umd.min.js'))), 1_500],
  ];
  for (const [what, source, budget] of [
    ["esbuild: import { Peer } from 'resignal'", `import { Peer } from './dist/index.browser.mjs'; globalThis.out = Peer;`, 7_500],
    ["esbuild: import { Peer, Room } from 'resignal'", `import { Peer, Room } from './dist/index.browser.mjs'; globalThis.out = [Peer, Room];`, 9_000],
  ] as const) {
    rows.push([what, gzip9((await bundle(source)).outputFiles[0]!.contents), budget]);
  }
  console.log('size measures (gzip -9 bytes, dependencies included):');
  for (const [what, bytes, budget] of rows) console.log(`  ${what.padEnd(48)} ${String(bytes).padStart(6)}  budget ${budget}  ${bytes <= budget ? 'ok' : `+${bytes - budget}`}`);
  console.log('');
}

/** Minified bytes per input module for `source` (browser build of src/). */
async function modules(title: string, source: string): Promise<void> {
  const result = await bundle(source, true, [browserSwap]);
  const output = Object.values(result.metafile!.outputs)[0]!;
  const rows = Object.entries(output.inputs)
    .map(([input, { bytesInOutput }]) => [input.replace(/^.*node_modules\//, 'node_modules/'), bytesInOutput] as const)
    .filter(([, bytes]) => bytes > 0)
    .sort((a, b) => b[1] - a[1]);
  const total = output.bytes;
  console.log(`${title}: ${total} B minified, ${gzip9(result.outputFiles[0]!.contents)} B gzip -9`);
  for (const [input, bytes] of rows) console.log(`  ${input.padEnd(44)} ${String(bytes).padStart(6)}  ${((100 * bytes) / total).toFixed(1).padStart(5)}%`);
  console.log('');
}

await measures();
await modules("src/ for `import { Peer } from 'resignal'`", `import { Peer } from './src/index.ts'; globalThis.out = Peer;`);
await modules('src/ for everything the script tag exports', `export * from './src/index.ts';`);
await modules('src/webrtc for the add-on', `export * from './src/webrtc/index.ts';`);
