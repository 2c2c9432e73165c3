// Browser bundle size, minified and gzipped (level 9), of what a page would load.
//  resignal:         dist/resignal.umd.min.js (the project's own UMD build, every dependency inlined)
//  socket.io-client: dist/socket.io.min.js as published (UMD, dependencies inlined)
//  protoo-client:    ships no browser bundle, so we bundle it here with esbuild (browser
//                    platform, minified IIFE): `websocket` resolves to its browser stub
//                    (the native WebSocket), `debug` and `events` are inlined.
//  centrifuge:       dist/centrifuge.js as published (its script-tag build, JSON protocol)
//  partysocket:      ships no browser bundle: bundled here with esbuild like protoo-client
//                    (its reconnecting WebSocket, `export * from 'partysocket'`)
//  raw ws:           0 bytes: a browser has WebSocket built in (plus your own few lines).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { log } from '../lib/util.js';
import { browserSwap } from '../../scripts/esbuild-browser-swap.js';

export interface BundleRow {
  library: string;
  file: string;
  minifiedBytes: number;
  gzipBytes: number;
  note?: string;
  /** What the bundle is made of: minified bytes per package (esbuild estimate), largest first. */
  composition?: Array<{ part: string; bytes: number }>;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The libraries compared are the bench's own dependencies (bench/package.json). */
const BENCH = fileURLToPath(new URL('../', import.meta.url));
const pkgFile = (name: string, path: string) => `${BENCH}node_modules/${name}/${path}`;
const versionOf = (name: string) => (JSON.parse(readFileSync(pkgFile(name, 'package.json'), 'utf8')) as { version: string }).version;

const gz = (code: Uint8Array | string) => gzipSync(code, { level: 9 }).length;
const size = (code: Uint8Array | string) => (typeof code === 'string' ? Buffer.byteLength(code) : code.length);

async function esbuildBundle(entry: string, globalName: string, resolveDir = ROOT): Promise<Uint8Array> {
  const result = await build({
    stdin: { contents: entry, resolveDir, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'iife',
    globalName,
    platform: 'browser',
    target: 'es2020',
    write: false,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return result.outputFiles[0]!.contents;
}

async function resignalRow(): Promise<BundleRow> {
  const file = 'dist/resignal.umd.min.js';
  const path = process.env.RESIGNAL_DIST ? `${process.env.RESIGNAL_DIST}/resignal.umd.min.js` : `${ROOT}${file}`;
  if (!existsSync(path)) {
    log('bundle: dist/resignal.umd.min.js missing, running npm run build');
    try {
      execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
    } catch {
      // reported below
    }
  }
  if (existsSync(path)) {
    const code = readFileSync(path);
    return { library: 'resignal', file, minifiedBytes: size(code), gzipBytes: gz(code) };
  }
  const code = await esbuildBundle(`export * from './src/index.ts';`, 'Resignal');
  return { library: 'resignal', file: 'src/index.ts (esbuild)', minifiedBytes: size(code), gzipBytes: gz(code), note: '`npm run build` did not produce dist/resignal.umd.min.js; bundled src/index.ts with esbuild instead' };
}

/** Minified bytes per source package of a browser bundle of src/index.ts (esbuild metafile); scripts/size-report.ts has them per module. */
async function composition(): Promise<Array<{ part: string; bytes: number }>> {
  const result = await build({
    // The browser files of rollup.config.mjs's browser swap, as in the script tag.
    plugins: [browserSwap],
    entryPoints: [`${ROOT}src/index.ts`],
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    outfile: 'out.js',
    logLevel: 'silent',
  });
  const parts = new Map<string, number>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const part = nm ? nm[1]! : 'resignal (src/)';
      parts.set(part, (parts.get(part) ?? 0) + bytesInOutput);
    }
  }
  return [...parts].map(([part, bytes]) => ({ part, bytes })).sort((a, b) => b.bytes - a.bytes);
}

export async function runBundle(): Promise<BundleRow[]> {
  const rows: BundleRow[] = [{ library: 'ws', file: '(native WebSocket)', minifiedBytes: 0, gzipBytes: 0, note: 'the browser has WebSocket built in; the request/response layer is yours to write' }];
  const resignal = await resignalRow();
  try {
    resignal.composition = await composition();
  } catch {
    // an estimate only; the size above stands without it
  }
  rows.push(resignal);
  const sio = readFileSync(pkgFile('socket.io-client', 'dist/socket.io.min.js'));
  const sioVersion = versionOf('socket.io-client');
  rows.push({ library: 'socket.io', file: `socket.io-client@${sioVersion} dist/socket.io.min.js`, minifiedBytes: size(sio), gzipBytes: gz(sio) });
  const protooVersion = versionOf('protoo-client');
  const protoo = await esbuildBundle(`module.exports = require('protoo-client');`, 'protooClient', BENCH);
  rows.push({ library: 'protoo', file: `protoo-client@${protooVersion} (esbuild, browser, minified)`, minifiedBytes: size(protoo), gzipBytes: gz(protoo), note: 'no published browser bundle; bundled here' });
  const centrifuge = readFileSync(pkgFile('centrifuge', 'dist/centrifuge.js'));
  rows.push({ library: 'centrifuge', file: `centrifuge@${versionOf('centrifuge')} dist/centrifuge.js`, minifiedBytes: size(centrifuge), gzipBytes: gz(centrifuge), note: 'its published script-tag build' });
  const party = await esbuildBundle(`export * from 'partysocket';`, 'PartySocket', BENCH);
  rows.push({ library: 'partysocket', file: `partysocket@${versionOf('partysocket')} (esbuild, browser, minified)`, minifiedBytes: size(party), gzipBytes: gz(party), note: 'no published browser bundle; bundled here. A reconnecting WebSocket: no requests, rooms or replay' });
  for (const row of rows) log(`bundle ${row.library}: ${row.gzipBytes} B gzipped (${row.file})`);
  return rows;
}
