/**
 * The edge Worker: the pull CDN (Cache API in front of ORIGIN_URL) and the edge's own API
 * under /_cache (purge). Routes only; the logic lives in the modules named for it.
 */
import { Hono } from 'hono';
import { jsonErrorHandler, jsonNotFound } from '@pushpull/http/errors';
import { formatCacheStatus, invalidateAfterUnsafe, originErrorResponse, serveCached, type Upstream } from './cache';
import { cacheSettings, type CacheSettings } from './settings';
import { fetchOrigin, OriginError } from './origin';
import { cacheApi } from './purge-api';
import { pushApi } from './push/api';
import { upstreamFor } from './push/upstream';

export { PurgeLog } from './purge';

const app = new Hono<{ Bindings: Env }>();
app.onError(jsonErrorHandler);

app.route('/_cache', cacheApi);
app.all('/_cache/*', jsonNotFound);
app.route('/_push', pushApi);

/** The pull upstream: the configured origin, and only it. */
function originUpstream(env: Env, settings: CacheSettings, clientIp: string | null): Upstream {
  return (request) =>
    fetchOrigin(env.ORIGIN_URL, new URL(request.url), {
      method: 'GET',
      headers: request.headers,
      timeoutMs: settings.originTimeoutMs,
      clientIp,
    });
}

app.on(['GET', 'HEAD'], '*', (c) => {
  const settings = cacheSettings(c.env);
  return serveCached(c.req.raw, {
    env: c.env,
    settings,
    waitUntil: (p) => c.executionCtx.waitUntil(p),
    upstream: upstreamFor(c.req.raw, c.env, originUpstream(c.env, settings, c.req.header('cf-connecting-ip') ?? null)),
  });
});

// Every other method passes through to the origin, body and all, and is never cached;
// a successful unsafe one invalidates what is cached for its URI (RFC 9111 §4.4).
app.all('*', async (c) => {
  const url = new URL(c.req.url);
  const settings = cacheSettings(c.env);
  try {
    const res = await fetchOrigin(c.env.ORIGIN_URL, url, {
      method: c.req.method,
      headers: c.req.raw.headers,
      body: c.req.raw.body,
      timeoutMs: settings.originTimeoutMs,
      clientIp: c.req.header('cf-connecting-ip') ?? null,
    });
    if (c.req.method !== 'OPTIONS' && c.req.method !== 'TRACE') await invalidateAfterUnsafe(url, res, settings);
    const headers = new Headers(res.headers);
    for (const name of ['cache-tag', 'surrogate-key', 'surrogate-control']) headers.delete(name);
    headers.set('cache-status', formatCacheStatus({ fwd: 'method', fwdStatus: res.status }));
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  } catch (err) {
    if (err instanceof OriginError) return originErrorResponse(err, { fwd: 'method' });
    throw err;
  }
});

export default app;
