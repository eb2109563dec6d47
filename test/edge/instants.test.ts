/**
 * The pull cache at exact instants: its clock is a TestClock the test moves, so each boundary
 * (end of freshness, of stale-while-revalidate, of stale-if-error, of storage) is checked on
 * both sides, a millisecond apart. The origin's Date agrees with the clock, so responses arrive
 * with no apparent age (RFC 9111 §4.2.3).
 */
import { describe, expect, it } from 'vitest';
import { cacheStatus, edgeWithClock, originHits, script, uniquePath } from './edge-client';

describe('pull CDN at exact instants (the cache reads an injected clock)', () => {
  it('answers a max-age=10 response from the cache until 9.999 s (Age 9, ttl=1) and revalidates it at 10 s (RFC 9111 §4.2)', async () => {
    const { clock, edge } = edgeWithClock();
    const p = uniquePath('at-max-age');
    await script(p, { body: 'ten seconds', etag: '"t"', headers: { 'cache-control': 'max-age=10', date: clock.httpDate() } });
    await edge(p);
    clock.advance(9_999);
    const last = await edge(p);
    expect(cacheStatus(last.res)).toBe('pushpull; hit; ttl=1');
    expect(last.res.headers.get('age')).toBe('9');
    clock.advance(1);
    await script(p, { body: 'ten seconds', etag: '"t"', headers: { 'cache-control': 'max-age=10', date: clock.httpDate() } });
    const stale = await edge(p);
    expect(cacheStatus(stale.res)).toBe('pushpull; fwd=stale; fwd-status=304; stored; ttl=10');
    expect(stale.body).toBe('ten seconds');
    expect(stale.res.headers.get('age')).toBe('0');
    expect((await originHits(p)).notModified).toBe(1);
  });

  it(
    'serves stale while revalidating until freshness + stale-while-revalidate, ' + 'and validates first from that instant (RFC 5861 §3)',
    async () => {
      const { clock, edge } = edgeWithClock();
      const within = uniquePath('swr-within');
      const past = uniquePath('swr-past');
      for (const p of [within, past]) {
        await script(p, {
          body: 'old',
          etag: '"o"',
          headers: { 'cache-control': 'max-age=10, stale-while-revalidate=5', date: clock.httpDate() },
        });
        await edge(p);
      }
      clock.advance(14_999);
      await script(within, { body: 'old', etag: '"o"', headers: { 'cache-control': 'max-age=10', date: clock.httpDate() } });
      const served = await edge(within);
      expect(cacheStatus(served.res)).toBe('pushpull; hit; ttl=-4; detail=stale-while-revalidate');
      clock.advance(1);
      await script(past, { body: 'old', etag: '"o"', headers: { 'cache-control': 'max-age=10', date: clock.httpDate() } });
      const validated = await edge(past);
      expect(cacheStatus(validated.res)).toBe('pushpull; fwd=stale; fwd-status=304; stored; ttl=10');
    },
  );

  it(
    'hides an unreachable origin behind the stale copy up to stale-if-error seconds past freshness, ' +
      'and not a second more (RFC 5861 §4)',
    async () => {
      const { clock, edge } = edgeWithClock();
      const p = uniquePath('sie-window');
      await script(p, {
        body: 'good copy',
        etag: '"g"',
        headers: { 'cache-control': 'max-age=10, stale-if-error=20', date: clock.httpDate() },
      });
      await edge(p);
      await script(p, { mode: 'down' });
      clock.advance(30_999); // 20.999 s stale: within the 20 whole seconds (current_age counts whole seconds)
      const hidden = await edge(p);
      expect(hidden.res.status).toBe(200);
      expect(hidden.body).toBe('good copy');
      expect(cacheStatus(hidden.res)).toBe('pushpull; fwd=stale; ttl=-20; detail=stale-if-error-unreachable');
      clock.advance(1);
      const refused = await edge(p);
      expect(refused.res.status).toBe(502);
      expect(JSON.parse(refused.body)).toMatchObject({ error: 'origin_unreachable' });
    },
  );

  it('treats an entry as gone at the end of its storage lifetime, although the Cache API (on real time) still holds it', async () => {
    const { clock, edge } = edgeWithClock();
    const p = uniquePath('stored-for');
    // No validators and no stale windows: stored for its freshness lifetime only.
    await script(p, { body: 'five seconds', headers: { 'cache-control': 'max-age=5', date: clock.httpDate() } });
    await edge(p);
    clock.advance(4_999);
    expect(cacheStatus((await edge(p)).res)).toBe('pushpull; hit; ttl=1');
    clock.advance(1);
    const held = await (await caches.open('pushpull')).match(`http://edge.test${p}`);
    expect(held).toBeDefined();
    await held?.body?.cancel();
    await script(p, { body: 'five seconds', headers: { 'cache-control': 'max-age=5', date: clock.httpDate() } });
    expect(cacheStatus((await edge(p)).res)).toBe('pushpull; fwd=uri-miss; fwd-status=200; stored; ttl=5');
    expect((await originHits(p)).count).toBe(2);
  });
});
