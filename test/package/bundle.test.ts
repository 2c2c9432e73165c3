// What `npm pack` ships: only dist/ and the docs, every exported file present, script-tag
// bundles that stand alone with no trace of `ws` or zod, and the size budgets.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { installedPackage, lastJsonLine, packed, runInApp } from './support/packed.js';

/**
 * Size budgets, in bytes after gzip -9 (what a user downloads), dependencies included. Where the
 * client does not fit its budget yet, `ceiling` is the size last measured plus at most 25 B
 * (README.md, "Size", says by how much and why): the test then holds that
 * ceiling against regressions and prints the distance to the budget.
 */
const SIZES = {
  umdCore: { what: 'script tag: dist/resignal.umd.min.js (Peer, Room, errors)', budget: 9_500, ceiling: 12_720 },
  umdWebrtc: { what: 'script tag: dist/resignal.webrtc.umd.min.js (negotiate)', budget: 1_500, ceiling: 2_360 },
  bundledPeer: { what: "esbuild --bundle --minify: import { Peer } from 'resignal'", budget: 7_500, ceiling: 11_100 },
  bundledPeerRoom: { what: "esbuild --bundle --minify: import { Peer, Room } from 'resignal'", budget: 9_000, ceiling: 12_840 },
};

const read = (file: string) => readFileSync(path.join(installedPackage(), file), 'utf8');
const gzip9 = (text: string) => gzipSync(Buffer.from(text), { level: 9 }).length;

/** Every string target of an exports map (conditions nest). */
function exportTargets(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (node && typeof node === 'object') return Object.values(node).flatMap(exportTargets);
  return [];
}

