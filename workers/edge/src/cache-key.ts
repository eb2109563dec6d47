/**
 * Cache keys: the normalised URL (sorted query, ignored parameters dropped) and, for
 * responses that Vary, the values of the named request headers folded in, because the
 * Cache API itself ignores Vary.
 */

/** Compiles `IGNORED_QUERY_PARAMS` ("utm_*,fbclid") into a predicate on parameter names. */
export function ignoredParams(spec: string | undefined): (name: string) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const raw of (spec ?? '').split(',')) {
    const p = raw.trim().toLowerCase();
    if (!p) continue;
    if (p.endsWith('*')) prefixes.push(p.slice(0, -1));
    else exact.add(p);
  }
  return (name) => {
    const n = name.toLowerCase();
    return exact.has(n) || prefixes.some((p) => n.startsWith(p));
  };
}

/** Whether a raw query pair (`name=value`, never decoded) names an ignored parameter; its name is read as a form decodes it. */
function isIgnoredPair(pair: string, isIgnored: (name: string) => boolean): boolean {
  const eq = pair.indexOf('=');
  const rawName = eq < 0 ? pair : pair.slice(0, eq);
  let name = rawName;
  try {
    name = decodeURIComponent(rawName.replace(/\+/g, ' '));
  } catch {
    /* keep the raw name */
  }
  return isIgnored(name);
}

/**
 * The query of a URL with its pairs sorted by name (stable for equal names) and ignored
 * parameters removed, byte for byte as sent: pairs are never decoded and re-encoded, so
 * `?q=%FE` and `?q=%FF` stay different keys.
 */
export function normalisedQuery(search: string, isIgnored: (name: string) => boolean): string {
  if (search.length <= 1) return '';
  const pairs = search
    .slice(1)
    .split('&')
    .filter((pair) => pair !== '' && !isIgnoredPair(pair, isIgnored));
  const nameOf = (pair: string): string => {
    const eq = pair.indexOf('=');
    return eq < 0 ? pair : pair.slice(0, eq);
  };
  pairs.sort((a, b) => {
    const na = nameOf(a);
    const nb = nameOf(b);
    return na < nb ? -1 : na > nb ? 1 : 0;
  });
  return pairs.length > 0 ? '?' + pairs.join('&') : '';
}

/**
 * The query sent upstream: ignored parameters removed (they are not in the cache key, so an
 * origin that echoed them would have its answer served to every other query), the other
 * pairs in their order, byte for byte.
 */
export function forwardedQuery(search: string, isIgnored: (name: string) => boolean): string {
  if (search.length <= 1) return '';
  const pairs = search.slice(1).split('&');
  const kept = pairs.filter((pair) => pair === '' || !isIgnoredPair(pair, isIgnored));
  if (kept.length === pairs.length) return search;
  return kept.some((pair) => pair !== '') ? '?' + kept.join('&') : '';
}

/**
 * The URL a GET or HEAD is cached and fetched under: scheme, host, path and the
 * {@link forwardedQuery}. Every key, purge and upstream request starts from it.
 */
export function canonicalUrl(url: URL, isIgnored: (name: string) => boolean): string {
  return `${url.protocol}//${url.host}${url.pathname}${forwardedQuery(url.search, isIgnored)}`;
}

/**
 * The primary cache key: scheme, host, path and the normalised query. Fragment never takes part.
 */
export function primaryKey(url: URL, isIgnored: (name: string) => boolean): string {
  return `${url.protocol}//${url.host}${url.pathname}${normalisedQuery(url.search, isIgnored)}`;
}

/** Field names listed by a Vary header, lower-cased, sorted, without duplicates. */
export function varyNames(vary: string | null): string[] {
  if (!vary) return [];
  return [
    ...new Set(
      vary
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
    ),
  ].sort();
}

/**
 * Normalises Accept-Encoding to the one coding an origin would pick, so that the hundreds of
 * browser spellings of it make at most three variants.
 */
export function normaliseAcceptEncoding(value: string | null): string {
  if (!value) return 'identity';
  const accepted = new Map<string, number>();
  for (const part of value.toLowerCase().split(',')) {
    const [coding, ...params] = part.trim().split(';');
    let q = 1;
    for (const p of params) {
      const m = /^\s*q=([0-9.]+)\s*$/.exec(p);
      if (m) q = Number(m[1]);
    }
    if (coding) accepted.set(coding.trim(), q);
  }
  const ok = (c: string): boolean => (accepted.get(c) ?? accepted.get('*') ?? 0) > 0;
  if (ok('br')) return 'br';
  if (ok('gzip')) return 'gzip';
  return 'identity';
}

/** The value of one request header as the cache key sees it (§4.1: whitespace and case of the list folded). */
export function normalisedHeader(headers: Headers, name: string): string {
  if (name === 'accept-encoding') return normaliseAcceptEncoding(headers.get(name));
  const v = headers.get(name);
  return v === null
    ? ''
    : v
        .split(',')
        .map((s) => s.trim())
        .join(',');
}

/** The secondary key for a response that varies on `names`. */
export function variantKey(primary: string, names: string[], headers: Headers): string {
  const parts = names.map((n) => `${n}=${encodeURIComponent(normalisedHeader(headers, n))}`);
  return `${primary}${primary.includes('?') ? '&' : '?'}pushpull-vary=${encodeURIComponent(parts.join('&'))}`;
}
