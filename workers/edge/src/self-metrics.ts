/**
 * The edge's own metrics (issue 11; the contract is the catalogue,
 * workers/metrics/src/dashboards/catalogue.ts, and docs/dashboard.md): requests by how the
 * cache answered them, their latency, origin fetches and bytes, bytes sent and saved, purges.
 * Recorded per isolate by a Hono middleware and a wrapper around the origin upstream, read
 * from what the cache already says (its RFC 9211 Cache-Status member), and pushed to the
 * metrics Worker through the METRICS service binding inside `waitUntil`: a metrics write never
 * slows or fails a request. `TELEMETRY=off` records nothing.
 */
import type { MiddlewareHandler } from 'hono';
import { Recorder, type Counter, type Histogram } from '@pushpull/telemetry/recorder';
import { catalogueDefinition } from '../../metrics/src/dashboards/catalogue';
import type { Upstream } from './cache';
import { routeFor } from './push/routes';
import { pushSettings } from './push/settings';
import { edgeTelemetrySettings } from './settings';

/** The catalogue's `cache_status` values. */
type CacheStatusLabel = 'hit' | 'miss' | 'stale' | 'revalidated' | 'collapsed' | 'bypass' | 'error';

/** What this cache's Cache-Status member says about a response. */
export interface CacheOutcome {
  cacheStatus: CacheStatusLabel;
  /** `fwd` of the member (why it went upstream), if it did. */
  fwd: string | undefined;
  /** `fwd-status`: the upstream's status code, if one answered. */
  fwdStatus: string | undefined;
  /** Served stale while it revalidates in the background (RFC 5861 §3). */
  staleWhileRevalidate: boolean;
  /** The origin failed this request (timeout, unreachable). */
  originError: boolean;
}

/**
 * Reads this cache's member (the last one named `pushpull`: RFC 9211 §2 appends each cache's
 * member after those of caches nearer the origin) of a Cache-Status field. Undefined when the
 * response did not pass through the cache (the edge's own API).
 */
export function cacheOutcome(cacheStatus: string | null): CacheOutcome | undefined {
  if (!cacheStatus) return undefined;
  const members = cacheStatus.split(',');
  let member: string | undefined;
  for (let i = members.length - 1; i >= 0; i--) {
    const m = members[i].trim();
    if (m === 'pushpull' || m.startsWith('pushpull;')) {
      member = m;
      break;
    }
  }
  if (member === undefined) return undefined;
  let hit = false;
  let collapsed = false;
  let fwd: string | undefined;
  let fwdStatus: string | undefined;
  let detail = '';
  for (const param of member.split(';').slice(1)) {
    const p = param.trim();
    const eq = p.indexOf('=');
    const key = eq < 0 ? p : p.slice(0, eq);
    const value = eq < 0 ? '' : p.slice(eq + 1);
    if (key === 'hit') hit = true;
    else if (key === 'collapsed') collapsed = true;
    else if (key === 'fwd') fwd = value;
    else if (key === 'fwd-status') fwdStatus = value;
    else if (key === 'detail') detail = value;
  }
  const staleWhileRevalidate = hit && detail === 'stale-while-revalidate';
  const originError = detail.startsWith('origin-');
  let label: CacheStatusLabel;
  if (hit) label = staleWhileRevalidate ? 'stale' : 'hit';
  else if (originError) label = 'error';
  else if (detail.startsWith('stale-if-error')) label = 'stale';
  else if (fwd === 'bypass' || fwd === 'method') label = 'bypass';
  else if (fwdStatus === '304') label = 'revalidated';
  else if (collapsed) label = 'collapsed';
  else label = 'miss';
  return { cacheStatus: label, fwd, fwdStatus, staleWhileRevalidate, originError };
}

/** A pushed file's entity-tag: its sha256 in hex (push/serve.ts); the origin's are base64url. */
const PUSHED_ETAG = /^"[0-9a-f]{64}"$/;

/** Cache statuses whose body the origin did not send for this request. */
const SAVED: ReadonlySet<CacheStatusLabel> = new Set(['hit', 'stale', 'revalidated', 'collapsed']);

/** An origin fetch seen by the upstream wrapper, its reason decided once the response is known. */
interface OriginFetch {
  conditional: boolean;
  authorized: boolean;
  code: string;
}

