/**
 * HTTP caching arithmetic for a shared cache, with no bindings: Cache-Control parsing,
 * storability (RFC 9111 §3), freshness lifetime (§4.2.1), heuristic freshness (§4.2.2),
 * age (§4.2.3), and the stale-serving windows of RFC 5861.
 */
import { DELTA_SECONDS_MAX, parseAge, parseDeltaSeconds } from '@pushpull/http/semantics/delta-seconds';
import { parseHttpDate } from '@pushpull/http/semantics/http-date';

/** Parsed Cache-Control directives: lower-cased names; `true` for directives without a value. */
export type Directives = Map<string, string | true>;

/** Parses a Cache-Control field value (RFC 9111 §5.2). The first occurrence of a directive wins (§4.2.1). */
export function parseCacheControl(value: string | null | undefined): Directives {
  const out: Directives = new Map();
  if (!value) return out;
  let i = 0;
  const n = value.length;
  while (i < n) {
    while (i < n && (value[i] === ',' || value[i] === ' ' || value[i] === '\t')) i++;
    if (i >= n) break;
    let j = i;
    while (j < n && value[j] !== '=' && value[j] !== ',') j++;
    const name = value.slice(i, j).trim().toLowerCase();
    let arg: string | true = true;
    if (j < n && value[j] === '=') {
      j++;
      if (value[j] === '"') {
        let s = '';
        j++;
        while (j < n && value[j] !== '"') {
          if (value[j] === '\\' && j + 1 < n) j++;
          s += value[j];
          j++;
        }
        j++; // closing quote
        while (j < n && value[j] !== ',') j++;
        arg = s;
      } else {
        let k = j;
        while (k < n && value[k] !== ',') k++;
        arg = value.slice(j, k).trim();
        j = k;
      }
    }
    if (name && !out.has(name)) out.set(name, arg);
    i = j + 1;
  }
  return out;
}

/**
 * Targeted cache-control fields (RFC 9213) that speak to this cache, most specific first: its
 * own `Pushpull-Cache-Control`, then `CDN-Cache-Control` (every CDN's).
 */
export const TARGETED_CACHE_CONTROL = ['pushpull-cache-control', 'cdn-cache-control'] as const;

/** An RFC 8941 bare item as this check reads it: a quoted string, or a run of other characters. */
const SF_VALUE = String.raw`("([^"\\]|\\[\\"])*"|[^",;\s]+)`;
const SF_KEY = String.raw`[a-z*][a-z0-9_.*-]*`;
/** An RFC 8941 dictionary member: a key, an optional value, optional parameters. */
const SF_MEMBER = new RegExp(`^${SF_KEY}(=${SF_VALUE})?(;[ ]*${SF_KEY}(=${SF_VALUE})?)*$`);

/** Splits a field value on the commas outside quoted strings, trimming each member. */
function splitMembers(value: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '\\' && quoted) i++;
    else if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(value.slice(start, i));
      start = i + 1;
    }
  }
  out.push(value.slice(start));
  return out.map((m) => m.replace(/^[ \t]+|[ \t]+$/g, ''));
}

/**
 * Whether a targeted field's value is a valid, non-empty Structured Field Dictionary (RFC 9213
 * §2.1, RFC 8941 §3.2): keys lower-case, no empty members. An invalid one is ignored, as if absent.
 */
function validTargetedValue(value: string | null): value is string {
  if (value === null || value.trim() === '') return false;
  return splitMembers(value).every((m) => SF_MEMBER.test(m));
}

/**
 * The response fields this cache takes its policy from (RFC 9213 §2.1): when a targeted field of
 * {@link TARGETED_CACHE_CONTROL} has a valid, non-empty value, the first such one stands in for
 * Cache-Control, and Cache-Control, Expires and Surrogate-Control are ignored (the cache MUST);
 * otherwise the response's own fields. The returned headers decide storability, freshness and
 * the stale windows; clients see the response as the origin sent it, minus the targeted fields.
 */
