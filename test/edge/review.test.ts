/**
 * Review of the pull CDN (issue 2): behaviours that differ from RFC 9111 / 5861 / 9110 / 9211
 * or from the README, each as a user would see it.
 */
import { env, exports } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import app from '../../workers/edge/src/index';
import { cacheStatus, edge, originHits, purgeEdge, script, sleep, uniquePath } from './helpers';

describe('pull CDN review: coalescing across real incoming requests', () => {
  it('gives every one of several concurrent clients (separate incoming requests) the full body of a cold URL', async () => {
    const p = uniquePath('xreq');
    const body = 'X'.repeat(60_000); // below COALESCE_MAX_BYTES (65536): shared
    await script(p, { body, delayMs: 300, headers: { 'cache-control': 'max-age=60' } });
    const responses = await Promise.all(Array.from({ length: 5 }, () => exports.default.fetch(`http://edge.test${p}`)));
    const bodies = await Promise.all(responses.map((r) => r.text().catch((e: unknown) => `error: ${String(e)}`)));
    expect(bodies).toEqual([body, body, body, body, body]);
  });
});

describe('pull CDN review: request directives', () => {
  it('answers only-if-cached with 504 for a stale entry and never contacts the origin (RFC 9111 §5.2.1.7)', async () => {
    const p = uniquePath('oic-stale');
    await script(p, { body: 'old', etag: '"o"', headers: { 'cache-control': 'max-age=1' } });
    await edge(p);
    await sleep(1100);
    const r = await edge(p, { headers: { 'cache-control': 'only-if-cached' } });
    expect((await originHits(p)).count).toBe(1);
    expect(r.res.status).toBe(504);
  });
});

describe('pull CDN review: no-cache and errors', () => {
  it('does not hide an origin failure with a no-cache response that was never revalidated (RFC 9111 §5.2.2.4)', async () => {
    const p = uniquePath('nocache-down');
    await script(p, { body: 'must check', etag: '"nc"', headers: { 'cache-control': 'no-cache' } });
    await edge(p);
    await script(p, { mode: 'down' });
    const r = await edge(p);
    expect(r.res.status).toBe(502);
  });
});

describe('pull CDN review: stale-if-error', () => {
  it('does not replace the good copy with a 5xx it just hid behind stale-if-error', async () => {
    const p = uniquePath('sie-500');
    await script(p, { body: 'good copy', etag: '"g"', headers: { 'cache-control': 'max-age=1, stale-if-error=300' } });
    await edge(p);
    await script(p, { status: 500, body: 'broken', headers: { 'cache-control': 'max-age=60' } });
    await sleep(1100);
    const first = await edge(p);
    expect(first.res.status).toBe(200);
    expect(cacheStatus(first.res)).toContain('detail=stale-if-error');
    expect(cacheStatus(first.res)).not.toContain('stored');
    const second = await edge(p);
    expect(second.res.status).toBe(200);
    expect(second.body).toBe('good copy');
  });

  it('hides only the errors RFC 5861 names (500, 502, 503, 504): a 501 is passed on', async () => {
    const p = uniquePath('sie-501');
    await script(p, { body: 'good copy', etag: '"g"', headers: { 'cache-control': 'max-age=1, stale-if-error=300' } });
    await edge(p);
    await script(p, { status: 501, body: 'not implemented' });
    await sleep(1100);
    const r = await edge(p);
    expect(r.res.status).toBe(501);
  });
});

