import { describe, expect, it } from 'vitest';
import {
  cachePolicyHeaders,
  correctedInitialAge,
  decideReuse,
  entryPolicy,
  freshnessLifetime,
  mayServeStaleOnError,
  parseCacheControl,
  requestConstraints,
  whyNotStorable,
  type EntryTimes,
} from '../../workers/edge/src/freshness';
import { normaliseAcceptEncoding, primaryKey, ignoredParams, variantKey } from '../../workers/edge/src/cache-key';
import { conditionalFields, evaluatePreconditions } from '@pushpull/http/semantics/preconditions';
import { evaluateRange } from '@pushpull/http/semantics/range';
import { originUrl } from '../../workers/edge/src/origin';
import { isPurged, type PurgeSnapshot } from '../../workers/edge/src/purge';

const settings = { defaultTtl: 60, negativeTtl: 10, heuristicMax: 86400 };
const H = (init: Record<string, string>): Headers => new Headers(init);

describe('parseCacheControl', () => {
  it('reads directives, quoted arguments and keeps the first of duplicates (RFC 9111 §4.2.1)', () => {
    const d = parseCacheControl('Max-Age=60, max-age=5, private="set-cookie, x-a", no-transform,s-maxage=7');
    expect(d.get('max-age')).toBe('60');
    expect(d.get('private')).toBe('set-cookie, x-a');
    expect(d.get('no-transform')).toBe(true);
    expect(d.get('s-maxage')).toBe('7');
  });
});

describe('freshnessLifetime', () => {
  it('treats an invalid max-age as stale and an invalid Expires as already expired', () => {
    expect(freshnessLifetime(200, H({}), parseCacheControl('max-age=abc'), Date.now(), settings).lifetime).toBe(0);
    expect(freshnessLifetime(200, H({ expires: '0' }), parseCacheControl(''), Date.now(), settings).lifetime).toBe(0);
  });
  it('computes Expires against Date, not the local clock', () => {
    const date = Date.parse('Tue, 01 Jan 2030 00:00:00 GMT');
    const h = H({ date: new Date(date).toUTCString(), expires: new Date(date + 300_000).toUTCString() });
    expect(freshnessLifetime(200, h, parseCacheControl(''), Date.now(), settings).lifetime).toBe(300);
  });
  it('reads Expires by the HTTP-date grammar: UTC for GMT or a two-digit RFC 850 year are not ISO dates', () => {
    const date = 'Tue, 01 Jan 2030 00:00:00 GMT';
    const lifetime = (expires: string): number =>
      freshnessLifetime(200, H({ date, expires }), parseCacheControl(''), Date.parse(date), settings).lifetime;
    expect(lifetime('Tue, 01 Jan 2030 00:05:00 UTC')).toBe(0);
    expect(lifetime('Tue, 01 Jan 2030 00:05:00 GMT, Tue, 01 Jan 2030 00:06:00 GMT')).toBe(0);
    expect(lifetime('Tuesday, 01-Jan-30 00:05:00 GMT')).toBe(300);
    expect(lifetime('Tue Jan  1 00:05:00 2030')).toBe(300);
  });
  it('gives a non-heuristically-cacheable status no freshness unless explicit or public', () => {
    expect(freshnessLifetime(302, H({}), parseCacheControl(''), Date.now(), settings).lifetime).toBe(0);
    expect(freshnessLifetime(302, H({}), parseCacheControl('public'), Date.now(), settings).lifetime).toBe(60);
  });
});

describe('correctedInitialAge (RFC 9111 §4.2.3)', () => {
  it('takes the larger of the apparent age and Age + response delay', () => {
    const now = Date.now();
    expect(correctedInitialAge(H({ date: new Date(now - 10_000).toUTCString() }), now - 1000, now)).toBeGreaterThanOrEqual(10);
    expect(correctedInitialAge(H({ age: '100' }), now - 2000, now)).toBe(102);
  });
  it('ignores an Age that is not delta-seconds and uses the first member of a list (RFC 9111 §5.1)', () => {
    const now = Date.now();
    for (const age of ['1e3', '30.5', '5s', '-1']) expect(correctedInitialAge(H({ age }), now, now)).toBe(0);
    expect(correctedInitialAge(H({ age: '100, 10' }), now, now)).toBe(100);
  });
});

