/**
 * The edge's HTTP cache in front of an upstream (the origin for pulled content, the push
 * store for pushed content), with RFC 9111 semantics on top of the Cache API:
 * freshness and age, validation with 304s, stale-while-revalidate and stale-if-error
 * (RFC 5861), Vary (folded into the key), coalesced misses, global purge, and RFC 9211
 * Cache-Status on every response.
 *
 * The Cache API evicts by its own rules and ignores Vary, so each stored response carries
 * the cache's bookkeeping in an internal header and a storage lifetime long enough for
 * stale serving and revalidation; the original Cache-Control/Expires/Date/Vary are restored
 * before anything is served.
 */
import { normalisedQuery, primaryKey, variantKey, varyNames, normalisedHeader } from './cache-key';
import { evaluateConditionals, ifRangeAllows, notModified, parseRange, rangeResponse } from './conditional';
import {
  correctedInitialAge,
  decideReuse,
  entryPolicy,
  freshnessLifetime,
  mayServeStaleOnError,
  parseCacheControl,
  qualifiedFields,
  requestConstraints,
  ttlLeft,
  whyNotStorable,
  type EntryTimes,
  type RequestConstraints,
} from './freshness';
import { OriginError, stripHopByHop } from './origin';
import { isPurged, purgeSnapshot, type PurgeSnapshot } from './purge';
import type { CacheSettings, CacheVars } from './settings';
import { SharedBody, TeeBody, type BodySource } from './shared-body';
import { MemoryTier, memoryEntry, responseOf } from './memory-tier';

/** An upstream answers GET requests like an origin (full responses or 304s); throws {@link OriginError} when it cannot. */
export type Upstream = (request: Request) => Promise<Response>;

/** Internal response header: a pushed file's expiry (unix ms), caps freshness and storage. */
export const EXPIRES_AT_HEADER = 'x-pushpull-expires-at';
const META_HEADER = 'x-pushpull-meta';
const VARY_MARKER_HEADER = 'x-pushpull-vary';
/** Fields used by the cache and never passed to clients. */
const INTERNAL_HEADERS = [
  META_HEADER,
  VARY_MARKER_HEADER,
  EXPIRES_AT_HEADER,
  'cache-tag',
  'surrogate-key',
  'surrogate-control',
  'cf-cache-status',
];
/** Fields a 304 must not overwrite in the stored response (RFC 9111 §3.2). */
const NOT_UPDATED_BY_304 = new Set(['content-length', 'content-encoding', 'transfer-encoding', 'content-range', 'content-type']);
const CACHE_NAME = 'pushpull';

/** What the cache needs of the Worker's env: its settings' vars and the KV namespace of purge snapshots. */
export interface CacheEnv extends CacheVars {
  EDGE_KV: KVNamespace;
}

/** What the cache keeps about a stored response beside its headers and body. */
interface StoredMeta extends EntryTimes {
  storedAt: number;
  tags: string[];
  /** Original fields restored when serving. */
  cacheControl: string | null;
  expires: string | null;
  date: string | null;
  vary: string | null;
  size: number;
}

/** RFC 9211 Cache-Status parameters for one response. */
interface CacheStatus {
  hit?: boolean;
  fwd?: 'uri-miss' | 'vary-miss' | 'miss' | 'request' | 'stale' | 'bypass' | 'method';
  fwdStatus?: number;
  stored?: boolean;
  collapsed?: boolean;
  ttl?: number;
  detail?: string;
}

/** Adds this cache's member after those of caches nearer the origin (RFC 9211 §2). */
function appendCacheStatus(headers: Headers, status: CacheStatus): void {
  const upstream = headers.get('cache-status');
  headers.set('cache-status', upstream ? `${upstream}, ${formatCacheStatus(status)}` : formatCacheStatus(status));
}

/** Formats a Cache-Status field value (RFC 9211 §2). */
export function formatCacheStatus(s: CacheStatus): string {
  const parts = [CACHE_NAME];
  if (s.hit) parts.push('hit');
  if (s.fwd) parts.push(`fwd=${s.fwd}`);
  if (s.fwdStatus !== undefined) parts.push(`fwd-status=${s.fwdStatus}`);
  if (s.stored) parts.push('stored');
  if (s.collapsed) parts.push('collapsed');
  if (s.ttl !== undefined) parts.push(`ttl=${s.ttl}`);
  if (s.detail) parts.push(`detail=${s.detail}`);
  return parts.join('; ');
}

/** A response fetched from upstream, shared by every request that collapsed onto it. */
interface Fetched {
  status: number;
  statusText: string;
  headers: Headers;
  body: BodySource;
  /** Stored in the cache. */
  storable: boolean;
  /** May be handed to collapsed requests (stored, and small enough to keep for late readers). */
  shareable: boolean;
  /** Request-header values the response varies on, as the fetching request had them. */
  vary: string[];
  varyValues: string[];
  meta: StoredMeta | null;
}

