/**
 * The origin server the edge pulls from: a folder served with strong validators, per-path
 * Cache-Control, conditional and Range requests (RFC 9110 §13, §14), `/metrics`, and a few
 * dynamic endpoints for demos and benchmarks. Hono on @hono/node-server.
 */
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Hono } from 'hono';
import type { Context } from 'hono';
import { serve } from '@hono/node-server';
import type { HttpBindings } from '@hono/node-server';
import { ApiError, jsonErrorHandler } from '@pushpull/http/errors';
import {
  DEFAULT_CACHE_CONTROL,
  DEFAULT_RULES,
  compileCachePolicy,
  type CachePolicy,
  type CacheRule,
  type CacheHeaders,
} from './cache-control-rules';
import { GzipCache, MAX_COMPRESS_BYTES, MIN_COMPRESS_BYTES, acceptsGzip, gzipEntityTag, isCompressibleType } from './compression';
import { contentTypeFor } from '@pushpull/http/content-type';
import { formatHttpDate } from '@pushpull/http/semantics/http-date';
import { conditionalFields } from '@pushpull/http/semantics/preconditions';
import { buildResponse, planResponse } from '@pushpull/http/semantics/respond';
import { dynamicRoutes, methodNotAllowed, type HitCounter, createHitCounter } from './dynamic';
import { createOriginMetrics, recordMetrics, type OriginMetrics } from './metrics';
import { FileStore, PathRejected, type FileVersion } from './static-files';

/** Options of {@link createOriginApp}. @public */
export interface OriginOptions {
  /** Folder to serve. Nothing outside it (after resolving symlinks) is ever served. */
  dir: string;
  /** Ordered Cache-Control rules, or a whole policy with its default; see cache-control-rules.ts. */
  cacheControl?: CacheRule[] | CachePolicy;
  /** Also collect prom-client's default process/Node metrics (default true). */
  defaultMetrics?: boolean;
  /** gzip textual files for clients that accept it, with `Vary: Accept-Encoding` (default false). */
  compress?: boolean;
}

/** Bindings: the Node request/response when served by @hono/node-server (absent under `app.request`). */
type OriginEnv = { Bindings: Partial<HttpBindings> };

/** The methods static files answer. */
const STATIC_METHODS = 'GET, HEAD';

function policyOf(option: OriginOptions['cacheControl']): CachePolicy {
  if (option === undefined) return { rules: [...DEFAULT_RULES], defaultCacheControl: DEFAULT_CACHE_CONTROL };
  if (Array.isArray(option)) return { rules: option, defaultCacheControl: DEFAULT_CACHE_CONTROL };
  return option;
}

/**
 * The request target exactly as the client sent it. @hono/node-server normalises dot segments
 * while building the Request URL, so the traversal checks must see the raw target.
 */
function rawTarget(c: Context<OriginEnv>): string {
  const raw = c.env?.incoming?.url;
  if (typeof raw === 'string' && raw.startsWith('/')) return raw;
  const url = new URL(c.req.url);
  return url.pathname + url.search;
}

function cacheHeaders(headers: Headers, policy: CacheHeaders): void {
  headers.set('cache-control', policy.cacheControl);
  if (policy.cacheTag !== undefined) headers.set('cache-tag', policy.cacheTag);
}

/**
 * Builds the origin app. `app.metrics` exposes its private prom-client registry.
 * @public (documented in docs/origin.md for tests and benchmarks)
 */
export function createOriginApp(options: OriginOptions): Hono<OriginEnv> & { metrics: OriginMetrics; hits: HitCounter } {
  const store = new FileStore(options.dir);
  const cachePolicy = compileCachePolicy(policyOf(options.cacheControl));
  const metrics = createOriginMetrics(options.defaultMetrics ?? true);
  const hits = createHitCounter();
  const gzipCache = options.compress ? new GzipCache() : undefined;
  const app = new Hono<OriginEnv>();

  app.onError(async (err, c) => {
    if (err instanceof PathRejected) {
      return c.json({ error: err.code, message: err.message }, err.status, { 'cache-control': 'no-store' });
    }
    const res = await jsonErrorHandler(err, c);
    res.headers.set('cache-control', 'no-store');
    return res;
  });
  app.use('*', recordMetrics(metrics, '/metrics'));
  app.use('*', async function countHits(c, next) {
    await next();
    if (c.req.path !== '/metrics' && !c.req.path.startsWith('/api/hits')) hits.record(c.req.path, c.res.status);
  });

  // The scrape endpoint: Prometheus text format, never cached.
  app.all('/metrics', async (c) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return methodNotAllowed(c.req.method, '/metrics', STATIC_METHODS);
    const text = await metrics.registry.metrics();
    return c.body(text, 200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
  });

  app.route('/api', dynamicRoutes(hits));

  app.all('*', async (c) => {
    const target = rawTarget(c);
    const q = target.indexOf('?');
    const found = await store.lookup(target, q === -1 ? '' : target.slice(q));
    if (found.kind === 'missing') {
      throw new ApiError(404, 'not_found', `no file at ${c.req.path}`);
    }
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return methodNotAllowed(c.req.method, 'static files', STATIC_METHODS);
    if (found.kind === 'redirect') {
      return c.body(null, 301, { location: found.location, 'content-length': '0', 'cache-control': cachePolicy(c.req.path).cacheControl });
    }
    return serveFile(c, store, found.file, cachePolicy(found.urlPath), gzipCache);
  });

  return Object.assign(app, { metrics, hits });
}