describe('decideReuse', () => {
  const base: EntryTimes = {
    initialAge: 0,
    responseTime: 0,
    lifetime: 10,
    staleWhileRevalidate: 0,
    staleIfError: 0,
    mustRevalidate: false,
    noCache: false,
  };
  const none = requestConstraints(H({}));
  it('is fresh inside the lifetime and needs validation after it', () => {
    expect(decideReuse(base, none, 5_000).kind).toBe('fresh');
    expect(decideReuse(base, none, 11_000)).toEqual({ kind: 'validate', reason: 'stale' });
  });
  it('serves stale inside stale-while-revalidate, and never when must-revalidate', () => {
    expect(decideReuse({ ...base, staleWhileRevalidate: 30 }, none, 20_000).kind).toBe('stale-while-revalidate');
    const must = { ...base, ...entryPolicy(parseCacheControl('max-age=10, must-revalidate, stale-while-revalidate=30')) };
    expect(decideReuse(must, none, 20_000).kind).toBe('validate');
    expect(mayServeStaleOnError({ ...must, staleIfError: 100 }, none, 20_000)).toBe(false);
  });
  it('honours request max-stale and Pragma: no-cache', () => {
    expect(decideReuse(base, requestConstraints(H({ 'cache-control': 'max-stale=5' })), 12_000).kind).toBe('fresh');
    expect(decideReuse(base, requestConstraints(H({ pragma: 'no-cache' })), 1_000)).toEqual({ kind: 'validate', reason: 'request' });
  });
  it('lets a request stale-if-error widen the window', () => {
    expect(mayServeStaleOnError(base, requestConstraints(H({ 'cache-control': 'stale-if-error=60' })), 40_000)).toBe(true);
    expect(mayServeStaleOnError(base, none, 40_000)).toBe(false);
  });
});

describe('whyNotStorable', () => {
  it('refuses 206, no-store, private, Set-Cookie, Vary: * and credentials without explicit permission', () => {
    const ok = H({});
    expect(whyNotStorable(206, ok, H({ 'cache-control': 'max-age=1' }), parseCacheControl('max-age=1'))).toBe('status 206');
    expect(whyNotStorable(200, H({ authorization: 'x' }), ok, parseCacheControl('max-age=5'))).toBe('authorization');
    expect(whyNotStorable(200, H({ authorization: 'x' }), ok, parseCacheControl('s-maxage=5'))).toBeNull();
    expect(whyNotStorable(200, ok, H({ vary: 'accept, *' }), parseCacheControl(''))).toBe('vary-star');
  });
  it('must-understand: stores a status it understands despite no-store, never one it does not (RFC 9111 §5.2.2.3)', () => {
    const ok = H({});
    const cc = parseCacheControl('must-understand, no-store, max-age=60');
    expect(whyNotStorable(200, ok, ok, cc)).toBeNull();
    expect(whyNotStorable(404, ok, ok, cc)).toBeNull();
    expect(whyNotStorable(299, ok, ok, cc)).toBe('must-understand');
    expect(whyNotStorable(299, ok, ok, parseCacheControl('must-understand, max-age=60'))).toBe('must-understand');
    expect(whyNotStorable(299, ok, ok, parseCacheControl('max-age=60'))).toBeNull();
    expect(whyNotStorable(200, H({ 'cache-control': 'no-store' }), ok, cc)).toBe('request no-store');
  });
});

describe('cache keys', () => {
  it('sorts the query and drops ignored parameters', () => {
    const ignored = ignoredParams('utm_*,gclid');
    expect(primaryKey(new URL('https://h/p?z=1&a=2&utm_medium=x&gclid=1#frag'), ignored)).toBe('https://h/p?a=2&z=1');
    expect(primaryKey(new URL('https://h/p?utm_x=1'), ignored)).toBe('https://h/p');
  });
  it('folds the varying headers into the variant key', () => {
    const a = variantKey('https://h/p', ['accept-language'], H({ 'accept-language': 'en' }));
    const b = variantKey('https://h/p', ['accept-language'], H({ 'accept-language': 'fr' }));
    expect(a).not.toBe(b);
  });
  it('normalises Accept-Encoding to br, gzip or identity', () => {
    expect(normaliseAcceptEncoding('gzip, deflate, br')).toBe('br');
    expect(normaliseAcceptEncoding('br;q=0, gzip')).toBe('gzip');
    expect(normaliseAcceptEncoding('*;q=0')).toBe('identity');
    expect(normaliseAcceptEncoding(null)).toBe('identity');
  });
});

