// The edge measures itself (issue 11): its requests, pushed over the METRICS service binding,
// are found in the metrics store through the PromQL API.
import { describe, expect, inject, it } from 'vitest';

const edgeUrl = inject('edgeUrl');
const metricsUrl = inject('metricsUrl');

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** An instant query's result vector. */
async function query(expr: string): Promise<Sample[]> {
  const res = await fetch(`${metricsUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; data?: { result: Sample[] }; error?: string };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data?.result ?? [];
}

/** The values of a query's series, by one label. */
async function byLabel(expr: string, label: string): Promise<Record<string, number>> {
  return Object.fromEntries((await query(expr)).map((s) => [s.metric[label] ?? '', Number(s.value[1])]));
}

/**
 * Polls until `check` passes, sending the edge a request the cache does not count (its API)
 * between polls: an isolate flushes from the request path only, at most every FLUSH_MS.
 */
async function eventually(check: () => Promise<void>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await (await fetch(`${edgeUrl}/_cache/purge`)).arrayBuffer();
    await new Promise((r) => setTimeout(r, 400));
  }
}

describe('the edge pushing its own metrics into the store', () => {
  it('is found through /api/v1/query: requests by cache status, bytes, purges, latency, rate()', async () => {
    const seen: Record<string, number> = {};
    for (const path of ['/a.txt', '/a.txt', '/a.txt', '/a.txt', '/a.txt', '/b.txt']) {
      const res = await fetch(edgeUrl + path);
      await res.arrayBuffer();
      expect(res.status).toBe(200);
      const status = /; hit/.test(res.headers.get('cache-status') ?? '') ? 'hit' : 'miss';
      seen[status] = (seen[status] ?? 0) + 1;
      // Past the edge's flush interval (300 ms here): the counters grow across flushes, as rate() needs.
      await new Promise((r) => setTimeout(r, 400));
    }
    expect(seen.hit).toBeGreaterThanOrEqual(3);
    const purge = await fetch(`${edgeUrl}/_cache/purge`, {
      method: 'POST',
      headers: { authorization: 'Bearer e2e-token' },
      body: JSON.stringify({ urls: ['/b.txt'] }),
    });
    await purge.arrayBuffer();
    expect(purge.status).toBe(200);

    const requests = 'sum by (cache_status) (pushpull_edge_requests_total{job="pushpull-edge",collection="push",model="pull",code="200"})';
    await eventually(async () => {
      expect(await byLabel(requests, 'cache_status')).toEqual(seen);
      expect(await byLabel('sum by (kind) (pushpull_edge_purges_total)', 'kind')).toEqual({ urls: 1 });
    });

    const misses = seen.miss ?? 0;
    expect(await byLabel('sum by (reason) (pushpull_edge_origin_fetches_total{code="200"})', 'reason')).toEqual({ miss: misses });
    expect(await byLabel('sum(pushpull_edge_origin_bytes_total)', '')).toEqual({ '': 1500 });
    expect(await byLabel('sum by (model) (pushpull_edge_origin_bytes_saved_total)', 'model')).toEqual({ pull: seen.hit * 1000 });
    expect(await byLabel('sum by (cache_status) (pushpull_edge_response_bytes_total)', 'cache_status')).toMatchObject({
      hit: seen.hit * 1000,
    });
    expect(await byLabel('sum by (cache_status) (pushpull_edge_request_duration_seconds_count)', 'cache_status')).toEqual(seen);
    // Every pushed series carries the isolate's id, so the dashboards sum it away.
    const instances = await query('count by (instance) (pushpull_edge_requests_total)');
    expect(instances.length).toBeGreaterThanOrEqual(1);
    expect(instances.every((s) => /^[0-9a-f-]{36}$/.test(s.metric.instance))).toBe(true);

    await eventually(async () => {
      const rates = await byLabel('sum by (cache_status) (rate(pushpull_edge_requests_total[1m]))', 'cache_status');
      expect(rates.hit).toBeGreaterThan(0);
    });
    const quantile = await query(
      'histogram_quantile(0.5, sum by (le) (rate(pushpull_edge_request_duration_seconds_bucket{cache_status="hit"}[1m])))',
    );
    expect(quantile).toHaveLength(1);
  });

  it("finds the metrics Worker's own series: the edge's RPC writes as ingest, and the queries' latency", async () => {
    // The metrics Worker flushes every TELEMETRY_FLUSH_MS (5 s by default) from its requests: these polls.
    await eventually(async () => {
      expect(
        await byLabel('sum by (code) (pushpull_metrics_ingest_requests_total{protocol="rpc",job="pushpull-metrics"})', 'code'),
      ).toHaveProperty('200');
      const ingested = await byLabel('sum(pushpull_metrics_ingested_samples_total{protocol="rpc"})', '');
      expect(ingested['']).toBeGreaterThan(0);
      const queries = await byLabel('sum by (endpoint) (pushpull_metrics_query_duration_seconds_count)', 'endpoint');
      expect(queries.query).toBeGreaterThan(0);
    });
  });
});
