/**
 * Baselines measured beside pushpull in the same run:
 * `/` answers a constant body (the runtime's own floor), `/cache-only` answers from the
 * Cache API with nothing else around it (the Cache API's floor).
 */
const BODY = 'x'.repeat(1024);

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === '/cache-only') {
      const cache = await caches.open('bench');
      const key = 'http://bench.invalid/cache-only';
      const hit = await cache.match(key);
      if (hit) return hit;
      await cache.put(key, new Response(BODY, { headers: { 'cache-control': 'public, max-age=3600' } }));
      return new Response(BODY);
    }
    return new Response(BODY, { headers: { 'content-type': 'text/plain' } });
  },
};
