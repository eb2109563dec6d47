/**
 * One request's passage through the cache: the request as the upstream sees it, its keys and
 * Cache-Control constraints, and what the Worker lends the cache for it (settings, clock,
 * upstream, waitUntil, the isolate's state). Every step of the flow takes this one object.
 */
import { normalisedQuery } from '../cache-key';
import { requestConstraints, type RequestConstraints } from '../freshness';
import { stripHopByHop } from '../origin';
import type { CacheSettings, CacheVars } from '../settings';
import type { Clock } from './clock';
import type { IsolateState } from './isolate';
import { TieredCache } from './tiers';

/** An upstream answers GET requests like an origin (full responses or 304s); throws {@link OriginError} when it cannot. */
export type Upstream = (request: Request) => Promise<Response>;

/** What the cache needs of the Worker's env: its settings' vars and the KV namespace of purge snapshots. */
interface CacheEnv extends CacheVars {
  EDGE_KV: KVNamespace;
}

/** What the Worker gives the cache for a request. */
interface CacheDeps {
  env: CacheEnv;
  settings: CacheSettings;
  clock: Clock;
  isolate: IsolateState;
  waitUntil: (p: Promise<unknown>) => void;
  upstream: Upstream;
}

/** One request through the cache, as every step of the flow sees it. */
export interface Exchange extends CacheDeps {
  /**
   * The request as the upstream sees it. Vary is matched on the headers the origin saw (RFC
   * 9111 §4.1): hop-by-hop fields, those named by Connection included, never reach it, so
   * they never choose a variant either.
   */
  request: Request;
  /** Path and normalised query: how purge records name the URL (on every host). */
  purgeKey: string;
  /** The primary cache key: the origin of the URL and its purge key. */
  key: string;
  /** The request's own Cache-Control (RFC 9111 §5.2.1). */
  constraints: RequestConstraints;
  /** This location's cache for this request. */
  tiers: TieredCache;
}

/** Starts a request's passage through the cache. */
export function openExchange(clientRequest: Request, deps: CacheDeps): Exchange {
  const request = clientRequest.headers.has('connection')
    ? new Request(clientRequest, { headers: stripHopByHop(clientRequest.headers) })
    : clientRequest;
  const url = new URL(request.url);
  const purgeKey = url.pathname + normalisedQuery(url.search, deps.settings.isIgnored);
  return {
    ...deps,
    request,
    purgeKey,
    key: `${url.protocol}//${url.host}${purgeKey}`,
    constraints: requestConstraints(request.headers),
    tiers: new TieredCache(deps.isolate, deps.settings, deps.clock, deps.waitUntil),
  };
}
