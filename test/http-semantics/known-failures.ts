/**
 * Rows that fail on today's servers (issue 13, measured on main at 7232f0e): each runs as
 * `it.fails`, so it passes while the bug is there and fails the day it is fixed; the fix then
 * deletes its row here. Keyed by target (a server, or a path through the edge), then by case id
 * (replay.test.ts), behaviour (edge-cache.test.ts) or extension (content-types.test.ts).
 */

const KNOWN_FAILURES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'edge cache': {
    'passes an unknown method (M-SEARCH) to the origin and invalidates after its success':
      'workerd answers 501 "Unrecognized request method" before the Worker runs: its HTTP server knows a fixed list of methods ' +
      '(cloudflare/workerd#6877); not fixable in the Worker',
  },
};

/** Why a row is known to fail on a target, or undefined when it must pass. */
export function knownFailure(target: string, row: string): string | undefined {
  return KNOWN_FAILURES[target]?.[row];
}