type FetchOutcome = { ok: true; fetched: Fetched } | { ok: false; error: OriginError };

/** What a validation brought back. */
type ValidationOutcome =
  | { kind: 'error'; error: OriginError }
  | { kind: 'not-modified'; headers: Headers; requestTime: number; responseTime: number }
  | { kind: 'full'; fetched: Fetched };

/** One upstream exchange and when its result is in the cache (until then, late arrivals join it). */
interface Flight<T> {
  value: T;
  settled: Promise<unknown>;
}

/** An upstream exchange in flight, as the requests that join it see it. */
interface InFlight<T> {
  done: boolean;
  flight?: Flight<T>;
}

/** In-flight upstream exchanges of this isolate, by key: concurrent misses (and validations) share one. */
const inflight = new Map<string, InFlight<unknown>>();

/**
 * Runs `run` once for concurrent callers with the same key. A caller that arrives while it
 * is in flight gets its result if `shareable` says it may, else null (it must go alone).
 *
 * Joiners wait on timers of their own request, never on a promise that the leading request
 * fulfils: a request left with nothing of its own pending is cancelled by workerd as hung
 * ("The Workers runtime canceled this request because it detected that your Worker's code had
 * hung"), and a promise fulfilled from another request does not count.
 */
async function coalesce<T>(
  flightKey: string,
  cx: CacheContext,
  run: () => Promise<Flight<T>>,
  shareable: (value: T) => boolean,
): Promise<{ value: T; collapsed: boolean } | null> {
  const existing = inflight.get(flightKey) as InFlight<T> | undefined;
  if (existing) {
    const deadline = Date.now() + cx.settings.originTimeoutMs + 1000;
    let delay = 1;
    while (!existing.done) {
      if (Date.now() > deadline) return null;
      await new Promise<void>((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 16);
    }
    if (!existing.flight) return null;
    const { value } = existing.flight;
    return shareable(value) ? { value, collapsed: true } : null;
  }
  const record: InFlight<T> = { done: false };
  inflight.set(flightKey, record);
  const flight = run();
  void flight.then(
    (f) => {
      record.flight = f;
      record.done = true;
    },
    () => {
      record.done = true;
    },
  );
  cx.waitUntil(
    flight
      .then((f) => f.settled)
      .catch(() => undefined)
      .finally(() => {
        if (inflight.get(flightKey) === record) inflight.delete(flightKey);
      }),
  );
  return { value: (await flight).value, collapsed: false };
}

/** Whether a 304's ETag (if any) names the stored response (RFC 9111 §4.3.4: strong validators compared). */
function selectsStored(received: string | null, stored: string | null): boolean {
  if (received === null || received.startsWith('W/')) return true;
  return stored !== null && received === stored;
}

/** RFC 5861 §4: the errors stale-if-error may hide. */
function isServerError(status: number): boolean {
  return status === 500 || status === 502 || status === 503 || status === 504;
}

/** Whether response fields may go to other clients than the one that caused them. */
function mayShareFields(headers: Headers): boolean {
  if (headers.has('set-cookie')) return false;
  const cc = parseCacheControl(headers.get('cache-control'));
  return !(cc.get('private') === true || cc.has('no-store'));
}

/** Whether a fetched response may be handed to another request (RFC 9111 §4.1 for Vary). */
function shareableWith(request: Request, f: Fetched): boolean {
  return f.shareable && f.vary.every((n, i) => normalisedHeader(request.headers, n) === f.varyValues[i]);
}
/** Keys with a background revalidation running in this isolate (one per key). */
const revalidating = new Set<string>();

let memoryTier: MemoryTier | null = null;
/** Parsed bookkeeping of memory entries and of the responses made from them (parsed once, read only). */
const memoryMeta = new WeakMap<object, StoredMeta | null>();
const parsedMeta = new WeakMap<Response, StoredMeta | null>();

/** This isolate's memory tier for these settings (null when MEMORY_CACHE_BYTES is 0). */
function memoryTierFor(settings: CacheSettings): MemoryTier | null {
  if (settings.memoryBytes <= 0) return null;
  const t = memoryTier?.settings;
  if (
    !memoryTier ||
    t?.maxBytes !== settings.memoryBytes ||
    t.maxObjectBytes !== settings.memoryMaxObjectBytes ||
    t.ttlMs !== settings.memoryTtlMs
  ) {
    memoryTier = new MemoryTier({
      maxBytes: settings.memoryBytes,
      maxObjectBytes: settings.memoryMaxObjectBytes,
      ttlMs: settings.memoryTtlMs,
    });
  }
  return memoryTier;
}

/** The Cache API with the isolate's memory tier in front of it. */
export class TieredCache {
  private opened: Promise<Cache> | null = null;

  private constructor(
    private readonly mem: MemoryTier | null,
    private readonly waitUntil: (p: Promise<unknown>) => void,
  ) {}

  /** The edge's cache for one request (the Cache API is opened only when memory cannot answer). */
  static async open(settings: CacheSettings, waitUntil: (p: Promise<unknown>) => void): Promise<TieredCache> {
    return new TieredCache(memoryTierFor(settings), waitUntil);
  }

  private get api(): Promise<Cache> {
    this.opened ??= caches.open(CACHE_NAME);
    return this.opened;
  }

  /** A stored response: from memory when it holds a trusted copy, else from the Cache API (then copied to memory if small). */
  async match(key: string): Promise<Response | undefined> {
    const now = Date.now();
    const held = this.mem?.get(key, now);
    if (held) {
      const response = responseOf(held);
      let meta = memoryMeta.get(held);
      if (meta === undefined) {
        meta = readMeta(response.headers);
        memoryMeta.set(held, meta);
      }
      parsedMeta.set(response, meta);
      return response;
    }
    const found = await (await this.api).match(key);
    const mem = this.mem;
    if (!found || !mem) return found;
    if (found.headers.has(VARY_MARKER_HEADER)) {
      mem.set(key, memoryEntry(found, null, now));
      return found;
    }
    const meta = readMeta(found.headers);
    if (!meta || meta.size < 0 || meta.size > mem.settings.maxObjectBytes || found.body === null) return found;
    const [client, copy] = found.body.tee();
    this.waitUntil(
      new Response(copy)
        .arrayBuffer()
        .then((buf) => mem.set(key, memoryEntry(found, new Uint8Array(buf), now)))
        .catch(() => undefined),
    );
    return new Response(client, { status: found.status, statusText: found.statusText, headers: found.headers });
  }

  /** Stores a response; `bytes` is its whole body when the caller has it (kept in memory too if small). */
  async put(key: string, response: Response, bytes?: Uint8Array): Promise<void> {
    const copy = this.mem && (bytes !== undefined || response.body === null) ? memoryEntry(response, bytes ?? null, Date.now()) : null;
    this.mem?.delete(key);
    await (await this.api).put(key, response);
    if (copy) this.mem?.set(key, copy);
  }

  /** Deletes a primary key (entry or Vary marker, so every variant becomes unreachable). */
  async delete(key: string): Promise<boolean> {
    this.mem?.deleteFamily(key);
    return (await this.api).delete(key);
  }
}

/**
 * RFC 9111 §4.4: a successful unsafe request invalidates the target URI and same-host
 * Location / Content-Location. Deleting the primary key (entry or Vary marker) from this
 * location's cache makes every variant unreachable at once.
 */
export async function invalidateAfterUnsafe(requestUrl: URL, response: Response, settings: CacheSettings): Promise<void> {
  if (response.status < 200 || response.status >= 400) return;
  const urls = [requestUrl];
  for (const name of ['location', 'content-location']) {
    const v = response.headers.get(name);
    if (!v) continue;
    try {
      const u = new URL(v, requestUrl);
      if (u.host === requestUrl.host) urls.push(u);
    } catch {
      /* not a URL: nothing to invalidate */
    }
  }
  await deleteLocally(urls, settings);
}

/** Deletes URLs from this location's cache at once (a purge reaches other locations through the purge log). */
export async function deleteLocally(urls: URL[], settings: CacheSettings): Promise<void> {
  const cache = await TieredCache.open(settings, () => undefined);
  await Promise.all(urls.map((u) => cache.delete(primaryKey(u, settings.isIgnored))));
}

/** Per-request context the cache needs from the Worker. */
export interface CacheContext {
  env: CacheEnv;
  settings: CacheSettings;
  waitUntil: (p: Promise<unknown>) => void;
  upstream: Upstream;
}

/**
 * Serves a GET or HEAD through the cache. Anything else is the caller's (pass-through).
 */
export async function serveCached(clientRequest: Request, cx: CacheContext): Promise<Response> {
  // Vary is matched on the headers the origin saw (RFC 9111 §4.1): hop-by-hop fields, those
  // named by Connection included, never reach it, so they never choose a variant either.
  const request = clientRequest.headers.has('connection')
    ? new Request(clientRequest, { headers: stripHopByHop(clientRequest.headers) })
    : clientRequest;
  const url = new URL(request.url);
  // Purge records name a URL by path and normalised query (on every host); the cache key adds the origin.
  const purgeKey = url.pathname + normalisedQuery(url.search, cx.settings.isIgnored);
  const key = `${url.protocol}//${url.host}${purgeKey}`;
  const reqCc = requestConstraints(request.headers);
  const cache = await TieredCache.open(cx.settings, cx.waitUntil);

  // RFC 9111 §3.5: requests with credentials are not answered from the cache.
  if (request.headers.has('authorization')) {
    if (reqCc.onlyIfCached)
      return jsonResponse(
        504,
        { error: 'not_cached', message: 'only-if-cached: requests with Authorization are not answered from the cache' },
        { fwd: 'bypass', detail: 'only-if-cached' },
      );
    const outcome = (await fetchAndMaybeStore(request, key, purgeKey, cx, cache)).value;
    return outcome.ok
      ? answerFetched(request, outcome.fetched, {
          fwd: 'bypass',
          fwdStatus: outcome.fetched.status,
          stored: outcome.fetched.storable,
          detail: 'authorization',
        })
      : originErrorResponse(outcome.error, { fwd: 'bypass' });
  }

  const now = Date.now();
  const snapshot = await purgeSnapshot(cx.env.EDGE_KV, cx.settings.purgePollMs, cx.waitUntil);
  const found = await lookup(cache, key, request.headers, purgeKey, snapshot, now);

  if (found.entry && found.meta) {
    const { entry, meta, entryKey } = found;
    const reuse = decideReuse(meta, reqCc, now);
    if (reuse.kind === 'fresh') {
      return answerStored(request, entry, meta, { hit: true, ttl: ttlLeft(meta, now) }, now);
    }
    // RFC 9111 §5.2.1.7: only-if-cached never contacts the origin.
    if (reqCc.onlyIfCached) {
      await entry.body?.cancel();
      return jsonResponse(
        504,
        { error: 'not_cached', message: 'only-if-cached: the stored response is stale' },
        { fwd: 'stale', detail: 'only-if-cached' },
      );
    }
    if (reuse.kind === 'stale-while-revalidate') {
      if (!revalidating.has(entryKey)) {
        revalidating.add(entryKey);
        cx.waitUntil(
          revalidateInBackground(request, entryKey, key, purgeKey, meta, cx, cache).finally(() => revalidating.delete(entryKey)),
        );
      }
      return answerStored(request, entry, meta, { hit: true, ttl: ttlLeft(meta, now), detail: 'stale-while-revalidate' }, now);
    }
    return validate(request, entry, meta, entryKey, key, purgeKey, reuse.reason === 'request' ? 'request' : 'stale', reqCc, cx, cache);
  }

  if (reqCc.onlyIfCached) {
    return jsonResponse(
      504,
      { error: 'not_cached', message: 'only-if-cached: no stored response for this request' },
      { fwd: found.reason, detail: 'only-if-cached' },
    );
  }

  const { outcome, collapsed } = await coalescedFetch(request, found.variantKey ?? key, key, purgeKey, cx, cache);
  if (!outcome.ok) return originErrorResponse(outcome.error, { fwd: found.reason, collapsed });
  const f = outcome.fetched;
  return answerFetched(request, f, {
    fwd: found.reason,
    fwdStatus: f.status,
    stored: f.storable,
    collapsed,
    ttl: f.meta ? ttlLeft(f.meta, Date.now()) : undefined,
  });
}

interface Lookup {
  entry: Response | null;
  meta: StoredMeta | null;
  entryKey: string;
  /** Set when the primary key holds a Vary marker: the key of this request's variant. */
  variantKey: string | null;
  reason: 'uri-miss' | 'vary-miss' | 'miss';
}

/** Finds the stored response for a request: primary key, then the variant its Vary marker names. */
async function lookup(
  cache: TieredCache,
  key: string,
  headers: Headers,
  purgeKey: string,
  snapshot: PurgeSnapshot,
  now: number,
): Promise<Lookup> {
  const primary = await cache.match(key);
  if (!primary) return { entry: null, meta: null, entryKey: key, variantKey: null, reason: 'uri-miss' };
  let entry: Response | undefined = primary;
  let entryKey = key;
  let variant: string | null = null;
  const marker = primary.headers.get(VARY_MARKER_HEADER);
  if (marker !== null) {
    await primary.body?.cancel();
    variant = variantKey(key, marker.split(',').filter(Boolean), headers);
    entryKey = variant;
    entry = await cache.match(variant);
    if (!entry) return { entry: null, meta: null, entryKey, variantKey: variant, reason: 'vary-miss' };
  }
  const known = parsedMeta.get(entry);
  const meta = known !== undefined ? known : readMeta(entry.headers);
  if (!meta || isPurged(snapshot, purgeKey, meta.tags, meta.storedAt) || (meta.expiresAt !== undefined && now >= meta.expiresAt)) {
    await entry.body?.cancel();
    return { entry: null, meta: null, entryKey, variantKey: variant, reason: 'miss' };
  }
  return { entry, meta, entryKey, variantKey: variant, reason: 'miss' };
}

function readMeta(headers: Headers): StoredMeta | null {
  const raw = headers.get(META_HEADER);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as StoredMeta;
  } catch {
    return null;
  }
}

