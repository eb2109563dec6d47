/**
 * Validation (RFC 9111 §4.3): a stored entry that may not be reused as is goes upstream with
 * its validators; one validation per key at a time (concurrent requests for a stale entry
 * share it). A 304 refreshes the stored headers with the same body (§4.3.4); a full response
 * replaces the entry; an error may be hidden by the stale copy (RFC 5861 §4). Background
 * revalidation (stale-while-revalidate, RFC 5861 §3) is the same exchange with nobody waiting.
 */
import { varyNames } from '../cache-key';
import { cachePolicyHeaders, mayServeStaleOnError, parseCacheControl, ttlLeft, type RequestConstraints } from '../freshness';
import type { OriginError } from '../origin';
import { answerFetched, answerStored, answerUnstored, originErrorResponse } from './answer';
import type { Exchange } from './exchange';
import { responseWithStatus } from './null-body';
import { SharedBody, TeeBody, type BodySource } from './shared-body';
import { singleFlight, type Flight } from './single-flight';
import { planStorage, storeFetched, writeEntry } from './store';
import { META_HEADER, restoreOriginalFields, storedHeaders, type StoredMeta } from './stored-entry';
import { adoptResponse, callUpstream, joinerPatienceMs, shareableWith, type Fetched } from './upstream-fetch';

/** A stored entry found for a request. */
export interface FoundEntry {
  entry: Response;
  meta: StoredMeta;
  /** The key it is stored under (the primary key, or the variant key of a Vary response). */
  entryKey: string;
}

/** What a validation brought back. */
type ValidationOutcome =
  | { kind: 'error'; error: OriginError }
  | { kind: 'not-modified'; headers: Headers; requestTime: number; responseTime: number }
  | { kind: 'full'; fetched: Fetched };

/** Fields a 304 must not overwrite in the stored response (RFC 9111 §3.2). */
const NOT_UPDATED_BY_304 = new Set(['content-length', 'content-encoding', 'transfer-encoding', 'content-range', 'content-type']);

/** A background refresh carries no request directives of its own. */
const NO_CONSTRAINTS: RequestConstraints = { noCache: false, onlyIfCached: false };

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
  const cc = parseCacheControl(cachePolicyHeaders(headers).get('cache-control'));
  return !(cc.get('private') === true || (cc.has('no-store') && !cc.has('must-understand')));
}

/**
 * A 304's Set-Cookie is for the client whose request caused it: the refreshed copy is stored
 * without it (as any response's is never stored with one), and only that client gets it.
 */
function withoutSetCookie(headers: Headers): Headers {
  if (!headers.has('set-cookie')) return headers;
  const out = new Headers(headers);
  out.delete('set-cookie');
  return out;
}

