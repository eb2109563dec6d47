import { env, exports } from 'cloudflare:workers';
import { createExecutionContext, runDurableObjectAlarm, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import app from '../../workers/edge/src/index';
import { AUTH, cacheStatus, edge, edgeWithClock, originHits, purgeEdge, script, uniquePath } from './edge-client';

describe('pull CDN: misses, hits and freshness', () => {
  it('answers a miss from the origin, then a hit from the cache with Age and Cache-Status', async () => {
    const p = uniquePath('basic');
    await script(p, { body: 'hello', headers: { 'cache-control': 'public, max-age=60', 'content-type': 'text/plain' } });
    const first = await edge(p);
    expect(first.res.status).toBe(200);
    expect(first.body).toBe('hello');
    expect(cacheStatus(first.res)).toBe('pushpull; fwd=uri-miss; fwd-status=200; stored; ttl=60');
    const second = await edge(p);
    expect(second.body).toBe('hello');
    expect(cacheStatus(second.res)).toMatch(/^pushpull; hit; ttl=(59|60)$/);
    expect(second.res.headers.get('age')).toMatch(/^[01]$/);
    expect(second.res.headers.get('cache-control')).toBe('public, max-age=60');
    expect(second.res.headers.get('content-type')).toBe('text/plain');
    expect(second.res.headers.has('x-pushpull-meta')).toBe(false);
    expect((await originHits(p)).count).toBe(1);
  });

  it('works through the Worker entrypoint as deployed (exports.default.fetch)', async () => {
    const p = uniquePath('entry');
    await script(p, { body: 'via-entrypoint', headers: { 'cache-control': 'max-age=30' } });
    const res = await exports.default.fetch(`http://edge.test${p}`);
    expect(await res.text()).toBe('via-entrypoint');
    expect(cacheStatus(res)).toContain('fwd=uri-miss');
  });

  it('counts Age from the origin Age header and its Date', async () => {
    const p = uniquePath('age');
    await script(p, { body: 'aged', headers: { 'cache-control': 'max-age=100', age: '30' } });
    await edge(p);
    const hit = await edge(p);
    expect(Number(hit.res.headers.get('age'))).toBeGreaterThanOrEqual(30);
    expect(cacheStatus(hit.res)).toMatch(/hit; ttl=(69|70)$/);
  });

  it('prefers s-maxage over max-age over Expires', async () => {
    const p = uniquePath('smaxage');
    await script(p, {
      body: 'x',
      headers: { 'cache-control': 'max-age=5, s-maxage=500', expires: new Date(Date.now() + 9e6).toUTCString() },
    });
    expect(cacheStatus((await edge(p)).res)).toContain('ttl=500');
    const q = uniquePath('expires');
    await script(q, { body: 'x', headers: { expires: new Date(Date.now() + 120_000).toUTCString() } });
    expect(cacheStatus((await edge(q)).res)).toMatch(/ttl=1(19|20)$/);
  });

  it('uses the 10% Last-Modified heuristic, capped, when there is no explicit freshness', async () => {
    const p = uniquePath('heuristic');
    await script(p, { body: 'h', lastModified: new Date(Date.now() - 1000 * 1000).toUTCString() });
    expect(cacheStatus((await edge(p)).res)).toMatch(/ttl=(99|100)$/);
    const q = uniquePath('heuristic-cap');
    await script(q, { body: 'h', lastModified: new Date(Date.now() - 400 * 86400_000).toUTCString() });
    expect(cacheStatus((await edge(q)).res)).toContain('ttl=86400');
  });

  it('applies DEFAULT_TTL to a cacheable 200 with no freshness information, and NEGATIVE_TTL to a 404', async () => {
    const p = uniquePath('default');
    await script(p, { body: 'plain' });
    expect(cacheStatus((await edge(p)).res)).toContain(`ttl=${env.DEFAULT_TTL}`);
    const q = uniquePath('missing');
    await script(q, { status: 404, body: 'nope' });
    const r = await edge(q);
    expect(r.res.status).toBe(404);
    expect(cacheStatus(r.res)).toContain('ttl=10');
    await edge(q);
    expect((await originHits(q)).count).toBe(1);
  });

  it('does not store a 500 with no explicit freshness, nor a 302', async () => {
    for (const status of [500, 302]) {
      const p = uniquePath(`s${status}`);
      await script(p, { status, body: 'x', headers: status === 302 ? { location: '/elsewhere' } : {} });
      await edge(p);
      await edge(p);
      expect((await originHits(p)).count).toBe(2);
    }
  });

  it('normalises the key: sorted query, utm_* and click ids ignored', async () => {
    const p = uniquePath('query');
    await script(p, { body: 'q', headers: { 'cache-control': 'max-age=60' } });
    await edge(`${p}?b=2&a=1&utm_source=news`);
    const hit = await edge(`${p}?a=1&b=2&fbclid=xyz`);
    expect(cacheStatus(hit.res)).toContain('hit');
    const other = await edge(`${p}?a=1&b=3`);
    expect(cacheStatus(other.res)).toContain('fwd=uri-miss');
    const hits = await originHits(p);
    expect(hits.count).toBe(2);
    // The origin gets the query as sent, less the ignored parameters (they are not in the key).
    expect(hits.requests[0].url).toBe(`${p}?b=2&a=1`);
  });
});

describe('pull CDN: what is never stored', () => {
  const cases: Array<[string, Record<string, string>, Record<string, string>?]> = [
    ['no-store', { 'cache-control': 'no-store, max-age=60' }],
    ['private', { 'cache-control': 'private, max-age=60' }],
    ['set-cookie', { 'cache-control': 'max-age=60', 'set-cookie': 'session=1' }],
    ['vary-star', { 'cache-control': 'max-age=60', vary: '*' }],
    ['authorization', { 'cache-control': 'max-age=60' }, { authorization: 'Bearer user' }],
    ['request-no-store', { 'cache-control': 'max-age=60' }, { 'cache-control': 'no-store' }],
  ];
  for (const [name, headers, requestHeaders] of cases) {
    it(`does not store a response when ${name}`, async () => {
      const p = uniquePath(name);
      await script(p, { body: name, headers });
      const first = await edge(p, { headers: requestHeaders });
      expect(first.body).toBe(name);
      expect(cacheStatus(first.res)).not.toContain('stored');
      const second = await edge(p, { headers: requestHeaders });
      expect(second.body).toBe(name);
      expect(cacheStatus(second.res)).not.toContain('hit');
      expect((await originHits(p)).count).toBe(2);
    });
  }

  it('stores a response to an authorized request only when the response says public (RFC 9111 §3.5)', async () => {
    const p = uniquePath('auth-public');
    await script(p, { body: 'shared', headers: { 'cache-control': 'public, max-age=60' } });
    const first = await edge(p, { headers: { authorization: 'Bearer user' } });
    expect(cacheStatus(first.res)).toContain('stored');
    const anon = await edge(p);
    expect(cacheStatus(anon.res)).toContain('hit');
    expect((await originHits(p)).count).toBe(1);
  });

  it('never replays fields named by private="..." / no-cache="...", nor Cache-Tag', async () => {
    const p = uniquePath('qualified');
    await script(p, {
      body: 'q',
      headers: {
        'cache-control': 'max-age=60, private="x-user", no-cache="x-trace"',
        'x-user': 'alice',
        'x-trace': 't1',
        'x-kept': 'k',
        'cache-tag': 'a,b',
      },
    });
    const first = await edge(p);
    expect(first.res.headers.get('cache-tag')).toBeNull();
    const hit = await edge(p);
    expect(cacheStatus(hit.res)).toContain('hit');
    expect(hit.res.headers.get('x-user')).toBeNull();
    expect(hit.res.headers.get('x-trace')).toBeNull();
    expect(hit.res.headers.get('x-kept')).toBe('k');
  });
});

describe('pull CDN: revalidation and stale content', () => {
  it('revalidates an expired but unchanged entry: the origin answers 304 with no body, the client gets 200 and the full body', async () => {
    const { clock, edge } = edgeWithClock();
    const p = uniquePath('revalidate');
    const body = 'unchanged-'.repeat(500);
    await script(p, { body, etag: '"v1"', headers: { 'cache-control': 'max-age=1' } });
    await edge(p);
    clock.advance(2100);
    // Unchanged content; the origin now grants a longer lifetime, which its 304 carries.
    await script(p, { body, etag: '"v1"', headers: { 'cache-control': 'max-age=60', date: clock.httpDate() } });
    const again = await edge(p);
    expect(again.res.status).toBe(200);
    expect(again.body).toBe(body);
    expect(cacheStatus(again.res)).toMatch(/fwd=stale; fwd-status=304; stored; ttl=(59|60)$/);
    const hits = await originHits(p);
    expect(hits.count).toBe(2);
    expect(hits.notModified).toBe(1);
    expect(hits.requests[1].headers['if-none-match']).toBe('"v1"');
    // The refreshed entry is fresh again.
    expect(cacheStatus((await edge(p)).res)).toContain('hit');
  });

  it('revalidates with If-Modified-Since when there is only Last-Modified', async () => {
    const { clock, edge } = edgeWithClock();
    const p = uniquePath('ims');
    const lm = new Date(Date.now() - 60_000).toUTCString();
    await script(p, { body: 'lm', lastModified: lm, headers: { 'cache-control': 'max-age=1' } });
    await edge(p);
    clock.advance(2100);
    await script(p, { body: 'lm', lastModified: lm, headers: { 'cache-control': 'max-age=1', date: clock.httpDate() } });
    const again = await edge(p);
    expect(again.body).toBe('lm');
    const hits = await originHits(p);
    expect(hits.requests[1].headers['if-modified-since']).toBe(lm);
    expect(hits.notModified).toBe(1);
  });

  it('replaces the entry when the origin sends a new version', async () => {
    const { clock, edge } = edgeWithClock();
    const p = uniquePath('changed');
    await script(p, { body: 'v1', etag: '"v1"', headers: { 'cache-control': 'max-age=1' } });
    await edge(p);
    clock.advance(2100);
    await script(p, { body: 'v2', etag: '"v2"', headers: { 'cache-control': 'max-age=60', date: clock.httpDate() } });
    const again = await edge(p);
    expect(again.body).toBe('v2');
    expect(cacheStatus(again.res)).toContain('fwd=stale; fwd-status=200; stored');
    expect((await edge(p)).body).toBe('v2');
  });

  it('serves stale at once within stale-while-revalidate and refreshes in the background, once', async () => {
    const { clock, app, edge } = edgeWithClock();
    const p = uniquePath('swr');
    await script(p, { body: 'old', etag: '"a"', headers: { 'cache-control': 'max-age=1, stale-while-revalidate=60' } });
    await edge(p);
    clock.advance(2100);
    await script(p, { body: 'new', etag: '"b"', headers: { 'cache-control': 'max-age=60', date: clock.httpDate() }, delayMs: 300 });
    const ctxs = [createExecutionContext(), createExecutionContext(), createExecutionContext()];
    const responses = await Promise.all(ctxs.map((ctx) => app.fetch(new Request(`http://edge.test${p}`), env, ctx)));
    const bodies = await Promise.all(responses.map((r) => r.text()));
    expect(bodies).toEqual(['old', 'old', 'old']);
    for (const r of responses) expect(cacheStatus(r)).toMatch(/hit; ttl=-\d+; detail=stale-while-revalidate/);
    await Promise.all(ctxs.map((ctx) => waitOnExecutionContext(ctx)));
    expect((await originHits(p)).count).toBe(2);
    const fresh = await edge(p);
    expect(fresh.body).toBe('new');
    expect(cacheStatus(fresh.res)).toContain('hit');
  });

  for (const [failure, origin] of [
    ['connection refused', { mode: 'down' }],
    ['a 503', { status: 503, body: 'overloaded' }],
    ['a timeout', { mode: 'hang' }],
  ] as const) {
    it(`hides ${failure} inside the stale-if-error window`, async () => {
      const { clock, edge } = edgeWithClock();
      const p = uniquePath('sie');
      await script(p, { body: 'good copy', etag: '"g"', headers: { 'cache-control': 'max-age=1, stale-if-error=300' } });
      await edge(p);
      await script(p, origin);
      clock.advance(1100);
      const results = await Promise.all([1, 2, 3].map(() => edge(p)));
      for (const r of results) {
        expect(r.res.status).toBe(200);
        expect(r.body).toBe('good copy');
        expect(cacheStatus(r.res)).toMatch(/fwd=stale.*detail=stale-if-error/);
      }
    });
  }

  it('does not serve stale past stale-if-error, nor when must-revalidate: 502/504 with a JSON body', async () => {
    const { clock, edge } = edgeWithClock();
    const p = uniquePath('must');
    await script(p, { body: 'x', etag: '"m"', headers: { 'cache-control': 'max-age=1, must-revalidate, stale-if-error=300' } });
    await edge(p);
    await script(p, { mode: 'down' });
    clock.advance(1100);
    const r = await edge(p);
    expect(r.res.status).toBe(502);
    expect(JSON.parse(r.body)).toMatchObject({ error: 'origin_unreachable' });
  });

  it('answers 504 with a JSON body when the origin hangs on a miss, 502 when it is down', async () => {
    const p = uniquePath('hang');
    await script(p, { mode: 'hang' });
    const r = await edge(p);
    expect(r.res.status).toBe(504);
    expect(JSON.parse(r.body)).toMatchObject({ error: 'origin_timeout' });
    const q = uniquePath('down');
    await script(q, { mode: 'down' });
    const d = await edge(q);
    expect(d.res.status).toBe(502);
    expect(JSON.parse(d.body)).toMatchObject({ error: 'origin_unreachable' });
  });

  it('honours the request: no-cache and min-fresh revalidate, only-if-cached never goes to the origin', async () => {
    const p = uniquePath('reqcc');
    await script(p, { body: 'r', etag: '"r"', headers: { 'cache-control': 'max-age=60' } });
    await edge(p);
    const nc = await edge(p, { headers: { 'cache-control': 'no-cache' } });
    expect(cacheStatus(nc.res)).toContain('fwd=request; fwd-status=304');
    const mf = await edge(p, { headers: { 'cache-control': 'min-fresh=3600' } });
    expect(cacheStatus(mf.res)).toContain('fwd=request');
    const ms = await edge(p, { headers: { 'cache-control': 'max-stale=10' } });
    expect(cacheStatus(ms.res)).toContain('hit');
    const q = uniquePath('oic');
    const oic = await edge(q, { headers: { 'cache-control': 'only-if-cached' } });
    expect(oic.res.status).toBe(504);
    expect((await originHits(q)).count).toBe(0);
  });

  it('revalidates every time a response says no-cache', async () => {
    const p = uniquePath('resp-no-cache');
    await script(p, { body: 'nc', etag: '"n"', headers: { 'cache-control': 'no-cache' } });
    await edge(p);
    const again = await edge(p);
    expect(again.body).toBe('nc');
    expect(cacheStatus(again.res)).toContain('fwd=stale; fwd-status=304');
    expect((await originHits(p)).notModified).toBe(1);
  });
});

describe('pull CDN: coalescing', () => {
  it('sends exactly one origin fetch for 1,000 concurrent requests to a cold URL behind a slow origin', async () => {
    const p = uniquePath('herd');
    const body = 'payload-'.repeat(2000);
    await script(p, { body, delayMs: 500, headers: { 'cache-control': 'max-age=60' } });
    const ctxs = Array.from({ length: 1000 }, () => createExecutionContext());
    const responses = await Promise.all(ctxs.map((ctx) => app.fetch(new Request(`http://edge.test${p}`), env, ctx)));
    const bodies = await Promise.all(responses.map((r) => r.text()));
    await Promise.all(ctxs.map((ctx) => waitOnExecutionContext(ctx)));
    expect(bodies.every((b) => b === body)).toBe(true);
    expect(responses.filter((r) => cacheStatus(r).includes('collapsed')).length).toBe(999);
    expect((await originHits(p)).count).toBe(1);
  }, 30_000); // a budget for a loaded machine (1,000 requests), not a speed claim

  it('shares one validation among 200 concurrent requests for a stale entry', async () => {
    const { clock, app, edge } = edgeWithClock();
    const p = uniquePath('herd-stale');
    const body = 'stale-herd-'.repeat(300);
    await script(p, { body, etag: '"h1"', headers: { 'cache-control': 'max-age=1' } });
    await edge(p);
    clock.advance(2100);
    await script(p, { body, etag: '"h1"', delayMs: 300, headers: { 'cache-control': 'max-age=60', date: clock.httpDate() } });
    const ctxs = Array.from({ length: 200 }, () => createExecutionContext());
    const responses = await Promise.all(ctxs.map((ctx) => app.fetch(new Request(`http://edge.test${p}`), env, ctx)));
    const bodies = await Promise.all(responses.map((r) => r.text()));
    await Promise.all(ctxs.map((ctx) => waitOnExecutionContext(ctx)));
    expect(bodies.every((b) => b === body)).toBe(true);
    expect(responses.every((r) => cacheStatus(r).includes('fwd=stale; fwd-status=304'))).toBe(true);
    const hits = await originHits(p);
    expect(hits.count).toBe(2);
    expect(hits.notModified).toBe(1);
  });

  it('streams one origin fetch to 100 separate incoming requests (each in its own request context)', async () => {
    const p = uniquePath('herd-wire');
    const body = 'wire-'.repeat(5000);
    await script(p, { body, delayMs: 300, headers: { 'cache-control': 'max-age=60' } });
    const responses = await Promise.all(Array.from({ length: 100 }, () => exports.default.fetch(`http://edge.test${p}`)));
    const bodies = await Promise.all(responses.map((r) => r.text()));
    expect(bodies.every((b) => b === body)).toBe(true);
    expect(responses.filter((r) => cacheStatus(r).includes('collapsed')).length).toBe(99);
    expect((await originHits(p)).count).toBe(1);
  });

  it('answers each of 50 separate requests for an uncacheable URL (joiners wait on their own timers, never hang)', async () => {
    const p = uniquePath('herd-nostore');
    await script(p, { body: 'fresh each time', delayMs: 300, headers: { 'cache-control': 'no-store' } });
    const responses = await Promise.all(Array.from({ length: 50 }, () => exports.default.fetch(`http://edge.test${p}`)));
    const bodies = await Promise.all(responses.map((r) => r.text()));
    expect(responses.map((r) => r.status)).toEqual(Array.from({ length: 50 }, () => 200));
    expect(bodies.every((b) => b === 'fresh each time')).toBe(true);
    expect((await originHits(p)).count).toBe(50);
  });

  it('does not share a private response between collapsed requests', async () => {
    const p = uniquePath('herd-private');
    await script(p, { body: 'mine', delayMs: 200, headers: { 'cache-control': 'private' } });
    const ctxs = Array.from({ length: 5 }, () => createExecutionContext());
    const responses = await Promise.all(ctxs.map((ctx) => app.fetch(new Request(`http://edge.test${p}`), env, ctx)));
    await Promise.all(responses.map((r) => r.text()));
    await Promise.all(ctxs.map((ctx) => waitOnExecutionContext(ctx)));
    expect((await originHits(p)).count).toBe(5);
  });
});

describe('pull CDN: objects larger than COALESCE_MAX_BYTES', () => {
  it('streams a large object to the client and the cache at once, then serves hits and revalidations intact', async () => {
    const { clock, edge } = edgeWithClock();
    const p = uniquePath('large');
    const size = 300_000; // COALESCE_MAX_BYTES is 65536 in this project
    await script(p, { body: 'large-object-', size, etag: '"big"', headers: { 'cache-control': 'max-age=1' } });
    const first = await edge(p);
    expect(first.body.length).toBe(size);
    expect(cacheStatus(first.res)).toContain('stored');
    const hit = await edge(p);
    expect(cacheStatus(hit.res)).toContain('hit');
    expect(hit.body).toBe(first.body);
    clock.advance(2100);
    await script(p, { body: 'large-object-', size, etag: '"big"', headers: { 'cache-control': 'max-age=60', date: clock.httpDate() } });
    const revalidated = await edge(p);
    expect(cacheStatus(revalidated.res)).toContain('fwd=stale; fwd-status=304; stored');
    expect(revalidated.body).toBe(first.body);
    expect(cacheStatus((await edge(p)).res)).toContain('hit');
    const range = await edge(p, { headers: { range: 'bytes=299990-' } });
    expect(range.res.status).toBe(206);
    expect(range.body).toBe(first.body.slice(299990));
  });

  it('does not hold a large object for collapsed requests: each fetches on its own, all bodies whole', async () => {
    const p = uniquePath('large-herd');
    const size = 100_000;
    await script(p, { body: 'L', size, delayMs: 200, headers: { 'cache-control': 'max-age=60' } });
    const ctxs = Array.from({ length: 4 }, () => createExecutionContext());
    const responses = await Promise.all(ctxs.map((ctx) => app.fetch(new Request(`http://edge.test${p}`), env, ctx)));
    const bodies = await Promise.all(responses.map((r) => r.text()));
    await Promise.all(ctxs.map((ctx) => waitOnExecutionContext(ctx)));
    expect(bodies.every((b) => b.length === size)).toBe(true);
    expect((await originHits(p)).count).toBe(4);
  });
});

describe('pull CDN: Vary', () => {
  it('keeps one variant per value of the varying header and reports vary-miss', async () => {
    const p = uniquePath('vary');
    await script(p, { body: 'lang', headers: { 'cache-control': 'max-age=60', vary: 'Accept-Language' } });
    await edge(p, { headers: { 'accept-language': 'en' } });
    const fr = await edge(p, { headers: { 'accept-language': 'fr' } });
    expect(cacheStatus(fr.res)).toContain('fwd=vary-miss');
    expect(fr.res.headers.get('vary')).toBe('Accept-Language');
    expect(cacheStatus((await edge(p, { headers: { 'accept-language': 'en' } })).res)).toContain('hit');
    expect(cacheStatus((await edge(p, { headers: { 'accept-language': 'fr' } })).res)).toContain('hit');
    expect((await originHits(p)).count).toBe(2);
  });

  it('normalises Accept-Encoding so equivalent spellings share a variant', async () => {
    const p = uniquePath('vary-ae');
    await script(p, { body: 'enc', headers: { 'cache-control': 'max-age=60', vary: 'Accept-Encoding' } });
    await edge(p, { headers: { 'accept-encoding': 'gzip, deflate' } });
    expect(cacheStatus((await edge(p, { headers: { 'accept-encoding': 'deflate, gzip;q=0.9' } })).res)).toContain('hit');
    expect(cacheStatus((await edge(p, { headers: { 'accept-encoding': 'identity' } })).res)).toContain('vary-miss');
  });
});

describe('pull CDN: answering clients from the cache', () => {
  it('answers If-None-Match and If-Modified-Since with 304 at the edge', async () => {
    const p = uniquePath('client-304');
    const lm = new Date(Date.now() - 3600_000).toUTCString();
    await script(p, { body: 'c', etag: '"c1"', lastModified: lm, headers: { 'cache-control': 'max-age=60' } });
    await edge(p);
    const inm = await edge(p, { headers: { 'if-none-match': 'W/"c1"' } });
    expect(inm.res.status).toBe(304);
    expect(inm.body).toBe('');
    expect(inm.res.headers.get('etag')).toBe('"c1"');
    const ims = await edge(p, { headers: { 'if-modified-since': new Date().toUTCString() } });
    expect(ims.res.status).toBe(304);
    const miss = await edge(p, { headers: { 'if-none-match': '"other"' } });
    expect(miss.res.status).toBe(200);
    expect((await originHits(p)).count).toBe(1);
  });

  it('serves Range from the cached full object, and 416 past its end', async () => {
    const p = uniquePath('range');
    await script(p, { body: '0123456789abcdefghij', etag: '"r"', headers: { 'cache-control': 'max-age=60' } });
    const first = await edge(p, { headers: { range: 'bytes=0-3' } });
    expect(first.res.status).toBe(206); // the miss knows the size from Content-Length and slices the stream
    expect(first.body).toBe('0123');
    const part = await edge(p, { headers: { range: 'bytes=5-9' } });
    expect(part.res.status).toBe(206);
    expect(part.body).toBe('56789');
    expect(part.res.headers.get('content-range')).toBe('bytes 5-9/20');
    const suffix = await edge(p, { headers: { range: 'bytes=-3' } });
    expect(suffix.body).toBe('hij');
    const multi = await edge(p, { headers: { range: 'bytes=0-1,18-19' } });
    expect(multi.res.status).toBe(206);
    expect(multi.res.headers.get('content-type')).toMatch(/^multipart\/byteranges; boundary=/);
    expect(multi.body).toContain('Content-Range: bytes 0-1/20\r\n\r\n01');
    expect(multi.body).toContain('Content-Range: bytes 18-19/20\r\n\r\nij');
    const bad = await edge(p, { headers: { range: 'bytes=50-60' } });
    expect(bad.res.status).toBe(416);
    expect(bad.res.headers.get('content-range')).toBe('bytes */20');
    const stale = await edge(p, { headers: { range: 'bytes=0-1', 'if-range': '"old"' } });
    expect(stale.res.status).toBe(200);
    expect((await originHits(p)).count).toBe(1);
    // The origin never saw the client's Range.
    expect((await originHits(p)).requests[0].headers.range).toBeUndefined();
  });

  it('answers HEAD from the cached GET, and fills the cache on a HEAD miss', async () => {
    const p = uniquePath('head');
    await script(p, { body: 'head-body', headers: { 'cache-control': 'max-age=60', 'content-type': 'text/plain' } });
    const h1 = await edge(p, { method: 'HEAD' });
    expect(h1.body).toBe('');
    const g = await edge(p);
    expect(g.body).toBe('head-body');
    expect(cacheStatus(g.res)).toContain('hit');
    const h2 = await edge(p, { method: 'HEAD' });
    expect(h2.body).toBe('');
    expect(h2.res.headers.get('content-type')).toBe('text/plain');
    const hits = await originHits(p);
    expect(hits.count).toBe(1);
    expect(hits.requests[0].method).toBe('GET');
  });
});

describe('pull CDN: other methods and the origin boundary', () => {
  it('passes POST through with its body, never caches it, and invalidates the cached GET (RFC 9111 §4.4)', async () => {
    const p = uniquePath('post');
    await script(p, { body: 'resource', headers: { 'cache-control': 'max-age=60' } });
    await edge(p);
    expect(cacheStatus((await edge(p)).res)).toContain('hit');
    const post = await edge(p, { method: 'POST', body: 'x'.repeat(1234) });
    expect(post.res.headers.get('x-echo-length')).toBe('1234');
    expect(cacheStatus(post.res)).toBe('pushpull; fwd=method; fwd-status=200');
    const after = await edge(p);
    expect(cacheStatus(after.res)).toContain('fwd=uri-miss');
    const methods = (await originHits(p)).requests.map((r) => r.method);
    expect(methods).toEqual(['GET', 'POST', 'GET']);
  });

  it('passes PUT, DELETE, PATCH and OPTIONS through', async () => {
    const p = uniquePath('methods');
    await script(p, { status: 204 });
    for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const r = await edge(p, { method, body: method === 'OPTIONS' || method === 'DELETE' ? undefined : 'b' });
      expect(r.res.status).toBe(204);
    }
    expect((await originHits(p)).requests.map((r) => r.method)).toEqual(['PUT', 'DELETE', 'PATCH', 'OPTIONS']);
  });

  it('only ever fetches the configured origin: a path like //evil.example/ stays on it', async () => {
    const tail = 'steal-' + crypto.randomUUID().slice(0, 8);
    const r = await edge(`//evil.example/${tail}`);
    expect(r.res.status).toBe(404); // the scripted origin's own 404: it was asked, not evil.example
    expect(r.body).toContain('no script for');
    // Node parses the request-target //evil.example/steal-… as host + /steal-…: one request arrived.
    const seen = await originHits(`/${tail}`);
    expect(seen.count).toBe(1);
    expect(seen.requests[0].url).toBe(`//evil.example/${tail}`);
  });

  it('strips hop-by-hop request headers before the origin', async () => {
    const p = uniquePath('hop');
    await script(p, { body: 'h', headers: { 'cache-control': 'no-store' } });
    await edge(p, { headers: { 'keep-alive': 'timeout=5', te: 'trailers', 'x-client': 'yes' } });
    const req = (await originHits(p)).requests[0];
    expect(req.headers['keep-alive']).toBeUndefined();
    expect(req.headers.te).toBeUndefined();
    expect(req.headers['x-client']).toBe('yes');
    expect(req.headers.via).toBe('1.1 pushpull');
  });
});