/** The request sent upstream: always a full GET, without the client's conditionals or Range. */
function upstreamRequest(request: Request, validators?: { etag: string | null; lastModified: string | null }): Request {
  const headers = new Headers(request.headers);
  for (const name of ['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range', 'range']) headers.delete(name);
  headers.set('accept-encoding', normalisedHeader(request.headers, 'accept-encoding'));
  if (validators?.etag) headers.set('if-none-match', validators.etag);
  if (validators?.lastModified) headers.set('if-modified-since', validators.lastModified);
  return new Request(request.url, { method: 'GET', headers });
}

async function callUpstream(
  request: Request,
  cx: CacheContext,
  validators?: { etag: string | null; lastModified: string | null },
): Promise<{ ok: true; response: Response; requestTime: number; responseTime: number } | { ok: false; error: OriginError }> {
  const requestTime = Date.now();
  try {
    const response = await cx.upstream(upstreamRequest(request, validators));
    return { ok: true, response, requestTime, responseTime: Date.now() };
  } catch (err) {
    if (err instanceof OriginError) return { ok: false, error: err };
    throw err;
  }
}

/** Reads the policy of a fresh upstream response and decides whether and how long to store it. */
function planStorage(
  request: Request,
  response: Response,
  requestTime: number,
  responseTime: number,
  settings: CacheSettings,
): { meta: StoredMeta | null; storeFor: number } {
  const headers = response.headers;
  const rcc = parseCacheControl(headers.get('cache-control'));
  const scc = parseCacheControl(headers.get('surrogate-control'));
  if (scc.has('no-store')) return { meta: null, storeFor: 0 };
  if (whyNotStorable(response.status, request.headers, headers, rcc) !== null) return { meta: null, storeFor: 0 };
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
  if (storeFor <= 0 || (lifetime <= 0 && !hasValidators && policy.staleIfError <= 0)) return { meta: null, storeFor: 0 };
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
    tags,
    cacheControl: headers.get('cache-control'),
    expires: headers.get('expires'),
    date: headers.get('date'),
    vary: headers.get('vary'),
    size: -1,
  };
  return { meta, storeFor };
}

