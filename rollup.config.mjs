// Builds every file users install (see package.json "exports"):
//   dist/index.mjs, dist/index.cjs       client for Node and bundlers; dependencies stay external
//   dist/index.browser.mjs               client ESM for browsers/bundlers ("browser" condition):
//                                        the runtime's own WebSocket, so `ws` is never reachable
//   dist/webrtc.mjs, dist/webrtc.cjs     `resignal/webrtc`: negotiate(), no dependencies
//   dist/server.mjs, dist/server.cjs     reference server, Node only
//   dist/redis.mjs, dist/redis.cjs       `resignal/redis`: the Redis store for several server nodes (ioredis stays external)
//   dist/resignal.umd(.min).js           global `Resignal`, every runtime dependency inlined
//   dist/resignal.webrtc.umd(.min).js    script-tag add-on: adds negotiate() to the `Resignal` global
//   dist/e2e.mjs, dist/e2e.cjs           resignal/e2e (end-to-end encrypted rooms), kept out of the core
//   dist/resignal-e2e.umd(.min).js       global `ResignalE2E`, for script tags next to the core UMD
//   dist/{index,webrtc,e2e,server,redis}.d.ts/.d.cts  bundled type declarations (ESM and CJS flavour)
// The client never imports zod at runtime (it validates with the guards in src/protocol/); the
// browser builds fail if zod reaches them.
// All JS outputs carry source maps.
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { builtinModules } from 'node:module';
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { dts } from 'rollup-plugin-dts';
import esbuild from 'rollup-plugin-esbuild';

// RESIGNAL_BUILD=umd builds only the script-tag bundles (what the demo page loads; see
// scripts/build.ts) and leaves the rest of dist/ alone.
const UMD_ONLY = process.env.RESIGNAL_BUILD === 'umd';

// Start from an empty dist/, so no stale chunk or map is ever packed.
if (!UMD_ONLY) rmSync(new URL('./dist', import.meta.url), { recursive: true, force: true });

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
// Optional peer dependencies (ioredis, for resignal/redis) stay external like the others.
const runtimeDeps = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})];
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** True for a dependency (or a subpath like `zod/mini`) or a Node builtin. */
const isDependency = (deps) => (id) => builtins.has(id) || deps.some((dep) => id === dep || id.startsWith(`${dep}/`));

// Modern syntax only: every browser with WebSocket + AbortSignal + Error cause (2021+) and Node 20.
const TARGET = 'es2022';
const ts = () => esbuild({ target: TARGET, tsconfig: 'tsconfig.json', sourceMap: true });

const banner = `/*! ${pkg.name} v${pkg.version} | ${pkg.license} License */`;

/**
 * The script-tag bundles' minifier. A bundle with its own copy of eventemitter3 (`inlinesEmitter`)
 * also renames that copy's internal `_events`/`_eventsCount` fields: nothing outside the bundle reads them.
 */
const minify = (inlinesEmitter) =>
  terser({ ecma: 2020, compress: { passes: 2 }, ...(inlinesEmitter && { mangle: { properties: { regex: /^_events(Count)?$/ } } }), format: { comments: /^!/ } });

/** Fails the build if `ws` (Node's WebSocket server/client) or zod ends up inside a browser bundle. */
const forbidWs = () => ({
  name: 'forbid-ws',
  resolveId(source, importer) {
    if (source === 'ws' || source.startsWith('ws/') || source === 'zod' || source.startsWith('zod/')) {
      this.error(`"${source}" (imported by ${importer}) must never reach a browser bundle`);
    }
    return null;
  },
});

/** zod's own sources trip two harmless warnings (comment placement next to @__PURE__, an internal import cycle). */
const onwarn = (warning, warn) => {
  const inZod = (id) => typeof id === 'string' && id.includes('/node_modules/zod/');
  if (warning.code === 'INVALID_ANNOTATION' && inZod(warning.id)) return;
  if (warning.code === 'CIRCULAR_DEPENDENCY' && (warning.ids ?? []).every(inZod)) return;
  warn(warning);
};

/**
 * Browser builds take src/transport/X.browser.ts for X.ts, for these X: what only `ws` can do
 * (ws-node) and the default WebSocket (default-websocket: isomorphic-ws and `ws` stay out).
 */
