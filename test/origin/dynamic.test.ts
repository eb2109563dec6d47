import { describe, expect, it } from 'vitest';
import { startOrigin } from '../../origin/server';
import { MAX_ECHO_BYTES } from '../../origin/dynamic';
import { serveFixture } from './fixture';

const site = serveFixture();

describe('dynamic endpoints', () => {
  it('GET /api/time answers the current time with stale-while-revalidate and stale-if-error', async () => {
    const before = Date.now();
    const res = await fetch(`${site.origin.url}/api/time`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=5, stale-while-revalidate=30, stale-if-error=300');
    const body = (await res.json()) as { now: string; epochMs: number };
    expect(body.epochMs).toBeGreaterThanOrEqual(before);
    expect(body.epochMs).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(body.now)).toBe(body.epochMs);
  });

  it('GET /api/slow waits the requested time and is cacheable for maxAge', async () => {
    const started = Date.now();
    const res = await fetch(`${site.origin.url}/api/slow?ms=200&maxAge=7`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { sleptMs: number; requestedMs: number };
    expect(body.requestedMs).toBe(200);
    expect(body.sleptMs).toBeGreaterThanOrEqual(195);
    expect(Date.now() - started).toBeGreaterThanOrEqual(195);
    expect(res.headers.get('cache-control')).toBe('public, max-age=7');
  });

  it('GET /api/slow refuses delays past 30 s and malformed values with 400', async () => {
    for (const q of ['ms=30001', 'ms=-1', 'ms=abc', 'ms=1.5', 'maxAge=x']) {
      const res = await fetch(`${site.origin.url}/api/slow?${q}`);
      expect(res.status, q).toBe(400);
      const body = (await res.json()) as { error: string; message: string };
      expect(body.error).toBe('bad_request');
      expect(body.message).toMatch(/ms|maxAge/);
    }
    // The limit itself is accepted (checked without waiting: the request is aborted).
    const ac = new AbortController();
    const pending = fetch(`${site.origin.url}/api/slow?ms=30000`, { signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await expect(pending).rejects.toThrow();
  });

  it('close() does not wait for slow requests in flight', async () => {
    const extra = await startOrigin({ port: 0, dir: site.fx.site, defaultMetrics: false });
    const pending = fetch(`${extra.url}/api/slow?ms=30000`).then(
      () => 'answered',
      () => 'closed',
    );
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await extra.close();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await pending).toBe('closed');
  });

  it('close(graceMs) lets a request in flight finish, then resolves without waiting out the grace', async () => {
    const extra = await startOrigin({ port: 0, dir: site.fx.site, defaultMetrics: false });
    const pending = fetch(`${extra.url}/api/slow?ms=300`).then(
      (r) => r.status,
      () => 'closed',
    );
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await extra.close(10_000);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await pending).toBe(200);
    await expect(fetch(`${extra.url}/api/time`)).rejects.toThrow();
  });

  it('/api/echo answers any method with what it received, never cached', async () => {
    const res = await fetch(`${site.origin.url}/api/echo?a=1`, { method: 'PUT', body: 'hello', headers: { 'x-demo': 'yes' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { method: string; path: string; query: string; bodyBytes: number; headers: Record<string, string> };
    expect(body).toMatchObject({ method: 'PUT', path: '/api/echo', query: '?a=1', bodyBytes: 5 });
    expect(body.headers['x-demo']).toBe('yes');
  });

  it('/api/echo refuses bodies over the limit with 413', async () => {
    const ok = await fetch(`${site.origin.url}/api/echo`, { method: 'POST', body: new Uint8Array(MAX_ECHO_BYTES) });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { bodyBytes: number }).bodyBytes).toBe(MAX_ECHO_BYTES);
    const tooBig = await fetch(`${site.origin.url}/api/echo`, { method: 'POST', body: new Uint8Array(MAX_ECHO_BYTES + 1) });
    expect(tooBig.status).toBe(413);
    expect(((await tooBig.json()) as { error: string }).error).toBe('payload_too_large');
  });

  it('/api/hits counts the requests that reached the origin per path, 304s included', async () => {
    const first = await fetch(`${site.origin.url}/about.html`);
    await first.arrayBuffer();
    await (await fetch(`${site.origin.url}/about.html`, { headers: { 'if-none-match': first.headers.get('etag') ?? '' } })).arrayBuffer();
    const res = await fetch(`${site.origin.url}/api/hits?path=/about.html`);
    expect(await res.json()).toEqual({ path: '/about.html', requests: 2, notModified: 1 });
    const reset = await fetch(`${site.origin.url}/api/hits/reset`, { method: 'POST' });
    expect(reset.status).toBe(200);
    expect(await (await fetch(`${site.origin.url}/api/hits?path=/about.html`)).json()).toEqual({
      path: '/about.html',
      requests: 0,
      notModified: 0,
    });
    const bad = await fetch(`${site.origin.url}/api/hits`);
    expect(bad.status).toBe(400);
  });

  it('answers other methods on the API endpoints with 405 and Allow', async () => {
    const cases: [string, string, string][] = [
      ['POST', '/api/time', 'GET, HEAD'],
      ['DELETE', '/api/slow?ms=1', 'GET, HEAD'],
      ['PUT', '/api/hits?path=/', 'GET, HEAD'],
      ['GET', '/api/hits/reset', 'POST'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await fetch(`${site.origin.url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      expect(((await res.json()) as { error: string }).error).toBe('method_not_allowed');
    }
  });

  it('answers unknown /api paths with a JSON 404', async () => {
    const res = await fetch(`${site.origin.url}/api/nope`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toBe('not_found');
  });
});