/** Headers as stored: the cache's own lifetime and bookkeeping instead of the originals. */
function storedHeaders(headers: Headers, meta: StoredMeta, storeFor: number): Headers {
  const out = new Headers(headers);
  const rcc = parseCacheControl(headers.get('cache-control'));
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
    EXPIRES_AT_HEADER,
  ])
    out.delete(name);
  out.set('cache-control', `public, max-age=${storeFor}`);
  out.set(META_HEADER, JSON.stringify(meta));
  return out;
}

/** Writes a response (and, for Vary, its marker) to the cache once its body is complete. */
async function store(cache: TieredCache, primary: string, variant: string | null, f: Fetched, storeFor: number): Promise<void> {
  // A TeeBody is put while the client reads (its size is its Content-Length); a SharedBody once complete.
  if (!f.meta || !(await f.body.complete())) return;
  f.meta.size = f.body.received;
  if (variant !== null && f.vary.length > 0) {
    const marker = new Headers({ 'cache-control': `public, max-age=${storeFor}`, [VARY_MARKER_HEADER]: f.vary.join(',') });
    await cache.put(primary, new Response(null, { status: 200, headers: marker }));
  }
  const headers = storedHeaders(f.headers, f.meta, storeFor);
  if (f.body instanceof SharedBody) {
    // Complete and in memory already: stored from one array (with its Content-Length), and kept in the memory tier if small.
    const bytes = f.body.bytes();
    await cache.put(variant ?? primary, new Response(bytes, { status: f.status, statusText: f.statusText, headers }), bytes);
    return;
  }
  const body = f.body.reader();
  if (body === null) return;
  await cache.put(variant ?? primary, new Response(body, { status: f.status, statusText: f.statusText, headers }));
}