/** Adds a 304's Set-Cookie lines to the answer of the client that caused them. */
function withCookies(response: Response, fresh: Headers): Response {
  for (const cookie of fresh.getSetCookie()) response.headers.append('set-cookie', cookie);
  return response;
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
export async function validate(ex: Exchange, found: FoundEntry, why: 'stale' | 'request'): Promise<Response> {
  const { request, settings, constraints } = ex;
  const { entry, meta, entryKey } = found;
  const validators = { etag: entry.headers.get('etag'), lastModified: entry.headers.get('last-modified') };
  const now = ex.clock.now();
  // The entry's body, readable by this request and by the refresh of the stored copy.
  // A large entry is not held in memory: the client streams it, and a refresh re-reads it from the cache.
  const entryBody = meta.size > settings.coalesceMaxBytes ? new TeeBody(entry.body, meta.size, 1) : new SharedBody(entry.body);
  ex.waitUntil(entryBody.pump);
  const run = async (): Promise<Flight<ValidationOutcome>> => {
    let got = await callUpstream(ex, validators);
    // RFC 9111 §4.3.4: a 304 whose strong validator is not the stored one's selects no stored
    // response; ask again for the full representation.
    if (got.ok && got.response.status === 304 && !selectsStored(got.response.headers.get('etag'), validators.etag)) {
      await got.response.body?.cancel();
      got = await callUpstream(ex);
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
      const settled = refreshStored(ex, found, entryBody, value);
      ex.waitUntil(settled);
      return { value, settled };
    }
    const fetched = adoptResponse(ex, got);
    // An error about to be hidden by stale-if-error must not replace the good copy.
    if (isServerError(fetched.status) && mayServeStaleOnError(meta, constraints, now)) {
      return { value: { kind: 'full', fetched: { ...fetched, storable: false, shareable: false } }, settled: Promise.resolve() };
    }
    return { value: { kind: 'full', fetched }, settled: storeFetched(ex, fetched) };
  };
  // A 304's fields are handed to collapsed requests only if they are shareable (no Set-Cookie, private, no-store).
  const shareable = (v: ValidationOutcome): boolean =>
    v.kind === 'error' || (v.kind === 'not-modified' ? mayShareFields(v.headers) : shareableWith(request, v.fetched));
  const shared = await singleFlight(
    `${entryKey}#validate`,
    { flights: ex.isolate.flights, waitUntil: ex.waitUntil, maxWaitMs: joinerPatienceMs(ex) },
    run,
    shareable,
  );
  const { value: outcome, collapsed } = shared ?? { value: (await run()).value, collapsed: false };

  const failedStatus = outcome.kind === 'full' && isServerError(outcome.fetched.status) ? outcome.fetched.status : undefined;
  if ((outcome.kind === 'error' || failedStatus !== undefined) && mayServeStaleOnError(meta, constraints, now)) {
    const stale = responseWithStatus(entryBody.reader(), { status: entry.status, statusText: entry.statusText, headers: entry.headers });
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
      new Response(null, { status: 200, headers: withoutSetCookie(merged) }),
      outcome.requestTime,
      outcome.responseTime,
      settings,
    );
    if (plan.meta) {
      plan.meta.size = meta.size;
      const served = responseWithStatus(entryBody.reader(), {
        status: entry.status,
        statusText: entry.statusText,
        headers: storedHeaders(merged, plan.meta, plan.storeFor),
      });
      return withCookies(
        answerStored(
          request,
          served,
          plan.meta,
          { fwd: why, fwdStatus: 304, stored: true, collapsed, ttl: ttlLeft(plan.meta, ex.clock.now()) },
          ex.clock.now(),
        ),
        outcome.headers,
      );
    }
    // No longer storable (e.g. the 304 said no-store): answer from the merged copy once.
    return answerUnstored(
      request,
      {
        status: entry.status,
        statusText: entry.statusText,
        headers: merged,
        body: entryBody.reader(),
        length: meta.size >= 0 ? meta.size : null,
      },
      { fwd: why, fwdStatus: 304, collapsed },
    );
  }
  const f = outcome.fetched;
  return answerFetched(request, f, {
    fwd: why,
    fwdStatus: f.status,
    stored: f.storable,
    collapsed,
    ttl: f.meta ? ttlLeft(f.meta, ex.clock.now()) : undefined,
  });
}

/** After a 304: the stored entry gets the merged headers and a new freshness, with the same body (RFC 9111 §4.3.4). */
async function refreshStored(
  ex: Exchange,
  found: FoundEntry,
  entryBody: BodySource,
  v: { headers: Headers; requestTime: number; responseTime: number },
): Promise<void> {
  const { entry, meta, entryKey } = found;
  const merged = withoutSetCookie(mergeHeaders(entry.headers, meta, v.headers));
  const plan = planStorage(ex.request, new Response(null, { status: 200, headers: merged }), v.requestTime, v.responseTime, ex.settings);
  if (!plan.meta) return;
  let body: BodySource = entryBody;
  if (entryBody instanceof TeeBody) {
    const again = await ex.tiers.match(entryKey);
    if (!again) return;
    body = new TeeBody(again.response.body, meta.size, 1);
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
    await writeEntry(ex.tiers, ex.key, entryKey === ex.key ? null : entryKey, f, plan.storeFor);
  } catch (err) {
    console.error('cache refresh failed', ex.purgeKey, err);
  }
}

/** stale-while-revalidate: refresh the entry without anyone waiting. */
export async function revalidateInBackground(ex: Exchange, entryKey: string, meta: StoredMeta): Promise<void> {
  const again = await ex.tiers.match(entryKey);
  if (!again) return;
  const response = await validate({ ...ex, constraints: NO_CONSTRAINTS }, { entry: again.response, meta, entryKey }, 'stale');
  await response.body?.cancel();
}
