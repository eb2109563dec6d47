/**
 * The origin's own Prometheus metrics (prom-client, a private Registry per app so several
 * origins in one process never share counters), and a Hono middleware that records them.
 */
import type { MiddlewareHandler } from 'hono';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The metric objects one origin app records into. */
export interface OriginMetrics {
  registry: Registry;
  requests: Counter<'method' | 'status'>;
  responseBytes: Counter<'method' | 'status'>;
  notModified: Counter;
  duration: Histogram<'method' | 'status'>;
}

/** Creates the origin's registry and metrics; `defaultMetrics` adds the process_* and nodejs_* ones. */
export function createOriginMetrics(defaultMetrics = true): OriginMetrics {
  const registry = new Registry();
  if (defaultMetrics) collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: 'origin_http_requests_total',
      help: 'HTTP requests answered by the origin, by method and status (scrapes of /metrics excluded).',
      labelNames: ['method', 'status'],
      registers: [registry],
    }),
    responseBytes: new Counter({
      name: 'origin_http_response_bytes_total',
      help: 'Response body bytes sent by the origin (headers excluded), by method and status.',
      labelNames: ['method', 'status'],
      registers: [registry],
    }),
    notModified: new Counter({
      name: 'origin_http_not_modified_total',
      help: '304 Not Modified responses sent by the origin.',
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'origin_http_request_duration_seconds',
      help: 'Time from request to response headers, by method and status.',
      labelNames: ['method', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
}

/** Methods outside this set are counted as `OTHER`, so a client cannot grow the label set. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

/**
 * Records every request except the scrape path itself: count, duration to headers, 304s, and
 * body bytes as they are actually streamed to the client.
 */
export function recordMetrics(metrics: OriginMetrics, skipPath: string): MiddlewareHandler {
  return async function recordOriginMetrics(c, next) {
    if (c.req.path === skipPath) {
      await next();
      return;
    }
    const started = performance.now();
    await next();
    const method = KNOWN_METHODS.has(c.req.method) ? c.req.method : 'OTHER';
    const labels = { method, status: String(c.res.status) };
    metrics.requests.inc(labels);
    metrics.duration.observe(labels, (performance.now() - started) / 1000);
    if (c.res.status === 304) metrics.notModified.inc();
    const body = c.res.body;
    if (body === null || method === 'HEAD') return;
    const counter = metrics.responseBytes.labels(labels);
    const counted = body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          counter.inc(chunk.byteLength);
          controller.enqueue(chunk);
        },
      }),
    );
    c.res = new Response(counted, c.res);
  };
}