/** Fetches upstream and stores what may be stored; the body is shared so others can read it. */
async function fetchAndMaybeStore(
  request: Request,
  key: string,
  purgeKey: string,
  cx: CacheContext,
  cache: TieredCache,
): Promise<Flight<FetchOutcome>> {
  const got = await callUpstream(request, cx);
  if (!got.ok) return { value: got, settled: Promise.resolve() };
  const fetched = adoptResponse(request, got.response, got.requestTime, got.responseTime, cx);
  return { value: { ok: true, fetched }, settled: storeFetched(request, key, purgeKey, fetched, cx, cache) };
}

/** Wraps an upstream response for sharing, with its storage plan. */
function adoptResponse(
  request: Request,
  response: Response,
  requestTime: number,
  responseTime: number,
  cx: CacheContext,
): Fetched & { storeFor: number } {
  const plan = planStorage(request, response, requestTime, responseTime, cx.settings);
  const vary = varyNames(response.headers.get('vary'));
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  const large = Number.isFinite(length) && length > cx.settings.coalesceMaxBytes;
  // Held in memory for late readers only when it can be shared: stored, and not too large.
  const body = large || !plan.meta ? new TeeBody(response.body, length, plan.meta ? 2 : 1) : new SharedBody(response.body);
  cx.waitUntil(body.pump);
  return {
    status: response.status,
    statusText: response.statusText,
    headers: new Headers(response.headers),
    body,
    storable: plan.meta !== null,
    shareable: plan.meta !== null && !large,
    vary,
    varyValues: vary.map((n) => normalisedHeader(request.headers, n)),
    meta: plan.meta,
    storeFor: plan.storeFor,
  };
}

