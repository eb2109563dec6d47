/**
 * Storing: whether and how long a fresh upstream response is kept (RFC 9111 §3, §4.2), and
 * writing it (and, for Vary, its marker) to the tiers once its body is complete.
 */
import { variantKey } from '../cache-key';
import { cachePolicyHeaders, correctedInitialAge, entryPolicy, freshnessLifetime, parseCacheControl, whyNotStorable } from '../freshness';
import type { CacheSettings } from '../settings';
import type { Exchange } from './exchange';
import { responseWithStatus } from './null-body';
import { SharedBody } from './shared-body';
import { EXPIRES_AT_HEADER, markerHeaders, storedHeaders, targetedFields, type StoredMeta } from './stored-entry';
import type { TieredCache } from './tiers';
import type { Fetched } from './upstream-fetch';

/** Whether a response is stored, with its bookkeeping, and for how many seconds the Cache API keeps it. */
interface StoragePlan {
  meta: StoredMeta | null;
  storeFor: number;
}

const NOT_STORED: StoragePlan = { meta: null, storeFor: 0 };

/** Reads the policy of a fresh upstream response and decides whether and how long to store it. */
export function planStorage(
  request: Request,
  response: Response,
  requestTime: number,
  responseTime: number,
  settings: CacheSettings,
): StoragePlan {
  const original = response.headers;
  // RFC 9213: a targeted field (CDN-Cache-Control …) stands in for Cache-Control and Expires here.
  const headers = cachePolicyHeaders(original);
  const rcc = parseCacheControl(headers.get('cache-control'));
  const scc = parseCacheControl(headers.get('surrogate-control'));
  if (scc.has('no-store')) return NOT_STORED;
  if (whyNotStorable(response.status, request.headers, headers, rcc) !== null) return NOT_STORED;
  let { lifetime } = freshnessLifetime(response.status, headers, rcc, responseTime, settings);
  // Surrogate-Control (Edge Architecture 1.0) max-age speaks to this cache only.
  const surrogateMaxAge = scc.get('max-age');
  if (typeof surrogateMaxAge === 'string' && /^\d+$/.test(surrogateMaxAge)) lifetime = Number(surrogateMaxAge);
  const policy = entryPolicy(rcc);
  const expiresAtRaw = headers.get(EXPIRES_AT_HEADER);
  const expiresAt = expiresAtRaw !== null && Number.isFinite(Number(expiresAtRaw)) ? Number(expiresAtRaw) : undefined;
  const hasValidators = headers.has('etag') || headers.has('last-modified');
  const staleKeep = Math.max(policy.staleWhileRevalidate, policy.staleIfError, hasValidators ? settings.staleRetain : 0);
  let storeFor = Math.min(settings.maxStore, lifetime + staleKeep);
  if (expiresAt !== undefined) storeFor = Math.min(storeFor, Math.floor((expiresAt - responseTime) / 1000));
  if (storeFor <= 0 || (lifetime <= 0 && !hasValidators && policy.staleIfError <= 0)) return NOT_STORED;
  const tags = [...(headers.get('cache-tag') ?? '').split(','), ...(headers.get('surrogate-key') ?? '').split(' ')]
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
  const meta: StoredMeta = {
    ...policy,
    initialAge: correctedInitialAge(headers, requestTime, responseTime),
    responseTime,
    lifetime,
    expiresAt,
    // A response the origin prepared before a purge must count as stored before it.
    storedAt: requestTime,
    // The Cache API counts max-age from the put, a little after this: the cache lets go first.
    storeUntil: responseTime + storeFor * 1000,
    tags,
    cacheControl: original.get('cache-control'),
    expires: original.get('expires'),
    date: original.get('date'),
    vary: original.get('vary'),
    targeted: targetedFields(original),
    size: -1,
  };
  return { meta, storeFor };
}

/** Writes a response (and, for Vary, its marker) to the cache once its body is complete. */
export async function writeEntry(tiers: TieredCache, primary: string, variant: string | null, f: Fetched, storeFor: number): Promise<void> {
  // A TeeBody is put while the client reads (its size is its Content-Length); a SharedBody once complete.
  if (!f.meta || !(await f.body.complete())) return;
  f.meta.size = f.body.received;
  if (variant !== null && f.vary.length > 0) {
    const until = f.meta.storeUntil ?? f.meta.responseTime + storeFor * 1000;
    await tiers.put(primary, new Response(null, { status: 200, headers: markerHeaders(f.vary, storeFor, until) }));
  }
  const headers = storedHeaders(f.headers, f.meta, storeFor);
  if (f.body instanceof SharedBody) {
    // Complete and in memory already: stored from one array (with its Content-Length), and kept in the memory tier if small.
    const bytes = f.body.bytes();
    await tiers.put(variant ?? primary, responseWithStatus(bytes, { status: f.status, statusText: f.statusText, headers }), bytes);
    return;
  }
  const body = f.body.reader();
  if (body === null) return;
  await tiers.put(variant ?? primary, responseWithStatus(body, { status: f.status, statusText: f.statusText, headers }));
}

/** Stores a fetched response if it may be stored; settles when it is in the cache. */
export function storeFetched(ex: Exchange, f: Fetched & { storeFor: number }): Promise<void> {
  if (!f.meta) return Promise.resolve();
  const variant = f.vary.length > 0 ? variantKey(ex.key, f.vary, ex.request.headers) : null;
  const stored = writeEntry(ex.tiers, ex.key, variant, f, f.storeFor).catch((err: unknown) =>
    console.error('cache store failed', ex.purgeKey, err),
  );
  ex.waitUntil(stored);
  return stored;
}
