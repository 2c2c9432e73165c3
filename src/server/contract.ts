// Validation of request payloads at the edge, for `server.handle(method, { data: schema }, handler)`:
// bad data is answered with BAD_REQUEST listing what is wrong, the handler never sees it, and
// the link stays up.
import * as z from 'zod/mini';
import type { HandlerContext, RequestHandler } from './types.js';

/** What `handle()` checks before the handler runs. */
export interface MethodSchemas<S extends z.core.$ZodType = z.core.$ZodType> {
  /** The request's `data`: a zod schema (zod or zod/mini); the handler gets its parsed output. */
  data: S;
}

/** The error a client sees as `remoteCode: 'BAD_REQUEST'`, with every issue in the message. */
export class BadRequestError extends Error {
  readonly code = 'BAD_REQUEST';
  constructor(
    message: string,
    /** zod's issues, for logs and tests (the client gets them in the message). */
    readonly issues: readonly z.core.$ZodIssue[],
  ) {
    super(message);
    this.name = 'BadRequestError';
  }
}

export function validated<S extends z.core.$ZodType>(method: string, schemas: MethodSchemas<S>, handler: (data: z.output<S>, ctx: HandlerContext) => unknown): RequestHandler {
  const schema = schemas.data;
  return (data, ctx) => {
    const parsed = z.safeParse(schema, data);
    if (!parsed.success) {
      const issues = parsed.error.issues;
      throw new BadRequestError(`"${method}" got invalid data: ${issues.map(describe).join('; ')}`, issues);
    }
    return handler(parsed.data, ctx);
  };
}

/** One issue as `at "a.b": expected number`; zod/mini's messages are only "Invalid input", so the details come from the issue. */
function describe(issue: z.core.$ZodIssue): string {
  const where = issue.path.length > 0 ? `at "${issue.path.map(String).join('.')}"` : 'the data';
  const i = issue as z.core.$ZodIssue & Record<string, unknown>;
  let what = issue.message;
  if (what === 'Invalid input' || what === '') {
    if (issue.code === 'invalid_type') what = `expected ${String(i.expected)}`;
    else if (issue.code === 'too_small') what = `too small: minimum ${String(i.minimum)}`;
    else if (issue.code === 'too_big') what = `too big: maximum ${String(i.maximum)}`;
    else if (issue.code === 'invalid_value') what = `expected one of ${JSON.stringify(i.values)}`;
    else if (issue.code === 'unrecognized_keys') what = `unexpected keys ${JSON.stringify(i.keys)}`;
    else what = issue.code === 'custom' ? what : `${issue.code.replace(/_/g, ' ')}`;
  }
  return `${where}: ${what}`;
}
