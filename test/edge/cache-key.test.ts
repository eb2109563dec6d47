/**
 * Pull CDN regression tests (from a review against RFC 9111 / 5861 / 9110 / 9211 and the docs),
 * each as a user would see it.
 */
import { describe, expect, it } from 'vitest';
import { cacheStatus, edge, originHits, script, uniquePath } from './edge-client';

describe('pull CDN: cache key', () => {
  it('does not answer ?q=%FE with the response stored for ?q=%FF (different bytes, different resources)', async () => {
    const p = uniquePath('bytes-key');
    await script(p, { body: 'latin1', headers: { 'cache-control': 'max-age=60' } });
    await edge(`${p}?q=%FF`);
    const other = await edge(`${p}?q=%FE`);
    expect(cacheStatus(other.res)).not.toContain('hit');
    expect((await originHits(p)).count).toBe(2);
  });
});

describe('pull CDN: Vary keyed on what the origin saw', () => {
  it('does not file a response fetched without Accept-Language (stripped by Connection) under the "fr" variant', async () => {
    const p = uniquePath('vary-conn');
    await script(p, { body: 'default-language', headers: { 'cache-control': 'max-age=60', vary: 'Accept-Language' } });
    await edge(p, { headers: { 'accept-language': 'fr', connection: 'accept-language' } });
    const seen = (await originHits(p)).requests[0].headers;
    expect(seen['accept-language']).toBeUndefined(); // the origin chose without knowing the language
    const fr = await edge(p, { headers: { 'accept-language': 'fr' } });
    expect(cacheStatus(fr.res)).not.toContain('hit');
    expect((await originHits(p)).count).toBe(2);
  });
});

describe('pull CDN: invalidation after unsafe requests', () => {
  it('invalidates the cached GET after a POST to the same URL with an ignored utm_ parameter (RFC 9111 §4.4)', async () => {
    const p = uniquePath('post-utm');
    await script(p, { body: 'before', headers: { 'cache-control': 'max-age=600' } });
    await edge(`${p}?utm_source=mail`);
    expect(cacheStatus((await edge(`${p}?utm_source=mail`)).res)).toContain('hit');
    const post = await edge(`${p}?utm_source=mail`, { method: 'POST', body: 'change' });
    expect(post.res.status).toBe(200);
    const after = await edge(`${p}?utm_source=mail`);
    expect(cacheStatus(after.res)).not.toContain('hit');
  });
});

describe('pull CDN: ignored query parameters', () => {
  it('forwards a request without its ignored parameters, so what the origin echoes of them is never served to others', async () => {
    const p = uniquePath('utm-echo');
    await script(p, { echoUrl: true, headers: { 'cache-control': 'max-age=600' } });
    const poisoned = await edge(`${p}?utm_content=%3Cscript%3Ealert(1)%3C/script%3E&a=1&fbclid=x`);
    expect(poisoned.body).toBe(`${p}?a=1`);
    const other = await edge(`${p}?a=1`);
    expect(cacheStatus(other.res)).toContain('hit');
    expect(other.body).toBe(`${p}?a=1`);
    const hits = await originHits(p);
    expect(hits.requests.map((r) => r.url)).toEqual([`${p}?a=1`]);
  });

  it('forwards the other parameters in their order, byte for byte', async () => {
    const p = uniquePath('utm-order');
    await script(p, { echoUrl: true, headers: { 'cache-control': 'max-age=600' } });
    const got = await edge(`${p}?z=%FF&utm_source=mail&a=b+c&UTM_MEDIUM=x&=&flag`);
    expect(got.body).toBe(`${p}?z=%FF&a=b+c&=&flag`);
  });
});
