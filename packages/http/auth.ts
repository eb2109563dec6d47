import type { MiddlewareHandler } from 'hono';
import { ApiError } from './errors';

/** Options for {@link requireToken}. */
export interface RequireTokenOptions {
  /** Reads the expected token (a secret) from the Worker's bindings. */
  secret: (env: unknown) => string | undefined;
  /** Also accept InfluxDB's `Authorization: Token <t>` scheme. */
  allowTokenScheme?: boolean;
}

/**
 * Middleware that admits only `Authorization: Bearer <token>` matching the secret.
 * Comparison is constant-time; a Worker with no secret set refuses everyone (never open).
 */
export function requireToken(options: RequireTokenOptions): MiddlewareHandler {
  const schemes = options.allowTokenScheme ? ['bearer', 'token'] : ['bearer'];
  return async function requireTokenMiddleware(c, next) {
    const expected = options.secret(c.env);
    if (!expected) {
      throw new ApiError(401, 'unauthorized', 'this endpoint is disabled: no token secret (PUSHPULL_TOKEN) is set');
    }
    const presented = presentedToken(c.req.header('authorization'), schemes);
    if (presented === undefined) {
      throw new ApiError(401, 'unauthorized', 'missing Authorization header (expected: Bearer <token>)');
    }
    if (!(await timingSafeEqualStrings(presented, expected))) {
      throw new ApiError(401, 'unauthorized', 'invalid token');
    }
    await next();
  };
}

/** Extracts the token of an `Authorization` header in one of the accepted schemes. */
export function presentedToken(header: string | undefined, schemes: readonly string[]): string | undefined {
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space < 0) return undefined;
  const scheme = header.slice(0, space).toLowerCase();
  if (!schemes.includes(scheme)) return undefined;
  const token = header.slice(space + 1).trim();
  return token.length > 0 ? token : undefined;
}

/**
 * Constant-time string comparison: both sides are hashed first, so neither the length nor
 * the position of the first difference leaks through timing.
 */
export async function timingSafeEqualStrings(a: string, b: string): Promise<boolean> {
  const enc = new TextEncoder();
  const [ha, hb] = await Promise.all([crypto.subtle.digest('SHA-256', enc.encode(a)), crypto.subtle.digest('SHA-256', enc.encode(b))]);
  const va = new Uint8Array(ha);
  const vb = new Uint8Array(hb);
  let diff = 0;
  for (let i = 0; i < va.length; i++) diff |= va[i] ^ vb[i];
  return diff === 0 && a.length === b.length;
}
