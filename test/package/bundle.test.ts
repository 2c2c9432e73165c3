// What `npm pack` ships: only dist/ and the docs, every exported file present, a UMD bundle
// that stands alone with no trace of `ws`, and the size budget of the minified UMD bundle.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { installedPackage, lastJsonLine, packed, runInApp } from './support/packed.js';

/**
 * A ceiling against regressions, ~2% above the measured size. zod/mini (validating every
 * inbound frame) is ~7,000 bytes of it and eventemitter3 ~940; see CHANGELOG.md, "Known issues".
 */
const UMD_MIN_GZIP_CEILING = 18_000;

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
    for (const file of ['index.mjs', 'index.cjs', 'index.browser.mjs', 'server.mjs', 'server.cjs', 'resignal.umd.js', 'resignal.umd.min.js']) {
      expect(paths).toContain(`dist/${file}`);
      expect(paths).toContain(`dist/${file}.map`);
    }
    for (const file of ['index.d.ts', 'index.d.cts', 'server.d.ts', 'server.d.cts']) expect(paths).toContain(`dist/${file}`);
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
  it('the UMD bundles inline every runtime dependency, the browser WebSocket shim, and never ws', () => {
    for (const file of ['dist/resignal.umd.js', 'dist/resignal.umd.min.js']) {
      const sources = bundledSources(`${file}.map`);
      expect(sources).toEqual(expect.arrayContaining(['node_modules/isomorphic-ws/browser.js', 'node_modules/nanoid/index.browser.js', 'node_modules/eventemitter3/index.js']));
      expect(sources.some((s) => s.startsWith('node_modules/zod/'))).toBe(true);
      expect(sources.filter((s) => /node_modules\/(ws|isomorphic-ws\/node\.js)/.test(s))).toEqual([]);
      const code = read(file);
      expect(code).not.toMatch(/\brequire\(\s*["'`]/); // no runtime require of anything
      expect(code).not.toMatch(/Sec-WebSocket|permessage-deflate|["']node:/);
    }
  });

  it('the browser ESM build leaves only eventemitter3, nanoid and zod/mini as imports, and never ws', () => {
    const code = read('dist/index.browser.mjs');
    const specifiers = [...code.matchAll(/^import\s[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]).sort();
    expect(specifiers).toEqual(['eventemitter3', 'nanoid', 'zod/mini']);
    expect(bundledSources('dist/index.browser.mjs.map').filter((s) => s.startsWith('node_modules/'))).toEqual(['node_modules/isomorphic-ws/browser.js']);
  });

  it('the UMD bundle runs with nothing but a global WebSocket and defines window.Resignal', async () => {
    const sandbox: Record<string, unknown> = { WebSocket: class {}, setTimeout, clearTimeout, console };
    vm.runInNewContext(read('dist/resignal.umd.min.js'), sandbox);
    const Resignal = sandbox.Resignal as Record<string, unknown>;
    const esm = lastJsonLine(await runInApp('names-esm.mjs', `import * as c from 'resignal'; console.log(JSON.stringify(Object.keys(c).sort()));`));
    expect(Object.keys(Resignal).sort()).toEqual(esm);
    expect(typeof Resignal.Peer).toBe('function');
  });

  it(`dist/resignal.umd.min.js stays under its ${UMD_MIN_GZIP_CEILING}-byte gzip -9 ceiling`, () => {
    const sizes = ['dist/resignal.umd.min.js', 'dist/resignal.umd.js', 'dist/index.browser.mjs', 'dist/index.mjs'].map((file) => {
      const text = read(file);
      return { file, raw: Buffer.byteLength(text), gzip9: gzip9(text) };
    });
    console.log(['bundle sizes (bytes):', ...sizes.map((s) => `  ${s.file.padEnd(28)} raw ${String(s.raw).padStart(7)}  gzip -9 ${String(s.gzip9).padStart(6)}`)].join('\n'));
    const umdMin = sizes[0]!;
    console.log(`dist/resignal.umd.min.js: ${umdMin.gzip9} bytes gzip -9 (ceiling ${UMD_MIN_GZIP_CEILING})`);
    expect(umdMin.gzip9, `dist/resignal.umd.min.js is ${umdMin.gzip9} bytes gzipped, over its ${UMD_MIN_GZIP_CEILING}-byte ceiling by ${umdMin.gzip9 - UMD_MIN_GZIP_CEILING}`).toBeLessThanOrEqual(UMD_MIN_GZIP_CEILING);
  });
});
