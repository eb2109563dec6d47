/**
 * Cache keys: the normalised URL (path normalised, sorted query, ignored parameters dropped) and, for
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

/** RFC 3986 §2.3 unreserved characters: their percent-encodings are the same URL (§6.2.2.2). */
const UNRESERVED = /[A-Za-z0-9\-._~]/;
/** RFC 3986 §3.3 characters a path segment may hold as they are (pchar without pct-encoded), and `/`. */
const PATH_CHAR = /[A-Za-z0-9\-._~!$&'()*+,;=:@/]/;
const HEX = '0123456789ABCDEF';

/** Percent-encodes a string as UTF-8, with uppercase hex (RFC 3986 §2.1). */
function percentEncode(text: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(text)) out += '%' + HEX[byte >> 4] + HEX[byte & 15];
  return out;
}

/**
 * The normal form of a URL path (RFC 3986 §6.2.2), so that every spelling of one path is one
 * cache key, one purge and one pushed file: percent-encodings of unreserved characters are
 * decoded (`/%73tale.txt` is `/stale.txt`, `index%2Ehtml` is `index.html`), the others get
 * uppercase hex (`%c3%a9` is `%C3%A9`), and characters a path may not hold as they are (which
 * the URL parser leaves, such as `|`, `^` or a `%` not followed by two hex digits) are
 * percent-encoded, their only valid spelling. Reserved characters keep their spelling: `%2F`
 * and `/`, `%2B` and `+` stay apart (§2.2). Idempotent, and unchanged by the URL parser.
 */
export function normalisedPath(path: string): string {
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i];
    if (ch === '%' && /^[0-9A-Fa-f]{2}$/.test(path.slice(i + 1, i + 3))) {
      const decoded = String.fromCharCode(parseInt(path.slice(i + 1, i + 3), 16));
      out += UNRESERVED.test(decoded) ? decoded : '%' + path.slice(i + 1, i + 3).toUpperCase();
      i += 2;
    } else if (PATH_CHAR.test(ch)) {
      out += ch;
    } else {
      const code = path.codePointAt(i) ?? 0;
      const whole = code > 0xffff ? path.slice(i, i + 2) : ch;
      out += percentEncode(whole);
      i += whole.length - 1;
    }
  }
  return out;
}

/**
 * A purge prefix in the normal form of {@link normalisedPath}; an escape cut short at its end
 * (`/caf%C`) is kept, its hex uppercased, so that it still prefixes the paths it began.
 */
export function normalisedPathPrefix(prefix: string): string {
  const cut = /%[0-9A-Fa-f]?$/.exec(prefix);
  if (!cut) return normalisedPath(prefix);
  return normalisedPath(prefix.slice(0, cut.index)) + cut[0].toUpperCase();
}

/**
 * The URL path a pushed file is served at: its name with `%` and every character a path may
 * not hold as it is (`?`, `#`, space, non-ASCII …) percent-encoded, in {@link normalisedPath}'s form.
 */
export function pathOfName(name: string): string {
  return normalisedPath(name.replace(/%/g, '%25'));
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
function forwardedQuery(search: string, isIgnored: (name: string) => boolean): string {
  if (search.length <= 1) return '';
  const pairs = search.slice(1).split('&');
  const kept = pairs.filter((pair) => pair === '' || !isIgnoredPair(pair, isIgnored));
  if (kept.length === pairs.length) return search;
  return kept.some((pair) => pair !== '') ? '?' + kept.join('&') : '';
}

/**
 * The URL a GET or HEAD is cached and fetched under: scheme, host, the {@link normalisedPath}
 * and the {@link forwardedQuery}. Every key, purge and upstream request starts from it.
 */
export function canonicalUrl(url: URL, isIgnored: (name: string) => boolean): string {
  return `${url.protocol}//${url.host}${normalisedPath(url.pathname)}${forwardedQuery(url.search, isIgnored)}`;
}

/**
 * The primary cache key: scheme, host, normalised path and the normalised query. Fragment never takes part.
 */
export function primaryKey(url: URL, isIgnored: (name: string) => boolean): string {
  return `${url.protocol}//${url.host}${normalisedPath(url.pathname)}${normalisedQuery(url.search, isIgnored)}`;
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

/**
 * Accept-Language as the cache key sees it (RFC 9111 §4.1 allows normalising): language ranges are
 * case-insensitive (RFC 4647 §2.1) and members of equal weight carry no order (RFC 9110 §12.4.2), so
 * the list is lowercased, each weight written once (`q=1` when absent or invalid) and the members
 * sorted by weight, then by range: `en-US,fr;q=0.5` and ` FR;q=0.5 , en-us` are one variant.
 */
export function normaliseAcceptLanguage(value: string | null): string {
  if (value === null) return '';
  const members: Array<{ range: string; q: number }> = [];
  for (const part of value.toLowerCase().split(',')) {
    const [range = '', ...params] = part.split(';').map((x) => x.trim());
    if (range === '') continue;
    let q = 1;
    for (const p of params) {
      const m = /^q=(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.exec(p);
      if (m) q = Number(m[1]);
    }
    members.push({ range, q });
  }
  members.sort((a, b) => b.q - a.q || (a.range < b.range ? -1 : a.range > b.range ? 1 : 0));
  return members.map((m) => `${m.range};q=${m.q}`).join(',');
}

/** The value of one request header as the cache key sees it (§4.1: whitespace and case of the list folded). */
export function normalisedHeader(headers: Headers, name: string): string {
  if (name === 'accept-encoding') return normaliseAcceptEncoding(headers.get(name));
  if (name === 'accept-language') return normaliseAcceptLanguage(headers.get(name));
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
