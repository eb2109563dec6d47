/**
 * How a response is kept in the Cache API. The Cache API evicts by its own rules and ignores
 * Vary, so each stored response carries the cache's bookkeeping ({@link StoredMeta}) in an
 * internal header and a storage lifetime long enough for stale serving and revalidation; the
 * original Cache-Control/Expires/Date/Vary are restored before anything is served. A Vary
 * response is filed under a variant key, with a marker at the primary key naming the varying
 * fields.
 */
import { cachePolicyHeaders, parseCacheControl, qualifiedFields, TARGETED_CACHE_CONTROL, type EntryTimes } from '../freshness';

/** Internal response header: a pushed file's expiry (unix ms), caps freshness and storage. */
export const EXPIRES_AT_HEADER = 'x-pushpull-expires-at';
/** Internal header of a stored response: its {@link StoredMeta} as JSON. */
export const META_HEADER = 'x-pushpull-meta';
/** Internal header of a Vary marker: the varying field names, comma-separated. */
export const VARY_MARKER_HEADER = 'x-pushpull-vary';
/** Internal header of a Vary marker: when the Cache API drops it (unix ms). */
const MARKER_STORE_UNTIL_HEADER = 'x-pushpull-store-until';

/** Fields used by the cache and never passed to clients. */
const INTERNAL_HEADERS = [
  META_HEADER,
  VARY_MARKER_HEADER,
  EXPIRES_AT_HEADER,
  'cache-tag',
  'surrogate-key',
  'surrogate-control',
  'cf-cache-status',
  // RFC 9213 §2.1: targeted fields are for this cache, not forwarded to clients.
  ...TARGETED_CACHE_CONTROL,
];

/** What the cache keeps about a stored response beside its headers and body. */
export interface StoredMeta extends EntryTimes {
  storedAt: number;
  /**
   * When the Cache API drops the entry (unix ms; absent in entries stored before it was
   * recorded). From then on the cache treats the entry as gone by its own clock, so that its
   * decisions never depend on when the Cache API's timer runs.
   */
  storeUntil?: number;
  tags: string[];
  /** Original fields restored when serving. */
  cacheControl: string | null;
  expires: string | null;
  date: string | null;
  vary: string | null;
  /**
   * The targeted cache-control fields (RFC 9213) as the origin sent them, name and value; kept
   * here rather than among the stored fields so the Cache API never reads them as its own.
   */
  targeted?: Array<[string, string]>;
  /** Body bytes, -1 until the body is complete. */
  size: number;
}

/** The bookkeeping of a stored response, or null when it has none (or it is unreadable). */
export function readMeta(headers: Headers): StoredMeta | null {
  const raw = headers.get(META_HEADER);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as StoredMeta;
  } catch {
    return null;
  }
}

/** Whether the Cache API has dropped what was stored until `storeUntil` (unknown: still there). */
export function pastStorage(storeUntil: number | undefined, now: number): boolean {
  return storeUntil !== undefined && now >= storeUntil;
}

/** Headers as stored: the cache's own lifetime and bookkeeping instead of the originals. */
export function storedHeaders(headers: Headers, meta: StoredMeta, storeFor: number): Headers {
  const out = new Headers(headers);
  const rcc = parseCacheControl(cachePolicyHeaders(headers).get('cache-control'));
  // RFC 9111 §5.2.2.4 / §5.2.2.7: fields named by qualified no-cache/private are not stored.
  for (const name of [...qualifiedFields(rcc, 'no-cache'), ...qualifiedFields(rcc, 'private')]) out.delete(name);
  for (const name of [
    'set-cookie',
    'age',
    'date',
    'expires',
    'vary',
    'cache-control',
    'cache-tag',
    'surrogate-key',
    'surrogate-control',
    ...TARGETED_CACHE_CONTROL,
    EXPIRES_AT_HEADER,
  ])
    out.delete(name);
  out.set('cache-control', `public, max-age=${storeFor}`);
  out.set(META_HEADER, JSON.stringify(meta));
  return out;
}

/** The headers of a Vary marker: the varying names, kept as long as the variant. */
export function markerHeaders(varyNames: string[], storeFor: number, storeUntil: number): Headers {
  return new Headers({
    'cache-control': `public, max-age=${storeFor}`,
    [VARY_MARKER_HEADER]: varyNames.join(','),
    [MARKER_STORE_UNTIL_HEADER]: String(storeUntil),
  });
}

/** When the Cache API drops a Vary marker (undefined for markers stored before it was recorded). */
export function markerStoreUntil(headers: Headers): number | undefined {
  const raw = headers.get(MARKER_STORE_UNTIL_HEADER);
  if (raw === null) return undefined;
  const at = Number(raw);
  return Number.isFinite(at) ? at : undefined;
}

/** Puts back the fields the cache rewrote when storing (kept in the meta as the origin sent them). */
export function restoreOriginalFields(headers: Headers, meta: StoredMeta): void {
  headers.delete('cache-control');
  if (meta.cacheControl !== null) headers.set('cache-control', meta.cacheControl);
  if (meta.expires !== null) headers.set('expires', meta.expires);
  if (meta.date !== null) headers.set('date', meta.date);
  if (meta.vary !== null) headers.set('vary', meta.vary);
  for (const [name, value] of meta.targeted ?? []) headers.set(name, value);
}

/** The targeted cache-control fields (RFC 9213) of a response, as sent. */
export function targetedFields(headers: Headers): Array<[string, string]> {
  return TARGETED_CACHE_CONTROL.flatMap((name): Array<[string, string]> => {
    const value = headers.get(name);
    return value === null ? [] : [[name, value]];
  });
}

/** Headers served to a client: originals restored, internals removed. */
export function servedHeaders(stored: Headers, meta: StoredMeta | null): Headers {
  const out = new Headers(stored);
  if (meta) restoreOriginalFields(out, meta);
  for (const name of INTERNAL_HEADERS) out.delete(name);
  return out;
}
