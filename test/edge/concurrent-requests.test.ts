/**
 * Pull CDN regression tests (from a review against RFC 9111 / 5861 / 9110 / 9211 and the docs),
 * each as a user would see it.
 */
import { env, exports } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { edgeWithClock, originHits, script, sleep, uniquePath } from './edge-client';

describe('pull CDN: coalescing across real incoming requests', () => {
  it('gives every one of several concurrent clients (separate incoming requests) the full body of a cold URL', async () => {
    const p = uniquePath('xreq');
    const body = 'X'.repeat(60_000); // below COALESCE_MAX_BYTES (65536): shared
    await script(p, { body, delayMs: 300, headers: { 'cache-control': 'max-age=60' } });
    const responses = await Promise.all(Array.from({ length: 5 }, () => exports.default.fetch(`http://edge.test${p}`)));
    const bodies = await Promise.all(responses.map((r) => r.text().catch((e: unknown) => `error: ${String(e)}`)));
    expect(bodies).toEqual([body, body, body, body, body]);
  });
});

describe('pull CDN: 304 merge and collapsed validations', () => {
  it("does not hand one client's Set-Cookie from a 304 to the other clients collapsed on the same validation", async () => {
    const { clock, app, edge } = edgeWithClock();
    const p = uniquePath('304-cookie');
    const body = 'shared-page';
    await script(p, { body, etag: '"s"', headers: { 'cache-control': 'max-age=1' } });
    await edge(p);
    clock.advance(1100);
    await script(p, {
      body,
      etag: '"s"',
      delayMs: 300,
      headers: { 'cache-control': 'max-age=60', 'set-cookie': 'session=for-the-first-client', date: clock.httpDate() },
    });
    const ctxs = Array.from({ length: 5 }, () => createExecutionContext());
    const responses = await Promise.all(ctxs.map((ctx) => app.fetch(new Request(`http://edge.test${p}`), env, ctx)));
    await Promise.all(responses.map((r) => r.text()));
    await Promise.all(ctxs.map((ctx) => waitOnExecutionContext(ctx)));
    // Every cookie a client sees came from that client's own origin request.
    const hits = await originHits(p);
    expect(hits.count).toBeGreaterThan(1); // the stale entry was revalidated
    const withCookie = responses.filter((r) => r.headers.get('set-cookie') !== null).length;
    expect(withCookie).toBe(hits.count - 1);
  });
});

describe('pull CDN: one validation shared by concurrent incoming requests', () => {
  // Through the deployed entrypoint (separate incoming requests), so on the system clock: a real wait.
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
});