export function cachePolicyHeaders(headers: Headers): Headers {
  for (const name of TARGETED_CACHE_CONTROL) {
    const value = headers.get(name);
    if (!validTargetedValue(value)) continue;
    const policy = new Headers(headers);
    policy.set('cache-control', value);
    policy.delete('expires');
    policy.delete('surrogate-control');
    return policy;
  }
  return headers;
}

/**
 * A directive's delta-seconds (§1.2.2). Undefined when absent; NaN when present but invalid
 * (the caller treats an invalid freshness directive as "stale", §4.2.1).
 */
function deltaSeconds(d: Directives, name: string): number | undefined {
  const v = d.get(name);
  if (v === undefined) return undefined;
  if (v === true) return Number.NaN;
  return parseDeltaSeconds(v) ?? Number.NaN;
}

/** Field names listed in a qualified `private="a, b"` or `no-cache="a"` directive (§5.2.2.4, §5.2.2.7). */
export function qualifiedFields(d: Directives, name: 'private' | 'no-cache'): string[] {
  const v = d.get(name);
  if (typeof v !== 'string') return [];
  return v
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}

/** Status codes that are heuristically cacheable (RFC 9110 §15.1). */
const HEURISTICALLY_CACHEABLE = new Set([200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501]);

/** Settings that shape the cache's own choices where the RFC leaves them to the cache. */
export interface FreshnessSettings {
  /** Seconds of freshness for a heuristically cacheable response with no explicit freshness and no Last-Modified. */
  defaultTtl: number;
  /** Same, for the negative statuses (404, 405, 410, 414, 501); never more than defaultTtl. */
  negativeTtl: number;
  /** Upper bound on heuristic freshness from Last-Modified. */
  heuristicMax: number;
}

/**
 * Final statuses whose caching requirements this cache understands (RFC 9111 §5.2.2.3): those
 * RFC 9110 §15 defines, which it stores and reuses by their generic rules; 206 and 304 are never
 * stored as such. Anything else (299, 499, 599 …) with `must-understand` is not stored.
 */
const UNDERSTOOD_STATUSES = new Set([
  200, 201, 202, 203, 204, 205, 300, 301, 302, 303, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414,
  415, 416, 417, 421, 422, 426, 500, 501, 502, 503, 504, 505,
]);

/** Why a response cannot be stored, or null when it can. */
export function whyNotStorable(status: number, requestHeaders: Headers, responseHeaders: Headers, rcc: Directives): string | null {
  if (status < 200 || status === 206 || status === 304) return `status ${status}`;
  const qcc = parseCacheControl(requestHeaders.get('cache-control'));
  if (qcc.has('no-store')) return 'request no-store';
  // §5.2.2.3: must-understand stands in for no-store when the cache understands the status.
  if (rcc.has('must-understand')) {
    if (!UNDERSTOOD_STATUSES.has(status)) return 'must-understand';
  } else if (rcc.has('no-store')) return 'no-store';
  if (rcc.get('private') === true) return 'private';
  if (responseHeaders.has('set-cookie')) return 'set-cookie';
  const vary = responseHeaders.get('vary');
  if (vary && vary.split(',').some((v) => v.trim() === '*')) return 'vary-star';
  // §3.5: a response to a request with Authorization only if the response explicitly allows it.
  if (requestHeaders.has('authorization') && !(rcc.has('public') || rcc.has('s-maxage') || rcc.has('must-revalidate'))) {
    return 'authorization';
  }
  // §3: something must make it cacheable.
  const explicit = rcc.has('max-age') || rcc.has('s-maxage') || responseHeaders.has('expires');
  if (!explicit && !rcc.has('public') && !HEURISTICALLY_CACHEABLE.has(status)) return 'not cacheable';
  return null;
}

/**
 * A date field by the HTTP-date grammar (RFC 9110 §5.6.7: IMF-fixdate, RFC 850, asctime, and
 * nothing else); NaN when absent or invalid. `now` places a two-digit RFC 850 year.
 */
function dateField(headers: Headers, name: string, now: number): number {
  const value = headers.get(name);
  return (value === null ? null : parseHttpDate(value, now)) ?? Number.NaN;
}

/**
 * Freshness lifetime in seconds (§4.2.1), with `heuristic` set when it came from §4.2.2 or
 * the configured default.
 */