const SWAPPED = /\/(ws-node|default-websocket)\.js$/;
const browserSwap = () => ({
  name: 'browser-swap',
  async resolveId(source, importer, options) {
    if (!SWAPPED.test(source)) return null;
    const resolved = await this.resolve(source.replace(SWAPPED, '/$1.browser.js'), importer, { ...options, skipSelf: true });
    return resolved ?? this.error(`browser-swap: no browser file for ${source} (imported by ${importer})`);
  },
});

/**
 * The script tags inline eventemitter3's CommonJS file itself rather than its ESM wrapper, whose
 * default import of that file costs an interop helper.
 */
const eventemitterCjs = () => ({
  name: 'eventemitter-cjs',
  resolveId(source) {
    return source === 'eventemitter3' ? fileURLToPath(new URL('./node_modules/eventemitter3/index.js', import.meta.url)) : null;
  },
});

const browserResolve = () => nodeResolve({ browser: true, exportConditions: ['browser', 'import', 'default'], preferBuiltins: false });

const configs = [
  // Node + bundlers: client and server share chunks, so one process that loads both gets one SignalError class.
  {
    input: { index: 'src/index.ts', webrtc: 'src/webrtc/index.ts', e2e: 'src/e2e/index.ts', server: 'src/server/index.ts', redis: 'src/redis/index.ts' },
    external: isDependency(runtimeDeps),
    plugins: [ts()],
    output: [
      { dir: 'dist', format: 'es', entryFileNames: '[name].mjs', chunkFileNames: 'chunks/[name]-[hash].mjs', sourcemap: true, banner },
      { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/[name]-[hash].cjs', sourcemap: true, banner, exports: 'named', interop: 'auto' },
    ],
  },

  // Browser ESM: bare imports of eventemitter3 / nanoid stay for the app's bundler or import map.
  {
    input: 'src/index.ts',
    onwarn,
    external: isDependency(runtimeDeps.filter((dep) => dep !== 'isomorphic-ws' && dep !== 'ws')),
    plugins: [forbidWs(), browserSwap(), browserResolve(), ts()],
    output: { file: 'dist/index.browser.mjs', format: 'es', sourcemap: true, banner },
  },

  // Script tags: the core with everything inlined (browser WebSocket), and the WebRTC add-on.
  // Both extend the `Resignal` global rather than replace it, so either may load first.
  ...[
    ['src/index.ts', 'resignal'],
    ['src/webrtc/index.ts', 'resignal.webrtc'],
  ].map(([input, file]) => ({
    input,
    onwarn,
    plugins: [forbidWs(), browserSwap(), eventemitterCjs(), browserResolve(), commonjs({ strictRequires: false }), ts()],
    output: [
      { file: `dist/${file}.umd.js`, format: 'umd', name: 'Resignal', extend: true, sourcemap: true, banner, exports: 'named' },
      {
        file: `dist/${file}.umd.min.js`,
        format: 'umd',
        name: 'Resignal',
        extend: true,
        sourcemap: true,
        banner,
        exports: 'named',
        plugins: [minify(file === 'resignal')],
      },
    ],
  })),

  // Script tag for resignal/e2e: its own small bundle, so the core UMD does not grow.
  {
    input: 'src/e2e/index.ts',
    onwarn,
    plugins: [forbidWs(), browserResolve(), commonjs(), ts()],
    output: [
      { file: 'dist/resignal-e2e.umd.js', format: 'umd', name: 'ResignalE2E', sourcemap: true, banner, exports: 'named' },
      {
        file: 'dist/resignal-e2e.umd.min.js',
        format: 'umd',
        name: 'ResignalE2E',
        sourcemap: true,
        banner,
        exports: 'named',
        plugins: [minify(true)],
      },
    ],
  },

  // Types: one self-contained declaration file per entry, as .d.ts (import) and .d.cts (require).
  ...[
    ['index', 'src/index.ts'],
    ['webrtc', 'src/webrtc/index.ts'],
    ['e2e', 'src/e2e/index.ts'],
    ['server', 'src/server/index.ts'],
    ['redis', 'src/redis/index.ts'],
  ].flatMap(([name, input]) =>
    ['d.ts', 'd.cts'].map((ext) => ({
      input,
      external: isDependency(runtimeDeps),
      plugins: [dts({ tsconfig: 'tsconfig.json' })],
      output: { file: `dist/${name}.${ext}`, format: 'es' },
    })),
  ),
];

export default UMD_ONLY ? configs.filter((config) => [config.output].flat().some((output) => output.format === 'umd')) : configs;
