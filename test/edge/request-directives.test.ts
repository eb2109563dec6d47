/**
 * Pull CDN regression tests (from a review against RFC 9111 / 5861 / 9110 / 9211 and the docs),
 * each as a user would see it.
 */
import { describe, expect, it } from 'vitest';
import { cacheStatus, edge, edgeWithClock, originHits, script, uniquePath } from './edge-client';

describe('pull CDN: request directives', () => {
  it('answers only-if-cached with 504 for a stale entry and never contacts the origin (RFC 9111 §5.2.1.7)', async () => {
    const { clock, edge } = edgeWithClock();
    const p = uniquePath('oic-stale');
    await script(p, { body: 'old', etag: '"o"', headers: { 'cache-control': 'max-age=1' } });
    await edge(p);
    clock.advance(1100);
    const r = await edge(p, { headers: { 'cache-control': 'only-if-cached' } });
    expect((await originHits(p)).count).toBe(1);
    expect(r.res.status).toBe(504);
  });
});

describe('pull CDN: Pragma (RFC 9111 §5.4)', () => {
  it('revalidates on Pragma: no-cache when the request has no Cache-Control (RFC 9111 §5.4)', async () => {
    const p = uniquePath('pragma');
    await script(p, { body: 'p', etag: '"p"', headers: { 'cache-control': 'max-age=60' } });
    await edge(p);
    const r = await edge(p, { headers: { pragma: 'no-cache' } });
    expect(cacheStatus(r.res)).toContain('fwd=request; fwd-status=304');
    const ignored = await edge(p, { headers: { pragma: 'no-cache', 'cache-control': 'max-stale=5' } });
    expect(cacheStatus(ignored.res)).toContain('hit');
  });
});
