// The metrics Worker measures itself (issue 11): its ingest and its queries, written into its own store.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import app from '../../workers/metrics/src/index';
import { auth, env, instant, uniqueName } from './metrics-client';

/** The project turns TELEMETRY off for every other test; these requests turn it on, flushing on every request. */
const recording = { ...env, TELEMETRY: 'on', TELEMETRY_FLUSH_MS: '0' };

async function through(path: string, init?: RequestInit): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`http://metrics.test${path}`, init), recording, ctx);
  await res.arrayBuffer();
  await waitOnExecutionContext(ctx);
  return res;
}

/** The value of a one-series instant query, 0 when empty. */
async function scalar(query: string): Promise<number> {
  const result = await instant(query);
  return result.length ? Number(result[0].value[1]) : 0;
}

describe("the metrics Worker's self-metrics", () => {
  it('counts samples ingested and write requests by protocol, and times queries by endpoint, in its own store', async () => {
    const name = uniqueName('selfm');
    const before = await scalar('sum(pushpull_metrics_ingested_samples_total{protocol="influx"})');
    const res = await through('/api/v2/write?org=o&bucket=b&precision=s', {
      method: 'POST',
      headers: auth('Token'),
      body: `${name} a=1,b=2 ${Math.floor(Date.now() / 1000)}\n`,
    });
    expect(res.status).toBe(204);
    const refused = await through('/api/v2/write?org=o&bucket=b', { method: 'POST', body: 'x a=1' });
    expect(refused.status).toBe(401);
    expect((await through('/api/v1/query?query=up')).status).toBe(200);
    // One more request: its flush carries the query's duration.
    await through('/api/v1/labels');

    expect(await scalar('sum(pushpull_metrics_ingested_samples_total{protocol="influx",job="pushpull-metrics",collection="push"})')).toBe(
      before + 2,
    );
    expect(await scalar('sum(pushpull_metrics_ingest_requests_total{protocol="influx",code="204"})')).toBeGreaterThanOrEqual(1);
    expect(await scalar('sum(pushpull_metrics_ingest_requests_total{protocol="influx",code="401"})')).toBeGreaterThanOrEqual(1);
    expect(await scalar('sum(pushpull_metrics_query_duration_seconds_count{endpoint="query"})')).toBeGreaterThanOrEqual(1);
    // Its own writes are not ingest: nothing was counted under any other protocol.
    expect(await instant('pushpull_metrics_ingested_samples_total{protocol!="influx"}')).toEqual([]);
  });
});
