/**
 * Pull CDN regression tests (from a review against RFC 9111 / 5861 / 9110 / 9211 and the docs),
 * each as a user would see it.
 */
import { describe, expect, it } from 'vitest';
import { edge, edgeWithClock, originHits, script, uniquePath } from './edge-client';

describe('pull CDN: 304 that names another representation', () => {
  it('does not refresh the stored copy from a 304 with another strong ETag (RFC 9111 §4.3.4): it fetches the full response', async () => {
    const { clock, edge } = edgeWithClock();
    const p = uniquePath('304-other');
    await script(p, { body: 'version one', etag: '"v1"', headers: { 'cache-control': 'max-age=1' } });
    await edge(p);
    clock.advance(2100);
    await script(p, {
      body: 'version two',
      etag: '"v2"',
      always304: true,
      headers: { 'cache-control': 'max-age=60', date: clock.httpDate() },
    });
    const r = await edge(p);
    expect(r.body).toBe('version two');
    expect(r.res.headers.get('etag')).toBe('"v2"');
    const hits = await originHits(p);
    expect(hits.requests.map((q) => q.headers['if-none-match'] ?? null)).toEqual([null, '"v1"', null]);
  });
});

describe('pull CDN: preconditions with "*" (RFC 9110 §13.1.1, §13.1.2)', () => {
  it('serves a cached object without an ETag to If-Match: * (a representation exists); If-None-Match: * gets 304', async () => {
    const p = uniquePath('star');
    await script(p, { body: 'exists', headers: { 'cache-control': 'max-age=60' } });
    await edge(p);
    const ifMatch = await edge(p, { headers: { 'if-match': '*' } });
    expect(ifMatch.res.status).toBe(200);
    expect(ifMatch.body).toBe('exists');
    const ifNoneMatch = await edge(p, { headers: { 'if-none-match': '*' } });
    expect(ifNoneMatch.res.status).toBe(304);
  });
});
