/**
 * `WWW-Authenticate` (RFC 9110 §11.6.1): the challenges a 401 must carry (§15.5.2), built from
 * parts so every value is well-formed.
 */

/** One challenge: an auth-scheme with either auth-params or a token68 (RFC 9110 §11.3). */
export interface Challenge {
  scheme: string;
  /** auth-params, sent in this order as quoted strings (`realm` first by convention). */
  params?: Readonly<Record<string, string>>;
  token68?: string;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
// qdtext / quoted-pair: HTAB, SP, visible ASCII, obs-text; no other control characters.
const QUOTABLE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** A quoted-string (RFC 9110 §5.6.4) with `"` and `\` escaped. */
export function quotedString(value: string): string {
  if (!QUOTABLE.test(value)) throw new TypeError(`cannot quote ${JSON.stringify(value)}: control characters`);
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** Formats one challenge: `Bearer realm="pushpull", error="invalid_token"`. */
export function formatChallenge(challenge: Challenge): string {
  if (!TOKEN.test(challenge.scheme)) throw new TypeError(`auth-scheme ${JSON.stringify(challenge.scheme)} is not a token`);
  const params = Object.entries(challenge.params ?? {});
  if (challenge.token68 !== undefined) {
    if (params.length > 0) throw new TypeError('a challenge has either a token68 or auth-params, not both');
    if (!TOKEN68.test(challenge.token68)) throw new TypeError(`${JSON.stringify(challenge.token68)} is not a token68`);
    return `${challenge.scheme} ${challenge.token68}`;
  }
  if (params.length === 0) return challenge.scheme;
  const formatted = params.map(([name, value]) => {
    if (!TOKEN.test(name)) throw new TypeError(`auth-param name ${JSON.stringify(name)} is not a token`);
    // Quoted always: valid for every parameter, and required for realm (§11.5).
    return `${name}=${quotedString(value)}`;
  });
  return `${challenge.scheme} ${formatted.join(', ')}`;
}

/** The `WWW-Authenticate` value for one or more challenges (a comma-separated list). */
export function wwwAuthenticate(challenges: Challenge | readonly Challenge[]): string {
  const list = Array.isArray(challenges) ? challenges : [challenges as Challenge];
  if (list.length === 0) throw new TypeError('a 401 needs at least one challenge (RFC 9110 §15.5.2)');
  return list.map(formatChallenge).join(', ');
}

/** RFC 6750 §3.1 error codes of a Bearer challenge. */
export type BearerError = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

/**
 * A Bearer challenge (RFC 6750 §3). Without credentials in the request, no error is named
 * (§3: "SHOULD NOT include an error code"); with wrong ones, `invalid_token`.
 */
export function bearerChallenge(realm: string, error?: { code: BearerError; description?: string }): Challenge {
  const params: Record<string, string> = { realm };
  if (error) {
    params.error = error.code;
    if (error.description !== undefined) params.error_description = error.description;
  }
  return { scheme: 'Bearer', params };
}
