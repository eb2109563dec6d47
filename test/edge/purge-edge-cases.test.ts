/**
 * Pull CDN regression tests (from a review against RFC 9111 / 5861 / 9110 / 9211 and the docs),
 * each as a user would see it.
 */
import { describe, expect, it } from 'vitest';
import { cacheStatus, edge, purgeEdge, script, sleep, uniquePath } from './edge-client';

describe('pull CDN: purge races', () => {
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

describe('pull CDN: purge by prefix with non-ASCII paths', () => {
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

describe('pull CDN: purge and stale-if-error', () => {
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

describe('pull CDN: purge entries that are not URLs', () => {
  it('refuses URLs and prefixes the URL parser rejects with 400 naming the entry, and purges nothing', async () => {
    const p = uniquePath('purge-bad-url');
    await script(p, { body: 'kept', headers: { 'cache-control': 'max-age=600' } });
    await edge(p);
    const bad = [
      { urls: ['http://[bad/x'] },
      { urls: ['http://a b/x'] },
      { urls: ['https://'] },
      { prefixes: ['http://[bad/'] },
      { prefixes: ['http://'] },
      // A valid entry beside the bad one is not purged either: the request is refused whole.
      { urls: [p, 'http://[bad/x'] },
    ];
    for (const request of bad) {
      const r = await purgeEdge(request);
      expect(r.res.status, JSON.stringify(request)).toBe(400);
      const body = JSON.parse(r.body) as { error: string; message: string };
      expect(body.error).toBe('invalid_body');
      const entry = (request.urls ?? request.prefixes ?? []).at(-1) ?? '';
      expect(body.message).toContain(JSON.stringify(entry));
    }
    expect(cacheStatus((await edge(p)).res)).toContain('hit');
  });
});
