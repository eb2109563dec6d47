import { describe, expect, it } from 'vitest';
import { MemoryTier, memoryEntry } from '../../workers/edge/src/cache/memory-tier';
import { cacheStatus, edge, edgeWithClock, originHits, purgeEdge, script, uniquePath } from './edge-client';

const entry = (size: number, now = 0) => memoryEntry(new Response(null, { status: 200 }), new Uint8Array(size), now);

describe('MemoryTier', () => {
  it('evicts the least recently used entries to stay within its byte budget', () => {
    const tier = new MemoryTier({ maxBytes: 3000, maxObjectBytes: 2000, ttlMs: 10_000 });
    tier.set('a', entry(900));
    tier.set('b', entry(900));
    expect(tier.get('a', 1)).toBeDefined(); // a is now the most recently used
    tier.set('c', entry(900));
    tier.set('d', entry(900));
    expect(tier.get('b', 2)).toBeUndefined();
    expect(tier.get('a', 2)).toBeDefined();
    expect(tier.size).toBeLessThanOrEqual(3000);
  });

  it('refuses objects above its per-object limit and forgets entries older than its TTL', () => {
    const tier = new MemoryTier({ maxBytes: 10_000, maxObjectBytes: 1000, ttlMs: 500 });
    tier.set('big', entry(2000));
    expect(tier.get('big', 0)).toBeUndefined();
    tier.set('small', entry(100, 0));
    expect(tier.get('small', 500)).toBeDefined();
    expect(tier.get('small', 501)).toBeUndefined();
    expect(tier.size).toBe(0);
  });

  it('drops a primary key with every Vary variant filed under it', () => {
    const tier = new MemoryTier({ maxBytes: 10_000, maxObjectBytes: 1000, ttlMs: 10_000 });
    tier.set('https://h/p', entry(10));
    tier.set('https://h/p?pushpull-vary=a', entry(10));
    tier.set('https://h/p?pushpull-vary=b', entry(10));
    tier.set('https://h/other', entry(10));
    tier.deleteFamily('https://h/p');
    expect(tier.get('https://h/p?pushpull-vary=a', 1)).toBeUndefined();
    expect(tier.get('https://h/other', 1)).toBeDefined();
  });
});

describe('pull CDN: the memory tier in front of the Cache API', () => {
  it('trusts its copy for at most MEMORY_CACHE_TTL_MS after the Cache API lost the entry (another isolate invalidated it)', async () => {
    const { clock, edge } = edgeWithClock();
    const p = uniquePath('memory');
    await script(p, { body: 'held', headers: { 'cache-control': 'max-age=600' } });
    await edge(p);
    expect(cacheStatus((await edge(p)).res)).toContain('hit');
    // What an invalidation in another isolate of this location does: only the Cache API entry goes.
    const api = await caches.open('pushpull');
    expect(await api.delete(`http://edge.test${p}`)).toBe(true);
    expect(cacheStatus((await edge(p)).res)).toContain('hit');
    clock.advance(1000); // MEMORY_CACHE_TTL_MS is 1000 by default: trusted up to that instant ...
    expect(cacheStatus((await edge(p)).res)).toContain('hit');
    clock.advance(1); // ... and not a millisecond past it
    expect(cacheStatus((await edge(p)).res)).toContain('fwd=uri-miss');
    expect((await originHits(p)).count).toBe(2);
  });

  it('applies purges to memory hits as to any other', async () => {
    const p = uniquePath('memory-purge');
    await script(p, { body: 'p', headers: { 'cache-control': 'max-age=600', 'cache-tag': 'mem' } });
    await edge(p);
    expect(cacheStatus((await edge(p)).res)).toContain('hit');
    await purgeEdge({ tags: ['mem'] });
    expect(cacheStatus((await edge(p)).res)).toContain('fwd=miss');
  });
});
