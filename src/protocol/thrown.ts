/**
 * Reading whatever a handler threw, on either side of the link. A handler may throw any value,
 * including ones that throw again when inspected (`Object.create(null)` has no `toString`, a
 * Proxy can throw from every getter), so nothing here may throw.
 */

/** The thrown value's own string `code`, if it has one. */
export function codeOf(error: unknown): string | undefined {
  try {
    const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined; // a throwing getter or proxy
  }
}

/** A printable message for anything thrown; never throws itself. */
export function messageOf(error: unknown): string {
  try {
    const message = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
    return typeof message === 'string' ? message : String(error);
  } catch {
    return 'the handler threw a value that cannot be printed';
  }
}
