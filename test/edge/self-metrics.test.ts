// The edge's own metrics (issue 11): what a request records, and that pushing them never changes the answer.
import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { SeriesBatch } from '@pushpull/contracts/metrics';
import { Recorder } from '@pushpull/telemetry/recorder';
import { edgeApp } from '../../workers/edge/src/app';
import { systemClock } from '../../workers/edge/src/cache';
import { cacheOutcome, EdgeMetrics } from '../../workers/edge/src/self-metrics';
import { AUTH, script, uniquePath } from './edge-client';

/** An edge Worker recording into its own families, so that each test reads only its own counts. */
function recordingEdge(vars: Record<string, unknown> = {}) {
  const metrics = new EdgeMetrics(new Recorder({ job: 'pushpull-edge', instanceId: () => 'test-isolate' }));
  const worker = edgeApp(systemClock, metrics);
  const testEnv: Env = { ...env, ...vars };
  const request = async (path: string, init?: RequestInit) => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request(`http://edge.test${path}`, init), testEnv, ctx);
    const body = await res.text();
    await waitOnExecutionContext(ctx);
    return { res, body };
  };
  return { metrics, request };
}

/** What the stand-in metrics Worker received (test/edge/vitest.config.ts). */
async function pushed(): Promise<SeriesBatch[][]> {
  const writes = (env as unknown as { METRICS_WRITES: Fetcher }).METRICS_WRITES;
  return (await writes.fetch('http://metrics/writes')).json();
}

describe('cacheOutcome', () => {
  it("names the cache status from this cache's Cache-Status member", () => {
    const of = (v: string) => cacheOutcome(v)?.cacheStatus;
    expect(of('pushpull; hit; ttl=50')).toBe('hit');
    expect(of('pushpull; hit; ttl=-5; detail=stale-while-revalidate')).toBe('stale');
    expect(of('pushpull; fwd=stale; fwd-status=503; ttl=-5; detail=stale-if-error')).toBe('stale');
    expect(of('pushpull; fwd=stale; fwd-status=304; stored; ttl=60')).toBe('revalidated');
    expect(of('pushpull; fwd=uri-miss; fwd-status=200; stored; collapsed; ttl=60')).toBe('collapsed');
    expect(of('pushpull; fwd=uri-miss; fwd-status=200; stored; ttl=60')).toBe('miss');
    expect(of('pushpull; fwd=bypass; fwd-status=200; detail=authorization')).toBe('bypass');
    expect(of('pushpull; fwd=method; fwd-status=201')).toBe('bypass');
    expect(of('pushpull; fwd=uri-miss; detail=origin-timeout')).toBe('error');
    // An upstream cache's member comes first; ours is the last one.
    expect(of('upstream-cdn; hit, pushpull; fwd=uri-miss; fwd-status=200')).toBe('miss');
    expect(cacheOutcome(null)).toBeUndefined();
    expect(cacheOutcome('other-cache; hit')).toBeUndefined();
  });
});