export function freshnessLifetime(
  status: number,
  headers: Headers,
  rcc: Directives,
  responseTime: number,
  settings: FreshnessSettings,
): { lifetime: number; heuristic: boolean } {
  const sMaxAge = deltaSeconds(rcc, 's-maxage');
  if (sMaxAge !== undefined) return { lifetime: Number.isNaN(sMaxAge) ? 0 : sMaxAge, heuristic: false };
  const maxAge = deltaSeconds(rcc, 'max-age');
  if (maxAge !== undefined) return { lifetime: Number.isNaN(maxAge) ? 0 : maxAge, heuristic: false };
  if (headers.has('expires')) {
    // §5.3: an invalid Expires (e.g. "0", "UTC" for "GMT", two dates) means already expired.
    const expires = dateField(headers, 'expires', responseTime);
    if (Number.isNaN(expires)) return { lifetime: 0, heuristic: false };
    const date = dateField(headers, 'date', responseTime);
    const base = Number.isNaN(date) ? responseTime : date;
    return { lifetime: Math.max(0, Math.floor((expires - base) / 1000)), heuristic: false };
  }
  if (!HEURISTICALLY_CACHEABLE.has(status) && !rcc.has('public')) return { lifetime: 0, heuristic: false };
  const lastModified = dateField(headers, 'last-modified', responseTime);
  const negative = status === 404 || status === 405 || status === 410 || status === 414 || status === 501;
  if (!Number.isNaN(lastModified)) {
    // §4.2.2: a typical heuristic is 10% of the time since Last-Modified.
    const date = dateField(headers, 'date', responseTime);
    const base = Number.isNaN(date) ? responseTime : date;
    const tenth = Math.max(0, Math.floor((base - lastModified) / 10_000));
    return { lifetime: Math.min(tenth, settings.heuristicMax), heuristic: true };
  }
  const fallback = negative ? Math.min(settings.negativeTtl, settings.defaultTtl) : settings.defaultTtl;
  return { lifetime: fallback, heuristic: true };
}

/** The age bookkeeping of §4.2.3, computed once when a response is received. */
export function correctedInitialAge(headers: Headers, requestTime: number, responseTime: number): number {
  const date = dateField(headers, 'date', responseTime);
  const apparentAge = Number.isNaN(date) ? 0 : Math.max(0, (responseTime - date) / 1000);
  // §5.1: the first member of a list; an Age that is not delta-seconds (5s, 1e3, 30.5) is ignored.
  const ageValue = parseAge(headers.get('age')) ?? 0;
  const responseDelay = Math.max(0, (responseTime - requestTime) / 1000);
  return Math.max(apparentAge, ageValue + responseDelay);
}

/** The stored facts about a cached response that the freshness decisions need. */
export interface EntryTimes {
  /** Seconds of age when it was received (§4.2.3 corrected_initial_age). */
  initialAge: number;
  /** When it was received (ms). */
  responseTime: number;
  /** §4.2.1 freshness lifetime (s). */
  lifetime: number;
  /** RFC 5861 windows (s), 0 when absent or forbidden. */
  staleWhileRevalidate: number;
  staleIfError: number;
  /** must-revalidate, proxy-revalidate or s-maxage: never served stale (§4.2.4, §5.2.2.2). */
  mustRevalidate: boolean;
  /** Response no-cache: every reuse needs validation (§5.2.2.4). */
  noCache: boolean;
  /** An absolute cap on use (ms), e.g. a pushed file's expiry. */
  expiresAt?: number;
}

/** §4.2.3 current_age in whole seconds. */
function currentAge(t: EntryTimes, now: number): number {
  return Math.floor(t.initialAge + Math.max(0, now - t.responseTime) / 1000);
}

/** Seconds of freshness left (negative once stale). */
export function ttlLeft(t: EntryTimes, now: number): number {
  let ttl = t.lifetime - currentAge(t, now);
  if (t.expiresAt !== undefined) ttl = Math.min(ttl, Math.floor((t.expiresAt - now) / 1000));
  return ttl;
}

