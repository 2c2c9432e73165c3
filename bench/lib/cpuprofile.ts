// Summarize a V8 .cpuprofile (what `node --cpu-prof` writes): self and total (inclusive)
// time per function, and self time per file, so hot spots can be named as file:function.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface FunctionTime {
  /** "src/peer.ts:receive", "node_modules/zod:…", "(garbage collector)", … */
  name: string;
  selfMs: number;
  totalMs: number;
}

export interface ProfileSummary {
  wallMs: number;
  /** Time the thread was not idle. */
  busyMs: number;
  functions: FunctionTime[];
  files: Array<{ file: string; selfMs: number }>;
}

/** A readable location: path relative to the repo, node_modules package, or node internals. */
export function where(url: string): string {
  if (url === '') return '';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/');
    const pkg = rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
    return `node_modules/${pkg}`;
  }
  // The repository's own files (also when run from a snapshot of dist/ elsewhere).
  for (const dir of ['/src/', '/bench/', '/test/']) {
    const at = path.lastIndexOf(dir);
    if (at >= 0) return path.slice(at + 1);
  }
  if (path.startsWith('node:')) return 'node:internal';
  return path.split('/').slice(-2).join('/');
}

const maps = new Map<string, SourceMap | null>();

/** For code in the built dist/, the original src/ file, via the build's source map. */
function original(url: string, line: number, column: number): string | undefined {
  if (!url.includes('/dist/')) return undefined;
  const path = url.replace(/^file:\/\//, '');
  if (!maps.has(path)) {
    const mapFile = `${path}.map`;
    maps.set(path, existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as never) : null);
  }
  const map = maps.get(path);
  if (!map || line < 0) return undefined;
  const entry = map.findEntry(line, column) as { originalSource?: string };
  if (!entry.originalSource) return undefined;
  const source = resolve(dirname(path), entry.originalSource.replace(/^file:\/\//, ''));
  return where(`file://${source}`);
}

export function summarize(file: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const locate = (node: ProfileNode) => {
    const { url, lineNumber, columnNumber } = node.callFrame;
    return original(url, lineNumber, columnNumber) ?? where(url);
  };
  const label = (node: ProfileNode) => {
    const { functionName } = node.callFrame;
    const loc = locate(node);
    const fn = functionName || '(anonymous)';
    return loc ? `${loc}:${fn}` : fn;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const files = new Map<string, number>();
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const leaf = byId.get(profile.samples[i]!)!;
    const leafName = label(leaf);
    if (leafName === '(idle)') idle += ms;
    self.set(leafName, (self.get(leafName) ?? 0) + ms);
    const file = locate(leaf) || leafName;
    files.set(file, (files.get(file) ?? 0) + ms);
    const seen = new Set<string>();
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const name = label(byId.get(id)!);
      if (seen.has(name)) continue;
      seen.add(name);
      total.set(name, (total.get(name) ?? 0) + ms);
    }
  }
  const wallMs = (profile.endTime - profile.startTime) / 1000;
  const functions = [...total.keys()].map((name) => ({ name, selfMs: self.get(name) ?? 0, totalMs: total.get(name)! }));
  return {
    wallMs,
    busyMs: wallMs - idle,
    functions,
    files: [...files].map(([f, selfMs]) => ({ file: f, selfMs })).sort((a, b) => b.selfMs - a.selfMs),
  };
}