/** Stores a fetched response if it may be stored; settles when it is in the cache. */
function storeFetched(
  request: Request,
  key: string,
  purgeKey: string,
  f: Fetched & { storeFor: number },
  cx: CacheContext,
  cache: TieredCache,
): Promise<void> {
  if (!f.meta) return Promise.resolve();
  const variant = f.vary.length > 0 ? variantKey(key, f.vary, request.headers) : null;
  const stored = store(cache, key, variant, f, f.storeFor).catch((err: unknown) => console.error('cache store failed', purgeKey, err));
  cx.waitUntil(stored);
  return stored;
}

/**
 * Concurrent misses for one key share one upstream fetch. A collapsed request uses the
 * shared response only if it may be shared: stored (not private, no-store, Set-Cookie …)
 * and, for a Vary response, with the same values of the varying headers; otherwise it
 * fetches on its own.
 */
async function coalescedFetch(
  request: Request,
  flightKey: string,
  key: string,
  purgeKey: string,
  cx: CacheContext,
  cache: TieredCache,
): Promise<{ outcome: FetchOutcome; collapsed: boolean }> {
  const run = (): Promise<Flight<FetchOutcome>> => fetchAndMaybeStore(request, key, purgeKey, cx, cache);
  const shared = await coalesce(flightKey, cx, run, (o) => !o.ok || shareableWith(request, o.fetched));
  if (shared) return { outcome: shared.value, collapsed: shared.collapsed };
  return { outcome: (await run()).value, collapsed: false };
}

/** Merges a 304's fields into the stored ones (RFC 9111 §3.2, §4.3.4). */
function mergeHeaders(stored: Headers, meta: StoredMeta, fresh: Headers): Headers {
  const merged = new Headers(stored);
  merged.delete(META_HEADER);
  restoreOriginalFields(merged, meta);
  if (meta.tags.length > 0) merged.set('cache-tag', meta.tags.join(','));
  for (const [name, value] of fresh) {
    if (NOT_UPDATED_BY_304.has(name)) continue;
    merged.set(name, value);
  }
  return merged;
}

/**
 * Validates a stored entry upstream (one validation per key at a time: concurrent requests
 * for a stale entry share it); answers from the entry on 304, or with the new response.
 */
