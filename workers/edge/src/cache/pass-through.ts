/**
 * Every method the cache does not serve passes through to the origin, body and all, and is
 * never cached; a successful unsafe one invalidates what this location holds for its URI
 * (RFC 9111 §4.4).
 */
import { primaryKey } from '../cache-key';
import { TARGETED_CACHE_CONTROL } from '../freshness';
import { fetchOrigin, OriginError } from '../origin';
import type { CacheSettings } from '../settings';
import { originErrorResponse } from './answer';
import { formatCacheStatus } from './cache-status';
import { systemClock, type Clock } from './clock';
import { thisIsolate, type IsolateState } from './isolate';
import { TieredCache } from './tiers';

/** What a pass-through needs of the Worker. */
export interface PassThroughDeps {
  originUrl: string;
  settings: CacheSettings;
  clientIp: string | null;
  isolate: IsolateState;
  clock: Clock;
}

/** Forwards a request the cache does not serve to the origin and passes its answer on (Cache-Status `fwd=method`). */
export async function passThrough(request: Request, deps: PassThroughDeps): Promise<Response> {
  const url = new URL(request.url);
  try {
    const res = await fetchOrigin(deps.originUrl, url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      timeoutMs: deps.settings.originTimeoutMs,
      clientIp: deps.clientIp,
    });
    if (request.method !== 'OPTIONS' && request.method !== 'TRACE') await invalidateAfterUnsafe(url, res, deps);
    const headers = new Headers(res.headers);
    for (const name of ['cache-tag', 'surrogate-key', 'surrogate-control', ...TARGETED_CACHE_CONTROL]) headers.delete(name);
    headers.set('cache-status', formatCacheStatus({ fwd: 'method', fwdStatus: res.status }));
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  } catch (err) {
    if (err instanceof OriginError) return originErrorResponse(err, { fwd: 'method' });
    throw err;
  }
}

/**
 * RFC 9111 §4.4: a successful unsafe request invalidates the target URI and same-host
 * Location / Content-Location. Deleting the primary key (entry or Vary marker) from this
 * location's cache makes every variant unreachable at once.
 */
async function invalidateAfterUnsafe(requestUrl: URL, response: Response, deps: PassThroughDeps): Promise<void> {
  if (response.status < 200 || response.status >= 400) return;
  const urls = [requestUrl];
  for (const name of ['location', 'content-location']) {
    const v = response.headers.get(name);
    if (!v) continue;
    try {
      const u = new URL(v, requestUrl);
      if (u.host === requestUrl.host) urls.push(u);
    } catch {
      /* not a URL: nothing to invalidate */
    }
  }
  await deleteLocally(urls, deps.settings, deps.isolate, deps.clock);
}

/** Deletes URLs from this location's cache at once (a purge reaches other locations through the purge log). */
export async function deleteLocally(urls: URL[], settings: CacheSettings, isolate = thisIsolate, clock = systemClock): Promise<void> {
  const tiers = new TieredCache(isolate, settings, clock, () => undefined);
  await Promise.all(urls.map((u) => tiers.delete(primaryKey(u, settings.isIgnored))));
}
