/**
 * Rows that fail on today's servers (issue 13, measured on main at 7232f0e): each runs as
 * `it.fails`, so it passes while the bug is there and fails the day it is fixed; the fix then
 * deletes its row here. Keyed by target (a server, or a path through the edge), then by case id
 * (replay.test.ts), behaviour (edge-cache.test.ts) or extension (content-types.test.ts).
 */

// Why, in one line each.
const LENIENT_DATE = 'an invalid HTTP-date is read as a date (Date.parse)';

const KNOWN_FAILURES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'edge cache': {
    'must-understand: reuses a status it implements despite no-store': 'must-understand is not implemented: no-store wins',
    'a 304 carrying Set-Cookie refreshes the stored response (200, stored body), the cookie for this client only':
      'the merged response is unstorable, so every request revalidates and every client gets the cookie',
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
    'passes an unknown method (M-SEARCH) to the origin and invalidates after its success':
      'workerd answers 501 "Unrecognized request method" before the Worker runs: its HTTP server knows a fixed list of methods (cloudflare/workerd#6877); not fixable in the Worker',
    'equivalent Accept-Language values (case, order, whitespace) share one variant': 'Accept-Language is keyed as sent: two variants',
  },
};

/** Why a row is known to fail on a target, or undefined when it must pass. */
export function knownFailure(target: string, row: string): string | undefined {
  return KNOWN_FAILURES[target]?.[row];
}