describe('pull CDN review: 304 merge and collapsed validations', () => {
  it("does not hand one client's Set-Cookie from a 304 to the other clients collapsed on the same validation", async () => {
    const p = uniquePath('304-cookie');
    const body = 'shared-page';
    await script(p, { body, etag: '"s"', headers: { 'cache-control': 'max-age=1' } });
    await edge(p);
    await script(p, { body, etag: '"s"', delayMs: 300, headers: { 'cache-control': 'max-age=60', 'set-cookie': 'session=for-the-first-client' } });
    await sleep(1100);
    const ctxs = Array.from({ length: 5 }, () => createExecutionContext());
    const responses = await Promise.all(ctxs.map((ctx) => app.fetch(new Request(`http://edge.test${p}`), env, ctx)));
    await Promise.all(responses.map((r) => r.text()));
    await Promise.all(ctxs.map((ctx) => waitOnExecutionContext(ctx)));
    // Every cookie a client sees came from that client's own origin request.
    const hits = await originHits(p);
    const withCookie = responses.filter((r) => r.headers.get('set-cookie') !== null).length;
    expect(withCookie).toBe(hits.count - 1);
  });
});

describe('pull CDN review: Range and HEAD', () => {
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

describe('pull CDN review: cache key', () => {
  it('does not answer ?q=%FE with the response stored for ?q=%FF (different bytes, different resources)', async () => {
    const p = uniquePath('bytes-key');
    await script(p, { body: 'latin1', headers: { 'cache-control': 'max-age=60' } });
    await edge(`${p}?q=%FF`);
    const other = await edge(`${p}?q=%FE`);
    expect(cacheStatus(other.res)).not.toContain('hit');
    expect((await originHits(p)).count).toBe(2);
  });
});

describe('pull CDN review: invalidation after unsafe requests', () => {
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

describe('pull CDN review: Cache-Status (RFC 9211)', () => {
  it("keeps the upstream cache's Cache-Status member and appends its own (RFC 9211 §2)", async () => {
    const p = uniquePath('cs-chain');
    await script(p, { body: 'chain', headers: { 'cache-control': 'max-age=60', 'cache-status': 'OriginCache; hit' } });
    const r = await edge(p);
    expect(r.res.headers.get('cache-status')).toMatch(/^OriginCache; hit, pushpull; fwd=uri-miss/);
  });
});

describe('pull CDN review: ORIGIN_TIMEOUT_MS bounds the wait for headers, not the body', () => {
  it('delivers a large uncached body whole to a client that reads slower than ORIGIN_TIMEOUT_MS', async () => {
    const p = uniquePath('slow-reader');
    const size = 30_000_000;
    await script(p, { body: 'S', size, headers: { 'cache-control': 'no-store' } });
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(`http://edge.test${p}`), env, ctx);
    expect(res.status).toBe(200);
    const reader = res.body?.getReader();
    if (!reader) throw new Error('no body');
    let got = 0;
    let error = '';
    const first = await reader.read();
    got += first.value?.byteLength ?? 0;
    await sleep(3500); // ORIGIN_TIMEOUT_MS is 3000 in this project
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        got += value.byteLength;
      }
    } catch (err) {
      error = String(err);
    }
    await waitOnExecutionContext(ctx);
    expect(error).toBe('');
    expect(got).toBe(size);
  });
});

describe('pull CDN review: Vary keyed on what the origin saw', () => {
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

describe('pull CDN review: purge races', () => {
  it('does not keep serving content the origin sent before a purge when its response arrived after the purge', async () => {
    const p = uniquePath('purge-race');
    await script(p, { body: 'old', delayMs: 600, headers: { 'cache-control': 'max-age=600' } });
    const inFlight = edge(p); // the origin has read its script: it will answer "old" after 600 ms
    await sleep(150);
    await script(p, { body: 'new', headers: { 'cache-control': 'max-age=600' } });
    const purged = await purgeEdge({ urls: [p] });
    expect(purged.res.status).toBe(200);
    expect((await inFlight).body).toBe('old');
    const after = await edge(p);
    expect(after.body).toBe('new');
  });
});

describe('pull CDN review: headers of responses served from the cache', () => {
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
    const p = uniquePath('cf-cache-status');
    await script(p, { body: 'v', etag: '"v"', headers: { 'cache-control': 'max-age=1' } });
    await edge(p);
    await sleep(1100);
    const revalidated = await edge(p);
    expect(cacheStatus(revalidated.res)).toContain('fwd=stale; fwd-status=304');
    expect(revalidated.res.headers.get('cf-cache-status')).toBeNull();
  });
});

describe('pull CDN review: preconditions with "*" (RFC 9110 §13.1.1, §13.1.2)', () => {
  it('serves a cached object without an ETag to If-Match: * (a current representation exists), and answers If-None-Match: * with 304', async () => {
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

describe('pull CDN review: purge by prefix with non-ASCII paths', () => {
  it('purges /café/… by the prefix "/café/" as written by a user, as it does for a URL', async () => {
    const base = `/t/café-${crypto.randomUUID().slice(0, 8)}`;
    const a = `${base}/a`;
    await script(new URL(a, 'http://x').pathname, { body: 'a', headers: { 'cache-control': 'max-age=600' } });
    await edge(a);
    expect(cacheStatus((await edge(a)).res)).toContain('hit');
    const purged = await purgeEdge({ prefixes: [`${base}/`] });
    expect(purged.res.status).toBe(200);
    expect(cacheStatus((await edge(a)).res)).not.toContain('hit');
  });
});

describe('pull CDN review: verified behaviours kept as regression tests (these pass)', () => {
  it('shares one validation of a stale entry among concurrent separate incoming requests, all bodies whole', async () => {
    const p = uniquePath('xreq-validate');
    const body = 'V'.repeat(20_000);
    await script(p, { body, etag: '"v"', headers: { 'cache-control': 'max-age=1' } });
    await (await exports.default.fetch(`http://edge.test${p}`)).text();
    await sleep(1100);
    await script(p, { body, etag: '"v"', delayMs: 300, headers: { 'cache-control': 'max-age=60' } });
    const responses = await Promise.all(Array.from({ length: 5 }, () => exports.default.fetch(`http://edge.test${p}`)));
    const bodies = await Promise.all(responses.map((r) => r.text()));
    expect(bodies.every((b) => b === body)).toBe(true);
    expect((await originHits(p)).count).toBe(2);
  });

  it('revalidates on Pragma: no-cache when the request has no Cache-Control (RFC 9111 §5.4)', async () => {
    const p = uniquePath('pragma');
    await script(p, { body: 'p', etag: '"p"', headers: { 'cache-control': 'max-age=60' } });
    await edge(p);
    const r = await edge(p, { headers: { pragma: 'no-cache' } });
    expect(cacheStatus(r.res)).toContain('fwd=request; fwd-status=304');
    const ignored = await edge(p, { headers: { pragma: 'no-cache', 'cache-control': 'max-stale=5' } });
    expect(cacheStatus(ignored.res)).toContain('hit');
  });

  it('does not serve a purged entry as stale-if-error when the origin is down afterwards', async () => {
    const p = uniquePath('purge-sie');
    await script(p, { body: 'purged copy', etag: '"x"', headers: { 'cache-control': 'max-age=1, stale-if-error=300' } });
    await edge(p);
    await purgeEdge({ urls: [p] });
    await script(p, { mode: 'down' });
    const r = await edge(p);
    expect(r.res.status).toBe(502);
  });
});

describe('pull CDN review: 304 that names another representation', () => {
  it('does not refresh the stored copy from a 304 whose strong ETag is not the stored one (RFC 9111 §4.3.4): it fetches the full response', async () => {
    const p = uniquePath('304-other');
    await script(p, { body: 'version one', etag: '"v1"', headers: { 'cache-control': 'max-age=1' } });
    await edge(p);
    await script(p, { body: 'version two', etag: '"v2"', always304: true, headers: { 'cache-control': 'max-age=60' } });
    await sleep(2100);
    const r = await edge(p);
    expect(r.body).toBe('version two');
    expect(r.res.headers.get('etag')).toBe('"v2"');
    const hits = await originHits(p);
    expect(hits.requests.map((q) => q.headers['if-none-match'] ?? null)).toEqual([null, '"v1"', null]);
  });
});
