/**
 * The edge's HTTP cache in front of an upstream (the origin for pulled content, the push
 * store for pushed content), with RFC 9111 semantics on top of the Cache API: freshness and
 * age, validation with 304s, stale-while-revalidate and stale-if-error (RFC 5861), Vary
 * (folded into the key), coalesced misses, global purge, and RFC 9211 Cache-Status on every
 * response. Its seams, one module each:
 *
 *   exchange.ts       one request through the cache (request, keys, settings, clock, upstream …)
 *   serve.ts          lookup and the reuse decision: hit, stale-while-revalidate, validate, fetch
 *   validate.ts       validation and 304 refresh, stale-if-error, background revalidation
 *   upstream-fetch.ts going upstream, and coalescing concurrent misses
 *   store.ts          whether, how long and how a response is stored
 *   single-flight.ts  one upstream exchange shared by concurrent requests
 *   tiers.ts          memory tier + Cache API; stored-entry.ts: the stored format
 *   answer.ts         answering the client from a representation (conditionals, Range, HEAD)
 *   cache-status.ts   RFC 9211 Cache-Status
 *   pass-through.ts   every other method, and §4.4 invalidation
 *   isolate.ts        what an isolate keeps between requests; clock.ts: the injected time
 */
export { serveCached } from './serve';
export { openExchange, type Upstream } from './exchange';
export { passThrough, deleteLocally } from './pass-through';
export { EXPIRES_AT_HEADER } from './stored-entry';
export { systemClock, type Clock } from './clock';
export { thisIsolate } from './isolate';
