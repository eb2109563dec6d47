/**
 * Serving a GET or HEAD through the cache (RFC 9111 §4): find the stored response (primary key,
 * then the variant its Vary marker names; purged, expired or dropped entries do not count),
 * then answer from it when it is fresh, serve it stale while revalidating in the background,
 * validate it, or fetch (collapsed with concurrent misses). Requests with Authorization bypass.
 */
import { variantKey } from '../cache-key';
import { decideReuse, ttlLeft } from '../freshness';
import { isPurged, purgeSnapshot, type PurgeSnapshot } from '../purge';
import { answerFetched, answerStored, notCached, originErrorResponse } from './answer';
import type { Exchange } from './exchange';
import { markerStoreUntil, pastStorage, VARY_MARKER_HEADER } from './stored-entry';
import { coalescedFetch, fetchAndMaybeStore } from './upstream-fetch';
import { revalidateInBackground, validate, type FoundEntry } from './validate';

/** What a lookup found: an entry to use, or why there is none. */
type Lookup =
  | ({ found: true; variantKey: string | null } & FoundEntry)
  | {
      found: false;
      entryKey: string;
      /** Set when the primary key holds a Vary marker: the key of this request's variant. */
      variantKey: string | null;
      reason: 'uri-miss' | 'vary-miss' | 'miss';
    };

/** Finds the stored response for a request at `now`: primary key, then the variant its Vary marker names. */
async function lookup(ex: Exchange, snapshot: PurgeSnapshot, now: number): Promise<Lookup> {
  const { key, tiers } = ex;
  const primary = await tiers.match(key);
  if (!primary) return { found: false, entryKey: key, variantKey: null, reason: 'uri-miss' };
  let stored = primary;
  let entryKey = key;
  let variant: string | null = null;
  const marker = primary.response.headers.get(VARY_MARKER_HEADER);
  // Past its storage lifetime, a marker or entry is gone: the Cache API has dropped it by then, or
  // keeps it only because its own timer has not run (the cache's clock decides, not that timer).
  if (marker !== null) {
    await primary.response.body?.cancel();
    if (pastStorage(markerStoreUntil(primary.response.headers), now))
      return { found: false, entryKey: key, variantKey: null, reason: 'uri-miss' };
    variant = variantKey(key, marker.split(',').filter(Boolean), ex.request.headers);
    entryKey = variant;
    const found = await tiers.match(variant);
    if (!found || pastStorage(found.meta?.storeUntil, now)) {
      await found?.response.body?.cancel();
      return { found: false, entryKey, variantKey: variant, reason: 'vary-miss' };
    }
    stored = found;
  } else if (pastStorage(primary.meta?.storeUntil, now)) {
    await primary.response.body?.cancel();
    return { found: false, entryKey: key, variantKey: null, reason: 'uri-miss' };
  }
  const { response: entry, meta } = stored;
  if (!meta || isPurged(snapshot, ex.purgeKey, meta.tags, meta.storedAt) || (meta.expiresAt !== undefined && now >= meta.expiresAt)) {
    await entry.body?.cancel();
    return { found: false, entryKey, variantKey: variant, reason: 'miss' };
  }
  return { found: true, entry, meta, entryKey, variantKey: variant };
}

/** Serves a GET or HEAD through the cache. Anything else is the caller's (pass-through). */
export async function serveCached(ex: Exchange): Promise<Response> {
  const { request, constraints } = ex;

  // RFC 9111 §3.5: requests with credentials are not answered from the cache.
  if (request.headers.has('authorization')) {
    if (constraints.onlyIfCached) return notCached('requests with Authorization are not answered from the cache', { fwd: 'bypass' });
    const outcome = (await fetchAndMaybeStore(ex)).value;
    return outcome.ok
      ? answerFetched(request, outcome.fetched, {
          fwd: 'bypass',
          fwdStatus: outcome.fetched.status,
          stored: outcome.fetched.storable,
          detail: 'authorization',
        })
      : originErrorResponse(outcome.error, { fwd: 'bypass' });
  }

  const now = ex.clock.now();
  const snapshot = await purgeSnapshot(ex.env.EDGE_KV, ex.settings.purgePollMs, ex.waitUntil);
  const found = await lookup(ex, snapshot, now);

  if (found.found) {
    const { entry, meta, entryKey } = found;
    const reuse = decideReuse(meta, constraints, now);
    if (reuse.kind === 'fresh') {
      return answerStored(request, entry, meta, { hit: true, ttl: ttlLeft(meta, now) }, now);
    }
    // RFC 9111 §5.2.1.7: only-if-cached never contacts the origin.
    if (constraints.onlyIfCached) {
      await entry.body?.cancel();
      return notCached('the stored response is stale', { fwd: 'stale' });
    }
    if (reuse.kind === 'stale-while-revalidate') {
      const { revalidating } = ex.isolate;
      if (!revalidating.has(entryKey)) {
        revalidating.add(entryKey);
        ex.waitUntil(revalidateInBackground(ex, entryKey, meta).finally(() => revalidating.delete(entryKey)));
      }
      return answerStored(request, entry, meta, { hit: true, ttl: ttlLeft(meta, now), detail: 'stale-while-revalidate' }, now);
    }
    return validate(ex, found, reuse.reason === 'request' ? 'request' : 'stale');
  }

  if (constraints.onlyIfCached) return notCached('no stored response for this request', { fwd: found.reason });

  const { outcome, collapsed } = await coalescedFetch(ex, found.variantKey ?? ex.key);
  if (!outcome.ok) return originErrorResponse(outcome.error, { fwd: found.reason, collapsed });
  const f = outcome.fetched;
  return answerFetched(request, f, {
    fwd: found.reason,
    fwdStatus: f.status,
    stored: f.storable,
    collapsed,
    ttl: f.meta ? ttlLeft(f.meta, ex.clock.now()) : undefined,
  });
}
