/**
 * Going upstream: the request sent (always a full GET, without the client's conditionals or
 * Range), when it left and when its answer came (RFC 9111 §4.2.3 request_time and
 * response_time, read from the exchange's clock), and the answer wrapped so that collapsed
 * requests can read it too. Concurrent misses for one key share one fetch.
 */
import { normalisedHeader, varyNames } from '../cache-key';
import { OriginError } from '../origin';
import type { Exchange } from './exchange';
import { SharedBody, TeeBody, type BodySource } from './shared-body';
import { singleFlight, type Flight } from './single-flight';
import { planStorage, storeFetched } from './store';
import type { StoredMeta } from './stored-entry';

/** A response fetched from upstream, shared by every request that collapsed onto it. */
export interface Fetched {
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

/** The validators of a stored response, sent on a revalidation. */
interface Validators {
  etag: string | null;
  lastModified: string | null;
}

/** An upstream answer with the instants around it. */
type UpstreamAnswer = { ok: true; response: Response; requestTime: number; responseTime: number } | { ok: false; error: OriginError };

/** The request sent upstream: always a full GET, without the client's conditionals or Range. */
function upstreamRequest(request: Request, validators?: Validators): Request {
  const headers = new Headers(request.headers);
  for (const name of ['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range', 'range']) headers.delete(name);
  headers.set('accept-encoding', normalisedHeader(request.headers, 'accept-encoding'));
  if (validators?.etag) headers.set('if-none-match', validators.etag);
  if (validators?.lastModified) headers.set('if-modified-since', validators.lastModified);
  return new Request(request.url, { method: 'GET', headers });
}

/** Asks the upstream (conditionally when `validators` are given); an {@link OriginError} becomes a value. */
export async function callUpstream(ex: Exchange, validators?: Validators): Promise<UpstreamAnswer> {
  const requestTime = ex.clock.now();
  try {
    const response = await ex.upstream(upstreamRequest(ex.request, validators));
    return { ok: true, response, requestTime, responseTime: ex.clock.now() };
  } catch (err) {
    if (err instanceof OriginError) return { ok: false, error: err };
    throw err;
  }
}

/** Wraps an upstream response for sharing, with its storage plan. */
export function adoptResponse(
  ex: Exchange,
  got: { response: Response; requestTime: number; responseTime: number },
): Fetched & { storeFor: number } {
  const { response } = got;
  const plan = planStorage(ex.request, response, got.requestTime, got.responseTime, ex.settings);
  const vary = varyNames(response.headers.get('vary'));
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  const large = Number.isFinite(length) && length > ex.settings.coalesceMaxBytes;
  // Held in memory for late readers only when it can be shared: stored, and not too large.
  const body = large || !plan.meta ? new TeeBody(response.body, length, plan.meta ? 2 : 1) : new SharedBody(response.body);
  ex.waitUntil(body.pump);
  return {
    status: response.status,
    statusText: response.statusText,
    headers: new Headers(response.headers),
    body,
    storable: plan.meta !== null,
    shareable: plan.meta !== null && !large,
    vary,
    varyValues: vary.map((n) => normalisedHeader(ex.request.headers, n)),
    meta: plan.meta,
    storeFor: plan.storeFor,
  };
}

/** Fetches upstream and stores what may be stored; the body is shared so others can read it. */
export async function fetchAndMaybeStore(ex: Exchange): Promise<Flight<FetchOutcome>> {
  const got = await callUpstream(ex);
  if (!got.ok) return { value: got, settled: Promise.resolve() };
  const fetched = adoptResponse(ex, got);
  return { value: { ok: true, fetched }, settled: storeFetched(ex, fetched) };
}

/** Whether a fetched response may be handed to another request (RFC 9111 §4.1 for Vary). */
export function shareableWith(request: Request, f: Fetched): boolean {
  return f.shareable && f.vary.every((n, i) => normalisedHeader(request.headers, n) === f.varyValues[i]);
}

/** How long a request waits for another's upstream exchange before it goes alone. */
export function joinerPatienceMs(ex: Exchange): number {
  return ex.settings.originTimeoutMs + 1000;
}

/**
 * Concurrent misses for one key share one upstream fetch. A collapsed request uses the
 * shared response only if it may be shared: stored (not private, no-store, Set-Cookie …)
 * and, for a Vary response, with the same values of the varying headers; otherwise it
 * fetches on its own.
 */
export async function coalescedFetch(ex: Exchange, flightKey: string): Promise<{ outcome: FetchOutcome; collapsed: boolean }> {
  const run = (): Promise<Flight<FetchOutcome>> => fetchAndMaybeStore(ex);
  const shared = await singleFlight(
    flightKey,
    { flights: ex.isolate.flights, waitUntil: ex.waitUntil, maxWaitMs: joinerPatienceMs(ex) },
    run,
    (o) => !o.ok || shareableWith(ex.request, o.fetched),
  );
  if (shared) return { outcome: shared.value, collapsed: shared.collapsed };
  return { outcome: (await run()).value, collapsed: false };
}