// The edge answers clients through @pushpull/http/semantics (tested there with its cases table);
// these pin what the edge relied on before it moved onto the module.
describe('conditionals and ranges', () => {
  const pre = (h: Record<string, string>, etag: string | null, lastModified: string | null): string =>
    evaluatePreconditions('GET', conditionalFields(H(h)), { etag, lastModified: lastModified === null ? null : Date.parse(lastModified) })
      .kind;
  it('uses weak comparison for If-None-Match and strong for If-Match', () => {
    expect(pre({ 'if-none-match': 'W/"a"' }, '"a"', null)).toBe('not-modified');
    expect(pre({ 'if-match': '"a"' }, 'W/"a"', null)).toBe('precondition-failed');
    expect(pre({ 'if-none-match': '"b"', 'if-modified-since': new Date().toUTCString() }, '"a"', 'Mon, 01 Jan 2001 00:00:00 GMT')).toBe(
      'proceed',
    );
  });
  it('parses byte ranges, suffixes and unsatisfiable ranges', () => {
    expect(evaluateRange('bytes=0-4', 10)).toEqual({ kind: 'satisfiable', ranges: [{ start: 0, end: 4 }] });
    expect(evaluateRange('bytes=-3', 10)).toEqual({ kind: 'satisfiable', ranges: [{ start: 7, end: 9 }] });
    expect(evaluateRange('bytes=8-', 10)).toEqual({ kind: 'satisfiable', ranges: [{ start: 8, end: 9 }] });
    expect(evaluateRange('bytes=10-12', 10)).toEqual({ kind: 'unsatisfiable' });
    expect(evaluateRange('items=0-1', 10).kind).toBe('ignore');
    expect(evaluateRange('bytes=5-2', 10).kind).toBe('ignore');
  });
});

describe('targeted cache-control fields (RFC 9213)', () => {
  const policy = (init: Record<string, string>): [string | null, string | null] => {
    const h = cachePolicyHeaders(H(init));
    return [h.get('cache-control'), h.get('expires')];
  };
  it('takes CDN-Cache-Control instead of Cache-Control, and ignores Expires then', () => {
    expect(policy({ 'cache-control': 'no-store', 'cdn-cache-control': 'max-age=60', expires: 'Mon, 05 Jan 2026 07:08:09 GMT' })).toEqual([
      'max-age=60',
      null,
    ]);
  });
  it('prefers Pushpull-Cache-Control to CDN-Cache-Control', () => {
    expect(policy({ 'cdn-cache-control': 'max-age=60', 'pushpull-cache-control': 'no-store' })[0]).toBe('no-store');
  });
  it('ignores an empty or invalid targeted field (not a structured dictionary)', () => {
    expect(policy({ 'cache-control': 'max-age=5', 'cdn-cache-control': '' })[0]).toBe('max-age=5');
    expect(policy({ 'cache-control': 'max-age=5', 'cdn-cache-control': 'Max-Age=60' })[0]).toBe('max-age=5');
    expect(policy({ 'cache-control': 'max-age=5', 'cdn-cache-control': 'max-age=60,,' })[0]).toBe('max-age=5');
    expect(policy({ 'cache-control': 'max-age=5', 'pushpull-cache-control': 'max-age=1 2', 'cdn-cache-control': 'no-cache' })[0]).toBe(
      'no-cache',
    );
  });
  it('reads parameters and quoted strings as valid', () => {
    expect(policy({ 'cdn-cache-control': 'max-age=60;x=1, private="set-cookie", stale-if-error=10' })[0]).toBe(
      'max-age=60;x=1, private="set-cookie", stale-if-error=10',
    );
  });
});

describe('originUrl', () => {
  it('keeps the configured host whatever the path says', () => {
    expect(originUrl('http://127.0.0.1:8080', new URL('http://edge//evil.example/x?q=1'))).toBe(
      'http://127.0.0.1:8080//evil.example/x?q=1',
    );
    expect(originUrl('https://o.example/base/', new URL('http://edge/a'))).toBe('https://o.example/base/a');
  });
});

describe('isPurged', () => {
  const snapshot = (prefixes: Record<string, number>): PurgeSnapshot => ({
    version: 1,
    everything: 0,
    urls: { '/a?x=1': 50 },
    prefixes,
    tags: { news: 70 },
  });
  it('matches URL, tag and prefix records by time', () => {
    const s = snapshot({ '/blog/': 60 });
    expect(isPurged(s, '/a?x=1', [], 40)).toBe(true);
    expect(isPurged(s, '/a?x=1', [], 51)).toBe(false);
    expect(isPurged(s, '/blog/post', [], 59)).toBe(true);
    expect(isPurged(s, '/blog/post', [], 61)).toBe(false);
    expect(isPurged(s, '/other', ['NEWS'], 69)).toBe(true);
  });
  it('finds a prefix the same way when there are more prefixes than characters in the key', () => {
    const many: Record<string, number> = {};
    for (let i = 0; i < 500; i++) many[`/p${i}/`] = 10;
    many['/bl'] = 60;
    const s = snapshot(many);
    expect(isPurged(s, '/blog/x', [], 59)).toBe(true);
    expect(isPurged(s, '/blog/x', [], 61)).toBe(false);
    expect(isPurged(s, '/p7/y', [], 9)).toBe(true);
    expect(isPurged(s, '/q/y', [], 1)).toBe(false);
  });
});