/** One representation of a file: identity or gzip (RFC 9110 §3.2, §8.4). */
interface Representation {
  etag: string;
  size: number;
  contentEncoding: 'gzip' | undefined;
  /** Whether the choice depended on Accept-Encoding (then `Vary: Accept-Encoding`). */
  varies: boolean;
  stream(start: number, end: number): ReadableStream<Uint8Array>;
}

function bufferStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (bytes.byteLength > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

/** Picks identity or gzip for this request (gzip only when enabled and the file qualifies). */
async function selectRepresentation(
  c: Context<OriginEnv>,
  store: FileStore,
  file: FileVersion,
  contentType: string,
  gzipCache: GzipCache | undefined,
): Promise<Representation> {
  const identity: Representation = {
    etag: file.etag,
    size: file.size,
    contentEncoding: undefined,
    varies: false,
    stream: (start, end) => store.stream(file, start, end),
  };
  const compressible =
    gzipCache !== undefined && isCompressibleType(contentType) && file.size >= MIN_COMPRESS_BYTES && file.size <= MAX_COMPRESS_BYTES;
  if (!compressible) return identity;
  if (!acceptsGzip(c.req.header('accept-encoding') ?? null)) return { ...identity, varies: true };
  const gz = await gzipCache.get(file.etag, () => readFile(file.path));
  return {
    etag: gzipEntityTag(file.etag),
    size: gz.byteLength,
    contentEncoding: 'gzip',
    varies: true,
    stream: (start, end) => bufferStream(gz.subarray(start, end + 1)),
  };
}

/**
 * Answers GET/HEAD for one file version through the shared RFC 9110 module
 * (@pushpull/http/semantics): 304 or 412 from the preconditions (§13.2.2), then 416, 206 (one
 * range or multipart/byteranges) or 200. Ranges count bytes of the selected representation
 * (compressed when gzip was chosen).
 */
async function serveFile(
  c: Context<OriginEnv>,
  store: FileStore,
  file: FileVersion,
  policy: CacheHeaders,
  gzipCache: GzipCache | undefined,
): Promise<Response> {
  const contentType = contentTypeFor(file.path);
  const rep = await selectRepresentation(c, store, file, contentType, gzipCache);
  const now = Date.now();
  // RFC 9110 §8.8.2.1: never a Last-Modified later than the response's Date (an mtime in the
  // future is replaced by now).
  const lastModified = Math.min(file.mtimeSec * 1000, Math.floor(now / 1000) * 1000);
  const headers = new Headers({ etag: rep.etag, 'last-modified': formatHttpDate(lastModified), 'content-type': contentType });
  cacheHeaders(headers, policy);
  // RFC 9110 §12.5.5: every response whose content was negotiated says so, 304 included.
  if (rep.varies) headers.set('vary', 'Accept-Encoding');
  if (rep.contentEncoding) headers.set('content-encoding', rep.contentEncoding);
  // `date: now`: a file changed in this very second has a weak Last-Modified (§8.8.2.2), which
  // an If-Range date cannot match.
  const plan = planResponse(c.req.method, conditionalFields(c.req.raw.headers), {
    etag: rep.etag,
    lastModified,
    date: now,
    length: rep.size,
    contentType,
  });
  return buildResponse(plan, headers, { kind: 'random-access', open: (range) => rep.stream(range.start, range.end) });
}

/** Options of {@link startOrigin}. */
export interface StartOriginOptions {
  /** 0 picks a free port. */
  port: number;
  /** Bind address; default 127.0.0.1. */
  host?: string;
  dir: string;
  cacheControl?: OriginOptions['cacheControl'];
  defaultMetrics?: boolean;
  compress?: boolean;
}

/** A running origin. */
export interface RunningOrigin {
  port: number;
  url: string;
  app: ReturnType<typeof createOriginApp>;
  /**
   * Stops listening, closes idle keep-alive connections at once, lets requests in flight finish
   * for up to `graceMs` (default 0), then closes whatever is still open.
   */
  close(graceMs?: number): Promise<void>;
}

/** Starts the origin on `host:port` and resolves once it listens. */
export async function startOrigin(options: StartOriginOptions): Promise<RunningOrigin> {
  const host = options.host ?? '127.0.0.1';
  const app = createOriginApp({
    dir: options.dir,
    cacheControl: options.cacheControl,
    defaultMetrics: options.defaultMetrics,
    compress: options.compress,
  });
  // Fail early on a missing folder rather than on the first request.
  await new FileStore(options.dir).realRoot();
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: host }, () => resolve(s)) as Server;
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    port,
    url: `http://${urlHost}:${port}`,
    app,
    close: (graceMs = 0) =>
      new Promise<void>((resolve, reject) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        // A connection whose last request just finished turns idle; close it rather than
        // waiting for its keep-alive timeout.
        const reapIdle = setInterval(() => server.closeIdleConnections(), 25);
        server.close((err) => {
          clearTimeout(force);
          clearInterval(reapIdle);
          if (err) reject(err);
          else resolve();
        });
        server.closeIdleConnections();
        if (graceMs <= 0) server.closeAllConnections();
      }),
  };
}