/** Files a source map says went into a bundle, relative to node_modules when they came from there. */
function bundledSources(mapFile: string): string[] {
  const map = JSON.parse(read(mapFile)) as { sources: string[] };
  return map.sources.map((s) => s.replace(/^.*?node_modules\//, 'node_modules/'));
}

describe('tarball contents', () => {
  it('holds dist/, README, PROTOCOL.md, LICENSE, CHANGELOG and package.json, nothing else', () => {
    const paths = packed().files.map((f) => f.path);
    const outside = paths.filter((p) => !p.startsWith('dist/') && !['package.json', 'README.md', 'PROTOCOL.md', 'LICENSE', 'CHANGELOG.md'].includes(p));
    expect(outside).toEqual([]);
    for (const doc of ['README.md', 'PROTOCOL.md', 'LICENSE', 'package.json']) expect(paths).toContain(doc);
    for (const file of ['index.mjs', 'index.cjs', 'index.browser.mjs', 'webrtc.mjs', 'webrtc.cjs', 'server.mjs', 'server.cjs', 'redis.mjs', 'redis.cjs', 'resignal.umd.js', 'resignal.umd.min.js', 'resignal.webrtc.umd.js', 'resignal.webrtc.umd.min.js']) {
      expect(paths).toContain(`dist/${file}`);
      expect(paths).toContain(`dist/${file}.map`);
    }
    for (const file of ['index.d.ts', 'index.d.cts', 'webrtc.d.ts', 'webrtc.d.cts', 'server.d.ts', 'server.d.cts', 'redis.d.ts', 'redis.d.cts']) expect(paths).toContain(`dist/${file}`);
  });

  it('every path package.json points at is in the tarball', () => {
    const pkg = JSON.parse(read('package.json')) as Record<string, unknown>;
    const targets = [...exportTargets(pkg.exports), ...['main', 'module', 'types', 'unpkg', 'jsdelivr'].map((k) => pkg[k] as string)];
    const paths = new Set(packed().files.map((f) => f.path));
    for (const target of targets) expect(paths, `${target} is referenced by package.json`).toContain(target.replace(/^\.\//, ''));
    expect(pkg.unpkg).toBe('./dist/resignal.umd.min.js');
    expect(pkg.jsdelivr).toBe('./dist/resignal.umd.min.js');
    expect(pkg.sideEffects).toBe(false);
  });
});

describe('browser bundles', () => {
  it('the UMD bundles inline every runtime dependency they use, take the browser WebSocket, and never ws, isomorphic-ws or zod', () => {
    for (const file of ['dist/resignal.umd.js', 'dist/resignal.umd.min.js']) {
      const sources = bundledSources(`${file}.map`);
      // (ws-node.browser.ts is all no-ops: the minifier inlines it away, so it may not be in the map.)
      expect(sources).toEqual(expect.arrayContaining(['node_modules/nanoid/index.browser.js', 'node_modules/eventemitter3/index.js', '../src/transport/default-websocket.browser.ts']));
      expect(sources.filter((s) => /node_modules\/(zod|ws|isomorphic-ws)\//.test(s) || /src\/transport\/(ws-node|default-websocket)\.ts$/.test(s))).toEqual([]);
      const code = read(file);
      expect(code).not.toMatch(/\brequire\(\s*["'`]/); // no runtime require of anything
      expect(code).not.toMatch(/Sec-WebSocket|permessage-deflate|["']node:/);
    }
  });

  it('the browser ESM build leaves only eventemitter3 and nanoid as imports: never ws, isomorphic-ws or zod', () => {
    const code = read('dist/index.browser.mjs');
    const specifiers = [...code.matchAll(/^import\s[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]).sort();
    expect(specifiers).toEqual(['eventemitter3', 'nanoid']);
    const sources = bundledSources('dist/index.browser.mjs.map');
    expect(sources.filter((s) => s.startsWith('node_modules/'))).toEqual([]);
    expect(sources).toEqual(expect.arrayContaining(['../src/transport/default-websocket.browser.ts', '../src/transport/ws-node.browser.ts']));
  });

  it('the WebRTC add-on has no dependencies and no trace of zod or ws', () => {
    for (const file of ['dist/resignal.webrtc.umd.min.js', 'dist/webrtc.mjs']) {
      expect(bundledSources(`${file}.map`).filter((s) => s.includes('node_modules/'))).toEqual([]);
    }
    expect(read('dist/webrtc.mjs')).not.toMatch(/^import\s/m);
  });

  it('the core UMD bundle runs with nothing but a global WebSocket and defines window.Resignal, as the ESM entry', async () => {
    const sandbox: Record<string, unknown> = { WebSocket: class {}, setTimeout, clearTimeout, console };
    vm.runInNewContext(read('dist/resignal.umd.min.js'), sandbox);
    const Resignal = sandbox.Resignal as Record<string, unknown>;
    const esm = lastJsonLine(await runInApp('names-esm.mjs', `import * as c from 'resignal'; console.log(JSON.stringify(Object.keys(c).sort()));`));
    expect(Object.keys(Resignal).sort()).toEqual(esm);
    expect(typeof Resignal.Peer).toBe('function');
  });

  it.each([
    ['after the core', ['dist/resignal.umd.min.js', 'dist/resignal.webrtc.umd.min.js']],
    ['before the core', ['dist/resignal.webrtc.umd.min.js', 'dist/resignal.umd.min.js']],
  ])('the WebRTC add-on loaded %s adds the resignal/webrtc exports to window.Resignal', async (_when, files) => {
    const sandbox: Record<string, unknown> = { WebSocket: class {}, setTimeout, clearTimeout, console };
    for (const file of files) vm.runInNewContext(read(file), sandbox);
    const Resignal = sandbox.Resignal as Record<string, unknown>;
    const core = lastJsonLine(await runInApp('names-esm.mjs', `import * as c from 'resignal'; console.log(JSON.stringify(Object.keys(c)));`)) as string[];
    const webrtc = lastJsonLine(await runInApp('names-webrtc.mjs', `import * as w from 'resignal/webrtc'; console.log(JSON.stringify(Object.keys(w)));`)) as string[];
    expect(webrtc.sort()).toEqual(['candidateFields', 'candidateFilters', 'isPolite', 'isPrivateAddress', 'negotiate', 'parseRtcSignal']);
    expect(Object.keys(Resignal).sort()).toEqual([...core, ...webrtc].sort());
    expect(typeof Resignal.negotiate).toBe('function');
    expect(typeof Resignal.Peer).toBe('function');
  });
});

/** What a bundler user ships for `source`: esbuild's browser bundle of the installed package, minified. */
async function bundled(source: string): Promise<string> {
  const result = await build({
    stdin: { contents: source, resolveDir: packed().app, loader: 'js' },
    bundle: true,
    minify: true,
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

const bundledSize = async (source: string): Promise<number> => gzip9(await bundled(source));

describe('tree shaking', () => {
  it("a bundle that imports only Peer leaves the room code out; one that imports Room has it", async () => {
    // Strings that only room.ts and room-registry.ts hold.
    const roomCode = /could not rejoin room|the server answered "join"/;
    expect(await bundled(`import { Peer } from 'resignal'; globalThis.out = Peer;`)).not.toMatch(roomCode);
    expect(await bundled(`import { Peer, Room } from 'resignal'; globalThis.out = [Peer, Room];`)).toMatch(roomCode);
  });
});

describe('size budgets (gzip -9, dependencies included)', () => {
  const measured = new Map<keyof typeof SIZES, number>();
  const measure: Record<keyof typeof SIZES, () => Promise<number> | number> = {
    umdCore: () => gzip9(read('dist/resignal.umd.min.js')),
    umdWebrtc: () => gzip9(read('dist/resignal.webrtc.umd.min.js')),
    bundledPeer: () => bundledSize(`import { Peer } from 'resignal'; globalThis.out = Peer;`),
    bundledPeerRoom: () => bundledSize(`import { Peer, Room } from 'resignal'; globalThis.out = [Peer, Room];`),
  };

  it.each(Object.keys(SIZES) as Array<keyof typeof SIZES>)('%s', async (key) => {
    const { what, budget, ceiling } = SIZES[key];
    const bytes = await measure[key]();
    measured.set(key, bytes);
    const status = bytes <= budget ? `within its budget of ${budget}` : `over its budget of ${budget} by ${bytes - budget} (see README, "Size")`;
    console.log(`${what}: ${bytes} B, ${status}`);
    expect(bytes, `${what} is ${bytes} B, over its limit of ${ceiling} B by ${bytes - ceiling}`).toBeLessThanOrEqual(Math.max(budget, ceiling));
    // A ceiling above the budget is only a stopgap: once the size is back under the budget, the budget rules.
    if (ceiling > budget) expect(bytes, `${what} now fits its budget of ${budget} B: lower its ceiling to the budget`).toBeGreaterThan(budget);
  });

  it('prints every file users may load', () => {
    const files = ['dist/resignal.umd.min.js', 'dist/resignal.webrtc.umd.min.js', 'dist/resignal.umd.js', 'dist/index.browser.mjs', 'dist/index.mjs', 'dist/webrtc.mjs'];
    const rows = files.map((file) => {
      const text = read(file);
      return `  ${file.padEnd(34)} raw ${String(Buffer.byteLength(text)).padStart(7)}  gzip -9 ${String(gzip9(text)).padStart(6)}`;
    });
    console.log(['bundle sizes (bytes):', ...rows].join('\n'));
    expect(rows).toHaveLength(files.length);
  });
});
