/**
 * The edge Worker's routes: the edge's own API under /_cache (purge) and /_push, GET and HEAD
 * through the pull cache, every other method passed through to the origin; every request
 * recorded in the edge's own metrics (self-metrics.ts). Wiring only; the logic lives in
 * cache/, push/, purge*.ts and self-metrics.ts.
 */
import { Hono } from 'hono';
import { jsonErrorHandler, jsonNotFound } from '@pushpull/http/errors';
import { openExchange, passThrough, serveCached, thisIsolate, type Clock, type Upstream } from './cache';
import { canonicalUrl } from './cache-key';
import { cacheSettings, type CacheSettings } from './settings';
import { fetchOrigin } from './origin';
import { cacheApi } from './purge-api';
import { pushApi } from './push/api';
import { upstreamFor } from './push/upstream';
import { edgeSelfMetrics, tracedOrigin, type EdgeMetrics } from './self-metrics';

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

/**
 * The request as the cache and its upstreams see it, at its {@link canonicalUrl}: what is left
 * out of the cache key never reaches the origin either.
 */
function canonicalRequest(request: Request, settings: CacheSettings): Request {
  const url = canonicalUrl(new URL(request.url), settings.isIgnored);
  return url === request.url ? request : new Request(url, request);
}

/**
 * The edge Worker, its cache reading the time from `clock` (the deployed Worker: the system
 * clock), recording into `metrics` (default: this isolate's).
 */
export function edgeApp(clock: Clock, metrics?: EdgeMetrics): Hono<{ Bindings: Env }> {
  const app = new Hono<{ Bindings: Env }>();
  app.onError(jsonErrorHandler);
  app.use(edgeSelfMetrics(metrics));

  app.route('/_cache', cacheApi);
  app.all('/_cache/*', jsonNotFound);
  app.route('/_push', pushApi);

  app.on(['GET', 'HEAD'], '*', (c) => {
    const settings = cacheSettings(c.env);
    const clientIp = c.req.header('cf-connecting-ip') ?? null;
    const request = canonicalRequest(c.req.raw, settings);
    return serveCached(
      openExchange(request, {
        env: c.env,
        settings,
        clock,
        isolate: thisIsolate,
        waitUntil: (p) => c.executionCtx.waitUntil(p),
        upstream: upstreamFor(request, c.env, tracedOrigin(originUpstream(c.env, settings, clientIp), c.get('edgeTrace'), metrics)),
      }),
    );
  });

  app.all('*', (c) =>
    passThrough(c.req.raw, {
      originUrl: c.env.ORIGIN_URL,
      settings: cacheSettings(c.env),
      clientIp: c.req.header('cf-connecting-ip') ?? null,
      isolate: thisIsolate,
      clock,
    }),
  );

  return app;
}
