/**
 * Chooses what answers a cache miss for a path, by its `ROUTES` mode (docs/push.md, "Serving"):
 * `push` → the push store only (404 when not pushed), `pull` → the origin only,
 * `hybrid` → pushed content wins, else the origin.
 */
import type { Upstream } from '../cache';
import { routeFor, type RouteMode } from './routes';
import { fetchPushed } from './serve';
import { pushSettings } from './settings';
import type { PushEnv } from './store';

/** The 404 a `push` route answers for a path that is not pushed (or has expired). */
function notPushed(request: Request): Response {
  const path = new URL(request.url).pathname;
  return new Response(JSON.stringify({ error: 'not_found', message: `${path} is not pushed` }), {
    status: 404,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}

/** The upstream for a route mode, given the origin's upstream. */
function upstreamForMode(mode: RouteMode, env: PushEnv, origin: Upstream): Upstream {
  if (mode === 'pull') return origin;
  return async function pushedUpstream(request) {
    const pushed = await fetchPushed(request, env);
    if (pushed) return pushed;
    return mode === 'push' ? notPushed(request) : origin(request);
  };
}

/** The upstream for a request, by the `ROUTES` var. */
export function upstreamFor(request: Request, env: PushEnv & { ROUTES?: string }, origin: Upstream): Upstream {
  return upstreamForMode(routeFor(new URL(request.url).pathname, pushSettings(env).routes), env, origin);
}