/**
 * What one request did, as the middleware and the upstream wrapper see it. An origin fetch
 * that finishes before the response (a miss, a revalidation) waits for the response's
 * Cache-Status to be named; one after it (stale-while-revalidate) is named at once.
 */
export class RequestTrace {
  originCalled = false;
  #outcome: CacheOutcome | undefined;
  #answered = false;
  readonly #pending: OriginFetch[] = [];

  constructor(private readonly metrics: EdgeMetrics) {}

  /** The origin answered (or failed: `code` "error") a request the cache sent it. */
  originFetched(request: Request, code: string): void {
    const f = {
      conditional: request.headers.has('if-none-match') || request.headers.has('if-modified-since'),
      authorized: request.headers.has('authorization'),
      code,
    };
    if (this.#answered) this.#record(f);
    else this.#pending.push(f);
  }

  /** The response is known: name the fetches that waited for it. */
  answered(outcome: CacheOutcome | undefined): void {
    this.#outcome = outcome;
    this.#answered = true;
    for (const f of this.#pending.splice(0)) this.#record(f);
  }

  #record(f: OriginFetch): void {
    let reason: string;
    if (f.authorized) reason = 'bypass';
    else if (this.#outcome?.staleWhileRevalidate) reason = 'refresh';
    else if (f.conditional) reason = 'revalidate';
    else reason = 'miss';
    this.metrics.originFetches.inc([reason, f.code]);
  }
}

/** The edge's metric families, on one recorder per isolate. */
export class EdgeMetrics {
  readonly requests: Counter;
  readonly duration: Histogram;
  readonly originFetches: Counter;
  readonly originBytes: Counter;
  readonly responseBytes: Counter;
  readonly bytesSaved: Counter;
  readonly purges: Counter;

  constructor(readonly recorder: Recorder) {
    this.requests = recorder.counterOf(catalogueDefinition('pushpull_edge_requests_total'));
    this.duration = recorder.histogramOf(catalogueDefinition('pushpull_edge_request_duration_seconds'));
    this.originFetches = recorder.counterOf(catalogueDefinition('pushpull_edge_origin_fetches_total'));
    this.originBytes = recorder.counterOf(catalogueDefinition('pushpull_edge_origin_bytes_total'));
    this.responseBytes = recorder.counterOf(catalogueDefinition('pushpull_edge_response_bytes_total'));
    this.bytesSaved = recorder.counterOf(catalogueDefinition('pushpull_edge_origin_bytes_saved_total'));
    this.purges = recorder.counterOf(catalogueDefinition('pushpull_edge_purges_total'));
  }
}

/** This isolate's edge metrics. */
const isolateMetrics = new EdgeMetrics(new Recorder({ job: 'pushpull-edge' }));

/** The context variable the upstream wrapper finds its request's trace in. */
declare module 'hono' {
  interface ContextVariableMap {
    edgeTrace: RequestTrace | undefined;
  }
}

/** `model`: which upstream a response's content came from. */
function modelOf(request: Request, res: Response, outcome: CacheOutcome, trace: RequestTrace, env: Env): 'pull' | 'push' {
  if (outcome.fwd === 'method' || outcome.fwd === 'bypass') return 'pull';
  const mode = routeFor(new URL(request.url).pathname, pushSettings(env).routes);
  if (mode !== 'hybrid') return mode;
  // Hybrid: pushed content wins. The origin was asked → pull; the upstream answered without it
  // → the push store; a hit (or a collapsed answer) → by the stored entity-tag's shape.
  if (trace.originCalled) return 'pull';
  if (outcome.fwdStatus !== undefined && outcome.cacheStatus !== 'collapsed') return 'push';
  return PUSHED_ETAG.test(res.headers.get('etag') ?? '') ? 'push' : 'pull';
}

/** Body bytes a response sends: none for HEAD, 204 and 304, else its Content-Length (undefined when unknown). */
function bodyLength(method: string, res: Response): number | undefined {
  if (method === 'HEAD' || res.status === 204 || res.status === 304 || res.body === null) return 0;
  const length = res.headers.get('content-length');
  return length === null ? undefined : Number(length);
}

/** A stream that passes bytes on and reports how many went through when it ends. */
function countingStream(done: (bytes: number) => void): TransformStream<Uint8Array, Uint8Array> {
  let bytes = 0;
  return new TransformStream({
    transform(chunk, controller) {
      bytes += chunk.byteLength;
      controller.enqueue(chunk);
    },
    flush() {
      done(bytes);
    },
  });
}

/** Records a response's requests, latency and bytes. Returns the response to send (its body wrapped when its length is unknown). */
function recordResponse(m: EdgeMetrics, request: Request, res: Response, env: Env, trace: RequestTrace, seconds: number): Response {
  const outcome = cacheOutcome(res.headers.get('cache-status'));
  trace.answered(outcome);
  if (!outcome) return res;
  const model = modelOf(request, res, outcome, trace, env);
  m.requests.inc([outcome.cacheStatus, model, String(res.status)]);
  m.duration.observe([outcome.cacheStatus, model], seconds);
  const passedThrough = outcome.fwd === 'method';
  if (passedThrough) m.originFetches.inc(['method', outcome.originError ? 'error' : (outcome.fwdStatus ?? String(res.status))]);
  const saved = model === 'push' || SAVED.has(outcome.cacheStatus);
  const countBytes = (bytes: number): void => {
    m.responseBytes.inc([outcome.cacheStatus, model], bytes);
    if (saved) m.bytesSaved.inc([model], bytes);
    if (passedThrough && !outcome.originError) m.originBytes.inc([], bytes);
  };
  const length = bodyLength(request.method, res);
  if (length !== undefined) {
    countBytes(length);
    return res;
  }
  const body = res.body;
  if (!body) return res;
  return new Response(body.pipeThrough(countingStream(countBytes)), res);
}

/** Counts an accepted purge by what it named (its 200 answer: `{"purged": {"urls": n, …, "everything": bool}}`). */
async function recordPurge(m: EdgeMetrics, res: Response): Promise<void> {
  const answer: unknown = await res.json();
  const purged = (answer as { purged?: Record<string, unknown> } | null)?.purged;
  if (!purged) return;
  for (const kind of ['urls', 'prefixes', 'tags', 'everything']) {
    const v = purged[kind];
    if (v === true || (typeof v === 'number' && v > 0)) m.purges.inc([kind]);
  }
}

/**
 * The middleware that records every request of the edge and flushes the isolate's metrics
 * when due. Anything it does wrong is swallowed: the request goes on as if it were absent.
 */
export function edgeSelfMetrics(m: EdgeMetrics = isolateMetrics): MiddlewareHandler<{ Bindings: Env }> {
  return async function recordEdgeRequest(c, next) {
    let settings;
    try {
      settings = edgeTelemetrySettings.read(c.env);
    } catch {
      settings = undefined;
    }
    if (!settings?.enabled) return next();
    const started = Date.now();
    const trace = new RequestTrace(m);
    c.set('edgeTrace', trace);
    await next();
    const waitUntil = (p: Promise<unknown>): void => c.executionCtx.waitUntil(p);
    try {
      const request = c.req.raw;
      const res = c.res;
      if (request.method === 'POST' && c.req.path === '/_cache/purge' && res.status === 200) {
        waitUntil(recordPurge(m, res.clone()).catch(() => undefined));
      }
      const recorded = recordResponse(m, request, res, c.env, trace, (Date.now() - started) / 1000);
      if (recorded !== res) c.res = recorded;
    } catch {
      // A metric is never worth a failed request.
    }
    m.recorder.flushIfDue(c.env.METRICS, waitUntil, settings);
  };
}

/** Wraps the origin upstream so that the request's trace sees each origin fetch, its status and its body bytes. */
export function tracedOrigin(origin: Upstream, trace: RequestTrace | undefined, m: EdgeMetrics = isolateMetrics): Upstream {
  if (!trace) return origin;
  return async function tracedOriginFetch(request) {
    trace.originCalled = true;
    let res: Response;
    try {
      res = await origin(request);
    } catch (err) {
      trace.originFetched(request, 'error');
      throw err;
    }
    trace.originFetched(request, String(res.status));
    const length = bodyLength(request.method, res);
    if (length !== undefined) {
      m.originBytes.inc([], length);
      return res;
    }
    const body = res.body;
    if (!body) return res;
    return new Response(body.pipeThrough(countingStream((bytes) => m.originBytes.inc([], bytes))), res);
  };
}
