/**
 * The metrics Worker's own metrics (issue 11; the contract is ./dashboards/catalogue.ts):
 * samples ingested and write requests by protocol, read API latency by endpoint. Recorded per
 * isolate (@pushpull/telemetry) and written into this Worker's own store directly, inside
 * `waitUntil`, as `job="pushpull-metrics"`, `collection="push"`; those writes are not counted
 * as ingest. `TELEMETRY=off` records nothing.
 */
import type { MiddlewareHandler } from 'hono';
import type { SeriesBatch, WriteResult } from '@pushpull/contracts/metrics';
import { Recorder, type TelemetrySink } from '@pushpull/telemetry/recorder';
import { catalogueDefinition } from './dashboards/catalogue';
import { metricsTelemetrySettings } from './limits';
import { writeSeries } from './store';

/** How samples reached the store (the catalogue's `protocol`). */
export type IngestProtocol = 'influx' | 'pushgateway' | 'remote_write' | 'rpc';

/** The read API's endpoints (the catalogue's `endpoint`). */
type QueryEndpoint = 'query' | 'query_range' | 'series' | 'labels' | 'label_values';

const recorder = new Recorder({ job: 'pushpull-metrics' });
const ingestedSamples = recorder.counterOf(catalogueDefinition('pushpull_metrics_ingested_samples_total'));
const ingestRequests = recorder.counterOf(catalogueDefinition('pushpull_metrics_ingest_requests_total'));
const queryDuration = recorder.histogramOf(catalogueDefinition('pushpull_metrics_query_duration_seconds'));

/** The store itself, as the recorder's sink (no binding: this Worker is the store). */
function ownStore(env: Env): TelemetrySink {
  return {
    async write(batches: SeriesBatch[]): Promise<WriteResult> {
      const r = await writeSeries(env, batches);
      return { series: r.series, samples: r.samples, refused: r.refused };
    },
  };
}

/** Whether this Worker records (a malformed TELEMETRY var counts as off here; the settings reader names it elsewhere). */
function telemetryOn(env: Env): { flushIntervalMs: number; flushEvents: number } | undefined {
  try {
    const s = metricsTelemetrySettings.read(env);
    return s.enabled ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Counts samples a protocol wrote into the store. */
export function recordIngested(env: Env, protocol: IngestProtocol, samples: number): void {
  if (telemetryOn(env)) ingestedSamples.inc([protocol], samples);
}

/** Counts a write request and flushes when due (the RPC entrypoint, which has no Hono context). */
export function recordRpcWrite(env: Env, code: number, waitUntil: (p: Promise<unknown>) => void): void {
  const settings = telemetryOn(env);
  if (!settings) return;
  ingestRequests.inc(['rpc', String(code)]);
  recorder.flushIfDue(ownStore(env), waitUntil, settings);
}

/** Flushes when due from a Durable Object of this Worker (the Pushgateway's groups write from there). */
export function flushFromObject(env: Env, waitUntil: (p: Promise<unknown>) => void): void {
  const settings = telemetryOn(env);
  if (settings) recorder.flushIfDue(ownStore(env), waitUntil, settings);
}

/** The protocol of an ingest route, or undefined. */
function ingestProtocol(method: string, path: string): IngestProtocol | undefined {
  if (method === 'POST' && (path === '/api/v1/write' || path === '/api/v1/write/')) return 'remote_write';
  if (method === 'POST' && (path === '/write' || path === '/api/v2/write')) return 'influx';
  if ((method === 'PUT' || method === 'POST' || method === 'DELETE') && path.startsWith('/metrics/')) return 'pushgateway';
  return undefined;
}

/** The read endpoint of a route, or undefined. */
function queryEndpoint(path: string): QueryEndpoint | undefined {
  switch (path) {
    case '/api/v1/query':
      return 'query';
    case '/api/v1/query_range':
      return 'query_range';
    case '/api/v1/series':
      return 'series';
    case '/api/v1/labels':
      return 'labels';
  }
  return /^\/api\/v1\/label\/[^/]+\/values$/.test(path) ? 'label_values' : undefined;
}

/** The middleware that counts write requests and times read requests, then flushes when due. */
export function metricsSelfMetrics(): MiddlewareHandler<{ Bindings: Env }> {
  return async function recordMetricsRequest(c, next) {
    const settings = telemetryOn(c.env);
    if (!settings) return next();
    const started = Date.now();
    await next();
    try {
      const path = c.req.path;
      const protocol = ingestProtocol(c.req.method, path);
      if (protocol) ingestRequests.inc([protocol, String(c.res.status)]);
      const endpoint = protocol ? undefined : queryEndpoint(path);
      if (endpoint) queryDuration.observe([endpoint], (Date.now() - started) / 1000);
    } catch {
      // A metric is never worth a failed request.
    }
    recorder.flushIfDue(ownStore(c.env), (p) => c.executionCtx.waitUntil(p), settings);
  };
}
