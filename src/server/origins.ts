/**
 * Which browser origins may open a socket: a list of exact origins
 * (`https://app.example.com`), or a function. Checked at the HTTP upgrade, before any
 * frame, so a page on another site cannot use a visitor's cookies or network position to
 * connect (cross-site WebSocket hijacking). Non-browser clients send no Origin header (and
 * could send any): the list form lets them through, the function gets `undefined`.
 */
export type AllowOrigins = readonly string[] | ((origin: string | undefined) => boolean);

export type OriginCheck = (origin: string | undefined) => boolean;

/** Normalize the option once: undefined when every origin is allowed. */
export function originCheck(option: AllowOrigins | undefined): OriginCheck | undefined {
  if (option === undefined) return undefined;
  if (typeof option === 'function') {
    return (origin) => {
      try {
        return option(origin) === true;
      } catch {
        return false; // a throwing check refuses, never crashes the upgrade
      }
    };
  }
  if (!Array.isArray(option) || option.some((origin) => typeof origin !== 'string')) {
    throw new TypeError('SignalingServer: option "allowOrigins" must be an array of origin strings (like "https://app.example.com") or a function (origin) => boolean');
  }
  const allowed = new Set(option.map((origin) => origin.toLowerCase()));
  return (origin) => origin === undefined || allowed.has(origin.toLowerCase());
}

/** The body of the 403 answer to a refused origin. */
export function refusedOriginBody(origin: string | undefined): string {
  return `origin ${JSON.stringify(origin ?? '')} is not allowed to connect to this resignal server (see the server's allowOrigins option)\n`;
}
