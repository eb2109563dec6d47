/**
 * Token authentication for every Worker's API: reading `Authorization: <scheme> <token>`, and
 * the 401 that says what was wrong with it. Every 401 carries `WWW-Authenticate` (RFC 9110
 * §15.5.2) naming the schemes the endpoint accepts; a Bearer challenge names an error only when a
 * Bearer token was sent and is wrong (RFC 6750 §3, §3.1).
 */
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './errors';
import { bearerChallenge, wwwAuthenticate, type Challenge } from './semantics/www-authenticate';

/** The protection space of every pushpull API (RFC 9110 §11.5). */
const REALM = 'pushpull';

/** What an endpoint accepts in `Authorization`. */
export interface TokenAuth {
  /** Accepted auth-schemes as they are named in challenges (compared case-insensitively, §11.1); default `['Bearer']`. */
  schemes?: readonly string[];
  /** The realm of the challenges; default {@link REALM}. */
  realm?: string;
  /** What to send, for messages: default `<scheme> <token>` for each scheme. */
  hint?: string;
}

/** What a request's `Authorization` field holds, for the schemes an endpoint accepts. */
export type PresentedCredentials =
  | { kind: 'none' }
  /** Credentials of a scheme the endpoint does not accept (`Basic …` where only Bearer is). */
  | { kind: 'other-scheme'; scheme: string }
  | { kind: 'token'; scheme: string; token: string };

const SCHEME = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:[ \t]+(.*))?$/;

/**
 * Reads `Authorization` (RFC 9110 §11.6.2: `auth-scheme [ 1*SP token68 ]`) against the accepted
 * schemes (lower case). A scheme with no credentials after it counts as none.
 */
export function presentedCredentials(header: string | undefined, schemes: readonly string[]): PresentedCredentials {
  const value = header?.trim() ?? '';
  if (value === '') return { kind: 'none' };
  const m = SCHEME.exec(value);
  if (!m) return { kind: 'other-scheme', scheme: value.split(/[ \t]/, 1)[0] ?? value };
  const scheme = (m[1] ?? '').toLowerCase();
  if (!schemes.includes(scheme)) return { kind: 'other-scheme', scheme: m[1] ?? scheme };
  const token = (m[2] ?? '').trim();
  return token === '' ? { kind: 'none' } : { kind: 'token', scheme, token };
}

/** The challenges of an endpoint: one per accepted scheme, the Bearer one naming `invalid_token` when asked. */
export function challengesFor(auth: TokenAuth, invalidToken = false): Challenge[] {
  const realm = auth.realm ?? REALM;
  return (auth.schemes ?? ['Bearer']).map((scheme) =>
    scheme.toLowerCase() === 'bearer'
      ? bearerChallenge(realm, invalidToken ? { code: 'invalid_token' } : undefined)
      : { scheme, params: { realm } },
  );
}

/** A 401 `{error: "unauthorized", message}` with `WWW-Authenticate` carrying `challenges`. */
function unauthorized(message: string, challenges: readonly Challenge[]): ApiError {
  return new ApiError(401, 'unauthorized', message, undefined, { 'www-authenticate': wwwAuthenticate(challenges) });
}

const hintOf = (auth: TokenAuth): string => auth.hint ?? (auth.schemes ?? ['Bearer']).map((s) => `${s} <token>`).join(' or ');

/**
 * Why a request without a usable token is refused, in the words of the 401: no credentials,
 * or credentials of a scheme this endpoint does not take (issue 16: never "missing" then).
 */
export function missingTokenMessage(presented: Exclude<PresentedCredentials, { kind: 'token' }>, auth: TokenAuth): string {
  return presented.kind === 'none'
    ? `missing Authorization header (expected: ${hintOf(auth)})`
    : `the Authorization scheme "${presented.scheme}" is not accepted here (expected: ${hintOf(auth)})`;
}

/** The token a request presents in one of `auth`'s schemes, or the 401 saying what is wrong. */
export function requirePresentedToken(header: string | undefined, auth: TokenAuth = {}): string {
  const presented = presentedCredentials(
    header,
    (auth.schemes ?? ['Bearer']).map((s) => s.toLowerCase()),
  );
  if (presented.kind === 'token') return presented.token;
  throw unauthorized(missingTokenMessage(presented, auth), challengesFor(auth));
}

/** The 401 for a token that was presented and is wrong. */
export function invalidToken(auth: TokenAuth = {}): ApiError {
  return unauthorized('invalid token', challengesFor(auth, true));
}

/** Options for {@link requireToken}. */
export interface RequireTokenOptions extends TokenAuth {
  /** Reads the expected token (a secret) from the Worker's bindings. */
  secret: (env: unknown) => string | undefined;
}

/**
 * Middleware that admits only a token matching the secret, in one of the accepted schemes
 * (default `Bearer`). Comparison is constant-time; a Worker with no secret set refuses everyone
 * (never open).
 */
export function requireToken(options: RequireTokenOptions): MiddlewareHandler {
  return async function requireTokenMiddleware(c, next) {
    const expected = options.secret(c.env);
    if (!expected) {
      throw unauthorized('this endpoint is disabled: no token secret (PUSHPULL_TOKEN) is set', challengesFor(options));
    }
    const presented = requirePresentedToken(c.req.header('authorization'), options);
    if (!(await timingSafeEqualStrings(presented, expected))) throw invalidToken(options);
    await next();
  };
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