async function validate(
  request: Request,
  entry: Response,
  meta: StoredMeta,
  entryKey: string,
  key: string,
  purgeKey: string,
  why: 'stale' | 'request',
  reqCc: RequestConstraints,
  cx: CacheContext,
  cache: TieredCache,
): Promise<Response> {
  const validators = { etag: entry.headers.get('etag'), lastModified: entry.headers.get('last-modified') };
  const now = Date.now();
  // The entry's body, readable by this request and by the refresh of the stored copy.
  // A large entry is not held in memory: the client streams it, and a refresh re-reads it from the cache.
  const entryBody = meta.size > cx.settings.coalesceMaxBytes ? new TeeBody(entry.body, meta.size, 1) : new SharedBody(entry.body);
  cx.waitUntil(entryBody.pump);
  const run = async (): Promise<Flight<ValidationOutcome>> => {
    let got = await callUpstream(request, cx, validators);
    // RFC 9111 §4.3.4: a 304 whose strong validator is not the stored one's selects no stored
    // response; ask again for the full representation.
    if (got.ok && got.response.status === 304 && !selectsStored(got.response.headers.get('etag'), validators.etag)) {
      await got.response.body?.cancel();
      got = await callUpstream(request, cx);
    }
    if (!got.ok) return { value: { kind: 'error', error: got.error }, settled: Promise.resolve() };
    if (got.response.status === 304) {
      await got.response.body?.cancel();
      const value: ValidationOutcome = {
        kind: 'not-modified',
        headers: got.response.headers,
        requestTime: got.requestTime,
        responseTime: got.responseTime,
      };
      const settled = refreshStored(request, entry, entryBody, meta, value, entryKey, key, purgeKey, cx, cache);
      cx.waitUntil(settled);
      return { value, settled };
    }
    const fetched = adoptResponse(request, got.response, got.requestTime, got.responseTime, cx);
    // An error about to be hidden by stale-if-error must not replace the good copy.
    if (isServerError(fetched.status) && mayServeStaleOnError(meta, reqCc, now)) {
      return { value: { kind: 'full', fetched: { ...fetched, storable: false, shareable: false } }, settled: Promise.resolve() };
    }
    return { value: { kind: 'full', fetched }, settled: storeFetched(request, key, purgeKey, fetched, cx, cache) };
  };
  // A 304's fields are handed to collapsed requests only if they are shareable (no Set-Cookie, private, no-store).
  const shareable = (v: ValidationOutcome): boolean =>
    v.kind === 'error' || (v.kind === 'not-modified' ? mayShareFields(v.headers) : shareableWith(request, v.fetched));
  const shared = await coalesce(`${entryKey}#validate`, cx, run, shareable);
  const { value: outcome, collapsed } = shared ?? { value: (await run()).value, collapsed: false };

  const failedStatus = outcome.kind === 'full' && isServerError(outcome.fetched.status) ? outcome.fetched.status : undefined;
  if ((outcome.kind === 'error' || failedStatus !== undefined) && mayServeStaleOnError(meta, reqCc, now)) {
    const stale = new Response(entryBody.reader(), { status: entry.status, statusText: entry.statusText, headers: entry.headers });
    return answerStored(
      request,
      stale,
      meta,
      {
        fwd: 'stale',
        fwdStatus: failedStatus,
        collapsed,
        ttl: ttlLeft(meta, now),
        detail: outcome.kind === 'error' ? `stale-if-error-${outcome.error.kind}` : 'stale-if-error',
      },
      now,
    );
  }
  if (outcome.kind === 'error') return originErrorResponse(outcome.error, { fwd: why, collapsed });
  if (outcome.kind === 'not-modified') {
    const merged = mergeHeaders(entry.headers, meta, outcome.headers);
    const plan = planStorage(
      request,
      new Response(null, { status: 200, headers: merged }),
      outcome.requestTime,
      outcome.responseTime,
      cx.settings,
    );
    if (plan.meta) {
      plan.meta.size = meta.size;
      const served = new Response(entryBody.reader(), {
        status: entry.status,
        statusText: entry.statusText,
        headers: storedHeaders(merged, plan.meta, plan.storeFor),
      });
      return answerStored(
        request,
        served,
        plan.meta,
        { fwd: why, fwdStatus: 304, stored: true, collapsed, ttl: ttlLeft(plan.meta, Date.now()) },
        Date.now(),
      );
    }
    // No longer storable (e.g. the 304 said no-store): answer from the merged copy once.
    return withCacheStatus(new Response(entryBody.reader(), { status: entry.status, headers: merged }), {
      fwd: why,
      fwdStatus: 304,
      collapsed,
    });
  }
  const f = outcome.fetched;
  return answerFetched(request, f, {
    fwd: why,
    fwdStatus: f.status,
    stored: f.storable,
    collapsed,
    ttl: f.meta ? ttlLeft(f.meta, Date.now()) : undefined,
  });
}

/** After a 304: the stored entry gets the merged headers and a new freshness, with the same body (RFC 9111 §4.3.4). */
async function refreshStored(
  request: Request,
  entry: Response,
  entryBody: BodySource,
  meta: StoredMeta,
  v: { headers: Headers; requestTime: number; responseTime: number },
  entryKey: string,
  key: string,
  purgeKey: string,
  cx: CacheContext,
  cache: TieredCache,
): Promise<void> {
  const merged = mergeHeaders(entry.headers, meta, v.headers);
  const plan = planStorage(request, new Response(null, { status: 200, headers: merged }), v.requestTime, v.responseTime, cx.settings);
  if (!plan.meta) return;
  let body: BodySource = entryBody;
  if (entryBody instanceof TeeBody) {
    const again = await cache.match(entryKey);
    if (!again) return;
    body = new TeeBody(again.body, meta.size, 1);
  }
  const f: Fetched = {
    status: entry.status,
    statusText: entry.statusText,
    headers: merged,
    body,
    storable: true,
    shareable: true,
    vary: varyNames(merged.get('vary')),
    varyValues: [],
    meta: plan.meta,
  };
  try {
    await store(cache, key, entryKey === key ? null : entryKey, f, plan.storeFor);
  } catch (err) {
    console.error('cache refresh failed', purgeKey, err);
  }
}

/** stale-while-revalidate: refresh the entry without anyone waiting. */
async function revalidateInBackground(
  request: Request,
  entryKey: string,
  key: string,
  purgeKey: string,
  meta: StoredMeta,
  cx: CacheContext,
  cache: TieredCache,
): Promise<void> {
  const entry = await cache.match(entryKey);
  if (!entry) return;
  const response = await validate(
    request,
    entry,
    meta,
    entryKey,
    key,
    purgeKey,
    'stale',
    { noCache: false, onlyIfCached: false },
    cx,
    cache,
  );
  await response.body?.cancel();
}

