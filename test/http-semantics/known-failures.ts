/**
 * Rows that fail on today's servers (issue 13, measured on main at 7232f0e): each runs as
 * `it.fails`, so it passes while the bug is there and fails the day it is fixed; the fix then
 * deletes its row here. Keyed by target (a server, or a path through the edge), then by case id
 * (replay.test.ts), behaviour (edge-cache.test.ts) or extension (content-types.test.ts).
 */

// Why, in one line each.
const CONTENT_LENGTH_LOST = 'no Content-Length: the answer goes out chunked';
const LENIENT_DATE = 'an invalid HTTP-date is read as a date (Date.parse)';
const EMPTY_SUFFIX_206 = 'answers 206 with Content-Range: bytes 0--1/0';
const NOT_COALESCED = 'overlapping, adjacent or repeated ranges each go as a multipart part (16 copies for bytes=0- x 16)';

/** Every server reads these invalid dates as dates (If-Modified-Since / If-Unmodified-Since). */
const INVALID_DATES_READ: Readonly<Record<string, string>> = {
  'ims-invalid-utc': LENIENT_DATE,
  'ims-invalid-no-comma': LENIENT_DATE,
  'ims-invalid-dashes': LENIENT_DATE,
  'ims-invalid-spaces': LENIENT_DATE,
  'ims-invalid-lowercase': LENIENT_DATE,
  'ius-invalid-utc': LENIENT_DATE,
};

/** The edge's single-range 206s go out chunked, on a miss and on a hit. */
const SINGLE_RANGES_UNFRAMED: Readonly<Record<string, string>> = {
  'range-first-last': CONTENT_LENGTH_LOST,
  'range-open-ended': CONTENT_LENGTH_LOST,
  'range-suffix': CONTENT_LENGTH_LOST,
  'range-suffix-longer': CONTENT_LENGTH_LOST,
  'range-past-end-clamped': CONTENT_LENGTH_LOST,
  'range-unit-case': CONTENT_LENGTH_LOST,
  'range-drops-unsatisfiable': CONTENT_LENGTH_LOST,
  'if-range-etag': CONTENT_LENGTH_LOST,
  'if-range-date': CONTENT_LENGTH_LOST,
};

/** Whole 200s the edge answers on a miss go out chunked, pulled and pushed alike. */
const WHOLE_ON_A_MISS_UNFRAMED: Readonly<Record<string, string>> = {
  'get-full': CONTENT_LENGTH_LOST,
  'get-empty': CONTENT_LENGTH_LOST,
  'inm-other': CONTENT_LENGTH_LOST,
  'inm-unquoted': CONTENT_LENGTH_LOST,
  'inm-miss-ignores-ims': CONTENT_LENGTH_LOST,
  'ims-earlier': CONTENT_LENGTH_LOST,
  'ims-two-members': CONTENT_LENGTH_LOST,
  'im-match': CONTENT_LENGTH_LOST,
  'im-star': CONTENT_LENGTH_LOST,
  'im-list': CONTENT_LENGTH_LOST,
  'ius-equal': CONTENT_LENGTH_LOST,
  'ius-invalid': CONTENT_LENGTH_LOST,
  'im-beats-ius': CONTENT_LENGTH_LOST,
  'range-reversed': CONTENT_LENGTH_LOST,
  'range-garbage': CONTENT_LENGTH_LOST,
  'range-other-unit': CONTENT_LENGTH_LOST,
  'range-parts-past-limit': CONTENT_LENGTH_LOST,
  'if-range-other-etag': CONTENT_LENGTH_LOST,
  'if-range-weak-form': CONTENT_LENGTH_LOST,
  'if-range-other-date': CONTENT_LENGTH_LOST,
  'if-range-without-range': CONTENT_LENGTH_LOST,
};

/** The edge answering from its cache (memory tier or Cache API), pulled and pushed alike. */
const ON_A_HIT: Readonly<Record<string, string>> = {
  ...SINGLE_RANGES_UNFRAMED,
  ...INVALID_DATES_READ,
  'range-overlapping-coalesced': NOT_COALESCED,
  'range-adjacent-coalesced': NOT_COALESCED,
  'range-repeated-coalesced': NOT_COALESCED,
  'range-empty-suffix': EMPTY_SUFFIX_206,
};

/** The edge on a miss, pulled and pushed alike (the push store itself answers right: target 'push store'). */
const ON_A_MISS: Readonly<Record<string, string>> = { ...WHOLE_ON_A_MISS_UNFRAMED, ...ON_A_HIT };

const KNOWN_FAILURES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'edge miss': {
    ...ON_A_MISS,
    // Fixtures only the scripted origin serves.
    'ims-without-last-modified': CONTENT_LENGTH_LOST,
    'if-range-weak-representation': CONTENT_LENGTH_LOST,
    'if-range-no-validators': CONTENT_LENGTH_LOST,
  },
  'edge hit (memory)': ON_A_HIT,
  'edge hit (Cache API)': ON_A_HIT,
  'push miss': ON_A_MISS,
  'push hit (memory)': ON_A_HIT,
  'push hit (Cache API)': ON_A_HIT,
  'edge cache': {
    'serves an origin 204 with explicit freshness as a 204, and reuses it': 'the first answer is a 500',
    'must-understand: reuses a status it implements despite no-store': 'must-understand is not implemented: no-store wins',
    'a 304 carrying Set-Cookie refreshes the stored response (200, stored body), the cookie for this client only':
      'the merged response is unstorable, so every request revalidates and every client gets the cookie',
    'keeps the stored body length after a 304 refresh': CONTENT_LENGTH_LOST,
    'treats as already expired an Expires in utc form': LENIENT_DATE,
    'treats as already expired an Expires in no-comma form': LENIENT_DATE,
    'treats as already expired an Expires in dashes form': LENIENT_DATE,
    'treats as already expired an Expires in double-space form': LENIENT_DATE,
    'treats as already expired an Expires in lowercase form': LENIENT_DATE,
    'treats as already expired an Expires in one-digit-hour form': LENIENT_DATE,
    'ignores an Age in exponent notation (1e3) instead of reading 1000 s':
      'Age is read with Number(): 1e3 is 1000 s, so the entry is stale at once',
    'ignores a fractional Age (30.5)': 'Age is read with Number(): 30.5 is used',
    'uses the first member of a list-valued Age (100, 10)': 'Number("100, 10") is NaN, so Age is dropped instead of 100 used',
    'uses the first of two Age field lines': 'two lines arrive as "100, 10": dropped instead of 100 used',
    'passes an unknown method (M-SEARCH) to the origin and invalidates after its success': 'answers 501',
    'CDN-Cache-Control max-age wins over Cache-Control no-store': 'CDN-Cache-Control is ignored',
    'CDN-Cache-Control no-store wins over Cache-Control max-age': 'CDN-Cache-Control is ignored',
    'CDN-Cache-Control private wins over Cache-Control max-age': 'CDN-Cache-Control is ignored',
    'CDN-Cache-Control no-cache wins over Cache-Control max-age': 'CDN-Cache-Control is ignored',
    'does not forward CDN-Cache-Control to clients': 'CDN-Cache-Control is forwarded',
    'Pushpull-Cache-Control wins over CDN-Cache-Control and is not forwarded': 'Pushpull-Cache-Control is not implemented',
    'equivalent Accept-Language values (case, order, whitespace) share one variant': 'Accept-Language is keyed as sent: two variants',
  },
};

/** Why a row is known to fail on a target, or undefined when it must pass. */
export function knownFailure(target: string, row: string): string | undefined {
  return KNOWN_FAILURES[target]?.[row];
}