describe("the edge's self-metrics", () => {
  it('counts a miss then a hit: requests, origin fetch and bytes, bytes sent and saved, latency', async () => {
    const { metrics, request } = recordingEdge();
    const path = uniquePath('selfmetrics-hit');
    await script(path, { headers: { 'cache-control': 'max-age=60' }, body: 'x'.repeat(1000) });
    const miss = await request(path);
    const hit = await request(path);
    expect(miss.res.headers.get('cache-status')).toContain('fwd=uri-miss');
    expect(hit.res.headers.get('cache-status')).toContain('hit');

    expect(metrics.requests.value(['miss', 'pull', '200'])).toBe(1);
    expect(metrics.requests.value(['hit', 'pull', '200'])).toBe(1);
    expect(metrics.originFetches.value(['miss', '200'])).toBe(1);
    expect(metrics.originBytes.value([])).toBe(1000);
    expect(metrics.responseBytes.value(['miss', 'pull'])).toBe(1000);
    expect(metrics.responseBytes.value(['hit', 'pull'])).toBe(1000);
    expect(metrics.bytesSaved.value(['pull'])).toBe(1000);
    const series = metrics.recorder.snapshot();
    const count = series.find(
      (b) => b.labels.__name__ === 'pushpull_edge_request_duration_seconds_count' && b.labels.cache_status === 'hit',
    );
    expect(count?.values).toEqual([1]);
  });

  it('counts a revalidation (304) and a request passed through to the origin', async () => {
    const { metrics, request } = recordingEdge();
    const path = uniquePath('selfmetrics-revalidate');
    await script(path, { headers: { 'cache-control': 'max-age=0' }, etag: '"v1"', body: 'hello' });
    await request(path);
    const again = await request(path);
    expect(again.res.headers.get('cache-status')).toContain('fwd-status=304');
    expect(metrics.requests.value(['revalidated', 'pull', '200'])).toBe(1);
    expect(metrics.originFetches.value(['revalidate', '304'])).toBe(1);
    expect(metrics.bytesSaved.value(['pull'])).toBe(5);

    await request(path, { method: 'POST', body: 'data' });
    expect(metrics.requests.value(['bypass', 'pull', '200'])).toBe(1);
    expect(metrics.originFetches.value(['method', '200'])).toBe(1);
  });

  it('counts origin failures as code "error" and the answer as cache_status "error"', async () => {
    const { metrics, request } = recordingEdge();
    const path = uniquePath('selfmetrics-down');
    await script(path, { mode: 'down' });
    const { res } = await request(path);
    expect(res.status).toBe(502);
    expect(metrics.requests.value(['error', 'pull', '502'])).toBe(1);
    expect(metrics.originFetches.value(['miss', 'error'])).toBe(1);
  });

  it('counts accepted purges by what they named, and not the API request itself', async () => {
    const { metrics, request } = recordingEdge();
    const { res } = await request('/_cache/purge', { method: 'POST', headers: AUTH, body: JSON.stringify({ urls: ['/a'], tags: ['t'] }) });
    expect(res.status).toBe(200);
    expect(metrics.purges.value(['urls'])).toBe(1);
    expect(metrics.purges.value(['tags'])).toBe(1);
    expect(metrics.purges.value(['prefixes'])).toBe(0);
    expect(metrics.recorder.snapshot().filter((b) => b.labels.__name__ === 'pushpull_edge_requests_total')).toEqual([]);
  });

  it('pushes its series to the metrics Worker through the METRICS binding, labelled job, instance and collection="push"', async () => {
    const { metrics, request } = recordingEdge();
    const path = uniquePath('selfmetrics-push');
    await script(path, { headers: { 'cache-control': 'max-age=60' }, body: 'pushed' });
    // The isolate's first event flushes at once (inside waitUntil, which request() waits for).
    await request(path);
    const writes = (await pushed()).flat();
    const mine = writes.filter((b) => b.labels.instance === 'test-isolate' && b.labels.__name__ === 'pushpull_edge_requests_total');
    expect(mine).toContainEqual({
      labels: {
        __name__: 'pushpull_edge_requests_total',
        job: 'pushpull-edge',
        instance: 'test-isolate',
        collection: 'push',
        cache_status: 'miss',
        model: 'pull',
        code: '200',
      },
      timestamps: [expect.any(Number)],
      values: [1],
    });
    expect(metrics.recorder.failures('error')).toBe(0);
  });

  it('answers exactly the same when the metrics Worker fails, and counts the failure', async () => {
    const failing = { write: () => Promise.reject(new Error('metrics Worker down')) };
    const { metrics, request } = recordingEdge({ METRICS: failing });
    const path = uniquePath('selfmetrics-failing');
    await script(path, { headers: { 'cache-control': 'max-age=60' }, body: 'still served' });
    const { res, body } = await request(path);
    expect(res.status).toBe(200);
    expect(body).toBe('still served');
    expect(metrics.recorder.failures('error')).toBe(1);
  });

  it('records nothing with TELEMETRY=off', async () => {
    const { metrics, request } = recordingEdge({ TELEMETRY: 'off' });
    const path = uniquePath('selfmetrics-off');
    await script(path, { body: 'quiet' });
    const { res } = await request(path);
    expect(res.status).toBe(200);
    expect(metrics.recorder.snapshot()).toEqual([]);
  });
});
