import { describe, expect, it } from 'vitest';
import { startOrigin } from '../../origin/server';
import { sampleValue, serveFixture } from './fixture';

const site = serveFixture({ defaultMetrics: true });

async function scrape(): Promise<string> {
  const res = await fetch(`${site.origin.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

describe('/metrics', () => {
  it('counts requests by method and status, bytes sent and 304s, from the scraped text', async () => {
    const before = await scrape();
    const get200 = sampleValue(before, 'origin_http_requests_total', { method: 'GET', status: '200' });
    const bytes200 = sampleValue(before, 'origin_http_response_bytes_total', { method: 'GET', status: '200' });
    const notModified = sampleValue(before, 'origin_http_not_modified_total');

    // 3 × GET 200 of a 1000-byte file, 2 × 304, 1 × 404, 1 × HEAD, 1 × 206 of 10 bytes.
    let etag = '';
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${site.origin.url}/blob.bin`);
      expect((await res.arrayBuffer()).byteLength).toBe(1000);
      etag = res.headers.get('etag') ?? '';
    }
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${site.origin.url}/blob.bin`, { headers: { 'if-none-match': etag } });
      expect(res.status).toBe(304);
    }
    await (await fetch(`${site.origin.url}/missing`)).arrayBuffer();
    await fetch(`${site.origin.url}/blob.bin`, { method: 'HEAD' });
    const partial = await fetch(`${site.origin.url}/blob.bin`, { headers: { range: 'bytes=0-9' } });
    expect((await partial.arrayBuffer()).byteLength).toBe(10);

    const after = await scrape();
    expect(sampleValue(after, 'origin_http_requests_total', { method: 'GET', status: '200' }) - get200).toBe(3);
    expect(sampleValue(after, 'origin_http_response_bytes_total', { method: 'GET', status: '200' }) - bytes200).toBe(3000);
    expect(sampleValue(after, 'origin_http_not_modified_total') - notModified).toBe(2);
    expect(sampleValue(after, 'origin_http_requests_total', { method: 'GET', status: '304' })).toBe(2);
    expect(sampleValue(after, 'origin_http_requests_total', { method: 'GET', status: '404' })).toBe(1);
    expect(sampleValue(after, 'origin_http_requests_total', { method: 'HEAD', status: '200' })).toBe(1);
    // HEAD sends no body bytes.
    expect(sampleValue(after, 'origin_http_response_bytes_total', { method: 'HEAD', status: '200' })).toBe(0);
    expect(sampleValue(after, 'origin_http_requests_total', { method: 'GET', status: '206' })).toBe(1);
    expect(sampleValue(after, 'origin_http_response_bytes_total', { method: 'GET', status: '206' })).toBe(10);
    // The duration histogram saw the same requests.
    expect(sampleValue(after, 'origin_http_request_duration_seconds_count', { method: 'GET', status: '304' })).toBe(2);
  });

  it('does not count its own scrapes', async () => {
    const a = await scrape();
    const b = await scrape();
    const total = (text: string): number =>
      ['200', '304', '404', '206'].reduce(
        (sum, status) => sum + sampleValue(text, 'origin_http_requests_total', { method: 'GET', status }),
        0,
      );
    expect(total(b)).toBe(total(a));
  });

  it('includes the default process metrics, and leaves them out when asked', async () => {
    const text = await scrape();
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    const bare = await startOrigin({ port: 0, dir: site.fx.site, defaultMetrics: false });
    try {
      const res = await fetch(`${bare.url}/metrics`);
      const own = await res.text();
      expect(own).not.toContain('process_cpu_user_seconds_total');
      expect(own).toContain('# TYPE origin_http_requests_total counter');
    } finally {
      await bare.close();
    }
  });

  it("keeps each app's counters separate (own Registry, not the global one)", async () => {
    const other = await startOrigin({ port: 0, dir: site.fx.site, defaultMetrics: false });
    try {
      await (await fetch(`${other.url}/style.css`)).arrayBuffer();
      const text = await (await fetch(`${other.url}/metrics`)).text();
      expect(sampleValue(text, 'origin_http_requests_total', { method: 'GET', status: '200' })).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('answers 405 to non-GET methods on /metrics', async () => {
    const res = await fetch(`${site.origin.url}/metrics`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect(((await res.json()) as { error: string }).error).toBe('method_not_allowed');
  });
});
