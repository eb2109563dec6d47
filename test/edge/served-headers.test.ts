/**
 * Pull CDN regression tests (from a review against RFC 9111 / 5861 / 9110 / 9211 and the docs),
 * each as a user would see it.
 */
import { describe, expect, it } from 'vitest';
import { cacheStatus, edge, edgeWithClock, script, uniquePath } from './edge-client';

describe('pull CDN: Range and HEAD', () => {
  it('ignores Range on a HEAD request: 200 with the full length, not 206 (RFC 9110 §14.2)', async () => {
    const p = uniquePath('head-range');
    await script(p, { body: '0123456789', headers: { 'cache-control': 'max-age=60' } });
    await edge(p);
    const h = await edge(p, { method: 'HEAD', headers: { range: 'bytes=0-3' } });
    expect(cacheStatus(h.res)).toContain('hit');
    expect(h.res.status).toBe(200);
    expect(h.res.headers.get('content-length')).toBe('10');
  });
});

describe('pull CDN: Cache-Status (RFC 9211)', () => {
  it("keeps the upstream cache's Cache-Status member and appends its own (RFC 9211 §2)", async () => {
    const p = uniquePath('cs-chain');
    await script(p, { body: 'chain', headers: { 'cache-control': 'max-age=60', 'cache-status': 'OriginCache; hit' } });
    const r = await edge(p);
    expect(r.res.headers.get('cache-status')).toMatch(/^OriginCache; hit, pushpull; fwd=uri-miss/);
  });
});

describe('pull CDN: headers of responses served from the cache', () => {
  it('tells a HEAD client the size of a cached object (Content-Length), as the GET that filled the cache did', async () => {
    const p = uniquePath('head-length');
    await script(p, { body: 'hello world', headers: { 'cache-control': 'max-age=60' } });
    const miss = await edge(p);
    expect(miss.res.headers.get('content-length')).toBe('11');
    const head = await edge(p, { method: 'HEAD' });
    expect(cacheStatus(head.res)).toContain('hit');
    expect(head.res.headers.get('content-length')).toBe('11');
  });

  it("does not pass the Cache API's own cf-cache-status: HIT to clients (it contradicts Cache-Status after a revalidation)", async () => {
    const { clock, edge } = edgeWithClock();
    const p = uniquePath('cf-cache-status');
    await script(p, { body: 'v', etag: '"v"', headers: { 'cache-control': 'max-age=1' } });
    await edge(p);
    clock.advance(1100);
    await script(p, { body: 'v', etag: '"v"', headers: { 'cache-control': 'max-age=1', date: clock.httpDate() } });
    const revalidated = await edge(p);
    expect(cacheStatus(revalidated.res)).toContain('fwd=stale; fwd-status=304');
    expect(revalidated.res.headers.get('cf-cache-status')).toBeNull();
  });
});