/** The request's own Cache-Control constraints (§5.2.1). */
export interface RequestConstraints {
  noCache: boolean;
  maxAge?: number;
  maxStale?: number;
  minFresh?: number;
  onlyIfCached: boolean;
  staleIfError?: number;
}

/** Reads a request's Cache-Control (and `Pragma: no-cache` when there is no Cache-Control, §5.4). */
export function requestConstraints(headers: Headers): RequestConstraints {
  const cc = headers.get('cache-control');
  const d = parseCacheControl(cc);
  const num = (name: string): number | undefined => {
    const v = deltaSeconds(d, name);
    return v === undefined || Number.isNaN(v) ? undefined : v;
  };
  const maxStaleRaw = d.get('max-stale');
  return {
    noCache: d.has('no-cache') || (!cc && /(^|,)\s*no-cache\s*(,|$)/i.test(headers.get('pragma') ?? '')),
    maxAge: num('max-age'),
    maxStale: maxStaleRaw === true ? DELTA_SECONDS_MAX : num('max-stale'),
    minFresh: num('min-fresh'),
    onlyIfCached: d.has('only-if-cached'),
    staleIfError: num('stale-if-error'),
  };
}

/** How a stored entry may be used for this request. */
export type Reuse = { kind: 'fresh' } | { kind: 'stale-while-revalidate' } | { kind: 'validate'; reason: 'stale' | 'request' | 'no-cache' };

/** Decides whether a stored entry can be served as is (§4.2, §4.3, RFC 5861 §3). */
export function decideReuse(t: EntryTimes, req: RequestConstraints, now: number): Reuse {
  if (t.expiresAt !== undefined && now >= t.expiresAt) return { kind: 'validate', reason: 'stale' };
  if (req.noCache) return { kind: 'validate', reason: 'request' };
  if (t.noCache) return { kind: 'validate', reason: 'no-cache' };
  const age = currentAge(t, now);
  if (req.maxAge !== undefined && age > req.maxAge) return { kind: 'validate', reason: 'request' };
  const ttl = t.lifetime - age;
  if (req.minFresh !== undefined && ttl < req.minFresh) return { kind: 'validate', reason: 'request' };
  if (ttl > 0) return { kind: 'fresh' };
  if (t.mustRevalidate) return { kind: 'validate', reason: 'stale' };
  if (req.maxStale !== undefined && -ttl <= req.maxStale) return { kind: 'fresh' };
  if (-ttl < t.staleWhileRevalidate) return { kind: 'stale-while-revalidate' };
  return { kind: 'validate', reason: 'stale' };
}

/** Whether a stale entry may stand in for an origin error (RFC 5861 §4; request stale-if-error too). */
export function mayServeStaleOnError(t: EntryTimes, req: RequestConstraints, now: number): boolean {
  // must-revalidate and no-cache (§5.2.2.2, §5.2.2.4): never reused without a successful validation.
  if (t.mustRevalidate || t.noCache) return false;
  if (t.expiresAt !== undefined && now >= t.expiresAt) return false;
  const staleFor = -(t.lifetime - currentAge(t, now));
  const window = Math.max(t.staleIfError, req.staleIfError ?? 0);
  return staleFor <= window;
}

/** Reads the windows and flags of an entry from the response's Cache-Control. */
export function entryPolicy(rcc: Directives): Pick<EntryTimes, 'staleWhileRevalidate' | 'staleIfError' | 'mustRevalidate' | 'noCache'> {
  const mustRevalidate = rcc.has('must-revalidate') || rcc.has('proxy-revalidate') || rcc.has('s-maxage');
  const num = (name: string): number => {
    const v = deltaSeconds(rcc, name);
    return v === undefined || Number.isNaN(v) ? 0 : v;
  };
  return {
    staleWhileRevalidate: mustRevalidate ? 0 : num('stale-while-revalidate'),
    staleIfError: mustRevalidate ? 0 : num('stale-if-error'),
    mustRevalidate,
    // An unqualified no-cache forces validation; a qualified one only strips the named fields.
    noCache: rcc.get('no-cache') === true,
  };
}