describe('pull CDN: purge', () => {
  it('refuses purges without the token (401) and bad bodies (400), changing nothing', async () => {
    const p = uniquePath('purge-auth');
    await script(p, { body: 'keep', headers: { 'cache-control': 'max-age=60' } });
    await edge(p);
    const noAuth = await edge('/_cache/purge', { method: 'POST', body: JSON.stringify({ urls: [p] }) });
    expect(noAuth.res.status).toBe(401);
    expect(JSON.parse(noAuth.body)).toMatchObject({ error: 'unauthorized' });
    const wrong = await edge('/_cache/purge', {
      method: 'POST',
      headers: { authorization: 'Bearer nope' },
      body: JSON.stringify({ urls: [p] }),
    });
    expect(wrong.res.status).toBe(401);
    for (const body of ['not json', '[]', '{}', '{"urls":"x"}', '{"urls":["relative"]}', '{"colour":1}']) {
      const bad = await edge('/_cache/purge', { method: 'POST', headers: AUTH, body });
      expect(bad.res.status).toBe(400);
      expect(JSON.parse(bad.body).error).toMatch(/^invalid_/);
    }
    const tooMany = await purgeEdge({ tags: Array.from({ length: 1001 }, (_, i) => `t${i}`) });
    expect(tooMany.res.status).toBe(413);
    const atLimit = await purgeEdge({ tags: Array.from({ length: 1000 }, (_, i) => `t${i}`) });
    expect(atLimit.res.status).toBe(200);
    expect(cacheStatus((await edge(p)).res)).toContain('hit');
  });

  it('purges by URL, by prefix and by tag', async () => {
    const base = uniquePath('purge');
    const a = `${base}/a`;
    const b = `${base}/sub/b`;
    const c = `${base}/c`;
    await script(a, { body: 'a', headers: { 'cache-control': 'max-age=600' } });
    await script(b, { body: 'b', headers: { 'cache-control': 'max-age=600' } });
    await script(c, { body: 'c', headers: { 'cache-control': 'max-age=600', 'cache-tag': 'Product-7,other' } });
    for (const p of [a, b, c]) await edge(p);
    for (const p of [a, b, c]) expect(cacheStatus((await edge(p)).res)).toContain('hit');

    const byUrl = await purgeEdge({ urls: [`https://any.host${a}`] });
    expect(byUrl.res.status).toBe(200);
    expect(cacheStatus((await edge(a)).res)).toContain('fwd=miss');
    expect(cacheStatus((await edge(b)).res)).toContain('hit');

    await purgeEdge({ prefixes: [`${base}/sub/`] });
    expect(cacheStatus((await edge(b)).res)).toContain('fwd=miss');
    expect(cacheStatus((await edge(c)).res)).toContain('hit');

    await purgeEdge({ tags: ['product-7'] });
    expect(cacheStatus((await edge(c)).res)).toContain('fwd=miss');
    expect(cacheStatus((await edge(c)).res)).toContain('hit');
    expect((await originHits(a)).count).toBe(2);
    expect((await originHits(c)).count).toBe(2);
  });

  it('publishes purges to KV so that other locations pick them up', async () => {
    await purgeEdge({ prefixes: ['/kv-visible/'] });
    // At most one KV write per second: within a second of the last one, the log's alarm publishes
    // the latest snapshot. Run that alarm now rather than waiting for it.
    await runDurableObjectAlarm(env.PURGE_LOG.get(env.PURGE_LOG.idFromName('global')));
    const snapshot = await env.EDGE_KV.get<{ prefixes: Record<string, number> }>('purge:snapshot', 'json');
    expect(snapshot?.prefixes['/kv-visible/']).toBeGreaterThan(0);
  });

  it('answers unknown /_cache paths with a JSON 404', async () => {
    const r = await edge('/_cache/nothing', { headers: AUTH });
    expect(r.res.status).toBe(404);
    expect(JSON.parse(r.body).error).toBe('not_found');
  });
});