/** Puts back the fields the cache rewrote when storing (kept in the meta as the origin sent them). */
function restoreOriginalFields(headers: Headers, meta: StoredMeta): void {
  headers.delete('cache-control');
  if (meta.cacheControl !== null) headers.set('cache-control', meta.cacheControl);
  if (meta.expires !== null) headers.set('expires', meta.expires);
  if (meta.date !== null) headers.set('date', meta.date);
  if (meta.vary !== null) headers.set('vary', meta.vary);
}

/** Headers served to a client: originals restored, internals removed. */
function servedHeaders(stored: Headers, meta: StoredMeta | null): Headers {
  const out = new Headers(stored);
  if (meta) restoreOriginalFields(out, meta);
  for (const name of INTERNAL_HEADERS) out.delete(name);
  return out;
}

/** Answers from a stored entry: Age, Cache-Status, and the client's own conditionals/Range/HEAD. */
function answerStored(request: Request, entry: Response, meta: StoredMeta, status: CacheStatus, now: number): Response {
  const headers = servedHeaders(entry.headers, meta);
  headers.set('age', String(Math.max(0, Math.floor(meta.initialAge + (now - meta.responseTime) / 1000))));
  if (meta.size >= 0 && !headers.has('content-length')) headers.set('content-length', String(meta.size));
  appendCacheStatus(headers, status);
  return answerClient(request, entry.status, entry.statusText, headers, entry.body, meta.size >= 0 ? meta.size : null);
}

/** Answers from a fresh upstream response (shared body). */
function answerFetched(request: Request, f: Fetched, status: CacheStatus): Response {
  const headers = servedHeaders(f.headers, null);
  appendCacheStatus(headers, status);
  const length = f.headers.get('content-length');
  return answerClient(
    request,
    f.status,
    f.statusText,
    headers,
    f.body.reader(status.collapsed === true),
    length !== null && /^\d+$/.test(length) ? Number(length) : null,
  );
}

/** The client's conditionals (304/412), Range (206/416) and HEAD, applied to a full response. */
function answerClient(
  request: Request,
  status: number,
  statusText: string,
  headers: Headers,
  body: ReadableStream<Uint8Array> | null,
  size: number | null,
  maxMultirangeBytes = 16 * 1024 * 1024,
): Response {
  const head = request.method === 'HEAD';
  if (status === 200) {
    const cond = evaluateConditionals(request.method, request.headers, headers.get('etag'), headers.get('last-modified'));
    if (cond === 304) {
      void body?.cancel();
      return notModified(headers);
    }
    if (cond === 412) {
      void body?.cancel();
      return jsonResponse(
        412,
        { error: 'precondition_failed', message: 'a precondition (If-Match / If-Unmodified-Since) failed' },
        undefined,
        headers.get('cache-status'),
      );
    }
    // RFC 9110 §14.2: Range is ignored on anything but GET. Several ranges are assembled in
    // memory, so only for objects within the coalescing bound (a server may ignore Range).
    if (
      size !== null &&
      request.method === 'GET' &&
      request.headers.has('range') &&
      ifRangeAllows(request.headers, headers.get('etag'), headers.get('last-modified'))
    ) {
      const ranges = parseRange(request.headers.get('range'), size);
      if (ranges !== null && (ranges === 'unsatisfiable' || ranges.length === 1 || size <= maxMultirangeBytes)) {
        return rangeResponse(body, headers, ranges, size, head);
      }
    }
    if (size !== null) headers.set('accept-ranges', 'bytes');
  }
  if (head) {
    void body?.cancel();
    return new Response(null, { status, statusText, headers });
  }
  return new Response(body, { status, statusText, headers });
}

function withCacheStatus(response: Response, status: CacheStatus): Response {
  const headers = servedHeaders(response.headers, null);
  appendCacheStatus(headers, status);
  return new Response(response.body, { status: response.status, headers });
}

/** A JSON error response with a Cache-Status. */
function jsonResponse(status: number, body: Record<string, unknown>, cacheStatus?: CacheStatus, rawCacheStatus?: string | null): Response {
  const headers = new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store' });
  const cs = cacheStatus ? formatCacheStatus(cacheStatus) : rawCacheStatus;
  if (cs) headers.set('cache-status', cs);
  return new Response(JSON.stringify(body), { status, headers });
}

/** 504 for an origin timeout, 502 for an origin that could not be reached. */
export function originErrorResponse(error: OriginError, status: CacheStatus): Response {
  return error.kind === 'timeout'
    ? jsonResponse(504, { error: 'origin_timeout', message: error.message }, { ...status, detail: 'origin-timeout' })
    : jsonResponse(502, { error: 'origin_unreachable', message: error.message }, { ...status, detail: 'origin-unreachable' });
}
