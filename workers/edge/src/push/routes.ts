/**
 * Per-prefix routing between the push store and the pull cache (docs/push.md, "Serving").
 * `ROUTES` is a JSON object of path prefix → mode; the longest matching prefix wins and a
 * path no prefix matches is `hybrid` (pushed content wins, else pull from the origin).
 */

/** How a path is served. */
export type RouteMode = 'push' | 'pull' | 'hybrid';

const MODES: readonly RouteMode[] = ['push', 'pull', 'hybrid'];

/** The default when no prefix matches. */
const DEFAULT_ROUTE: RouteMode = 'hybrid';

/** A parsed route table: prefixes sorted longest first. */
export type RouteTable = ReadonlyArray<readonly [prefix: string, mode: RouteMode]>;

/**
 * Parses the `ROUTES` var (read once per env by ./settings). Throws an Error naming the problem
 * on invalid JSON, a non-object, a prefix not starting with `/`, or an unknown mode, so a
 * misconfiguration fails loudly.
 */
export function parseRoutes(routesJson: string): RouteTable {
  if (routesJson.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(routesJson);
  } catch {
    throw new Error('ROUTES is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('ROUTES must be a JSON object of path prefix to "push" | "pull" | "hybrid"');
  }
  const table: Array<[string, RouteMode]> = [];
  for (const [prefix, mode] of Object.entries(parsed as Record<string, unknown>)) {
    if (!prefix.startsWith('/')) throw new Error(`ROUTES prefix ${JSON.stringify(prefix)} must start with "/"`);
    if (typeof mode !== 'string' || !MODES.includes(mode as RouteMode)) {
      throw new Error(`ROUTES mode for ${JSON.stringify(prefix)} must be one of push, pull, hybrid`);
    }
    table.push([prefix, mode as RouteMode]);
  }
  table.sort((a, b) => b[0].length - a[0].length);
  return table;
}

/** The mode for a request path: the longest prefix of `table` that the path starts with, else {@link DEFAULT_ROUTE}. */
export function routeFor(pathname: string, table: RouteTable): RouteMode {
  for (const [prefix, mode] of table) {
    if (pathname.startsWith(prefix)) return mode;
  }
  return DEFAULT_ROUTE;
}
