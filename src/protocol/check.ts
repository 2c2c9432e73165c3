// A compact validator for the wire protocol, used where zod's parser would cost bundle bytes
// (the browser) or time per frame (the server's hot path). Each guard mirrors one zod schema in
// this folder; test/unit/guard-differential.test.ts proves they accept exactly the same values
// (JSON values, as JSON.parse produces them), and reports the same path.
// The guard builders are marked side-effect free, so a bundler drops every guard its bundle
// never calls (the client's bundle has no use for the server's guards, nor a Peer without rooms for the room guards).

/** What was wrong, and where: `path` from the root of the value (empty for the value itself). */
export interface Issue {
  path: (string | number)[];
  message: string;
}

/**
 * Checks a value; `undefined` when it is valid. Allocates nothing on success: the path is
 * only built while an issue travels back up.
 */
export type Check = (value: unknown) => Issue | undefined;

/** A check that also tells TypeScript what a valid value is (the type comes from the zod schema). */
export type Guard<T> = Check & { readonly __type?: T };

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string of ${value.length}`;
  if (typeof value === 'number') return String(value);
  return typeof value;
}

const issue = (want: string, value: unknown): Issue => ({ path: [], message: `expected ${want}, got ${describe(value)}` });

export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Anything, even absent (zod `z.unknown()`). */
export const unknown: Check = () => undefined;

/** Code points in `text`: a surrogate pair counts once, a lone surrogate as one (as zod counts). */
function codePoints(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    if ((text.charCodeAt(i) & 0xfc00) === 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n--;
      i++;
    }
  }
  return n;
}

/** A string of `min`..`max` code points (zod `z.string()` with `z.minLength`/`z.maxLength`). */
/* @__NO_SIDE_EFFECTS__ */
export const string =
  (min = 0, max = Infinity): Check =>
  (v) => {
    if (typeof v !== 'string') return issue('a string', v);
    const units = v.length;
    // A code point is 1 or 2 units: only a string over `max` units or under `2 * min` needs counting.
    const length = units > max || units < 2 * min ? codePoints(v) : units;
    return length >= min && length <= max ? undefined : { path: [], message: `expected a string of ${min} to ${max} characters, got ${length}` };
  };

/** A finite number (zod `z.number()`). */
export const number: Check = (v) => (typeof v === 'number' && Number.isFinite(v) ? undefined : issue('a number', v));

/** A safe integer >= 0 (zod `z.number().check(z.int(), z.nonnegative())`). */
export const count: Check = (v) => (Number.isSafeInteger(v) && (v as number) >= 0 ? undefined : issue('an integer >= 0', v));

export const boolean: Check = (v) => (typeof v === 'boolean' ? undefined : issue('a boolean', v));

/* @__NO_SIDE_EFFECTS__ */
export const literal =
  (expected: string | boolean): Check =>
  (v) =>
    v === expected ? undefined : issue(JSON.stringify(expected), v);

/** Absent (undefined) or valid (zod `z.optional()`). */
/* @__NO_SIDE_EFFECTS__ */
export const optional =
  (check: Check): Check =>
  (v) =>
    v === undefined ? undefined : check(v);

function at(key: string | number, found: Issue | undefined): Issue | undefined {
  if (found) found.path.unshift(key);
  return found;
}

/** A non-array object whose listed keys pass; other keys are ignored (zod `z.object()`, which strips them). */
/* @__NO_SIDE_EFFECTS__ */
export function object(shape: Record<string, Check>): Check {
  const keys = Object.keys(shape);
  const checks = keys.map((key) => shape[key]!);
  return (v) => {
    if (!isObject(v)) return issue('an object', v);
    for (let i = 0; i < keys.length; i++) {
      const found = checks[i]!(v[keys[i]!]);
      if (found) return at(keys[i]!, found);
    }
    return undefined;
  };
}

/* @__NO_SIDE_EFFECTS__ */
export function array(item: Check): Check {
  return (v) => {
    if (!Array.isArray(v)) return issue('an array', v);
    for (let i = 0; i < v.length; i++) {
      const found = item(v[i]);
      if (found) return at(i, found);
    }
    return undefined;
  };
}

/** Valid for either check (zod `z.union([a, b])`, which reports a failure at the union itself). */
/* @__NO_SIDE_EFFECTS__ */
export function either(a: Check, b: Check): Check {
  return (v) => (a(v) === undefined || b(v) === undefined ? undefined : issue('one of the allowed shapes', v));
}

/**
 * An object of string keys to valid values (zod `z.record(z.string(), ...)`). Like zod, a key
 * named `__proto__` is skipped: zod drops it from its output instead of checking it.
 */
/* @__NO_SIDE_EFFECTS__ */
export function record(value: Check): Check {
  return (v) => {
    if (!isObject(v)) return issue('an object', v);
    for (const key of Object.keys(v)) {
      if (key === '__proto__') continue;
      const found = value(v[key]);
      if (found) return at(key, found);
    }
    return undefined;
  };
}

/** One of several object shapes, picked by the value of `key` (zod `z.discriminatedUnion()`). */
/* @__NO_SIDE_EFFECTS__ */
export function oneOf(key: string, options: Array<[string | boolean, Check]>): Check {
  const byTag = new Map(options);
  const tags = options.map(([tag]) => JSON.stringify(tag)).join(', ');
  return (v) => {
    if (!isObject(v)) return issue('an object', v);
    const check = byTag.get(v[key] as string | boolean);
    if (check === undefined) return at(key, issue(`one of ${tags}`, v[key]));
    return check(v);
  };
}
