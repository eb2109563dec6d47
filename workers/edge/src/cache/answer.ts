/**
 * Answering the client. Whatever the cache decided (hit, miss, revalidation), the client gets a
 * representation through {@link answerRepresentation}: its own conditionals (304/412), Range
 * (206/416) and HEAD applied to it. That one function is where the RFC 9110 module's
 * `planResponse` / `buildResponse` plug in. The rest builds the representation from a stored
 * entry (Age, restored fields) or a fetched response, and the cache's own error answers.
 */
import type { OriginError } from '../origin';
import { appendCacheStatus, formatCacheStatus, type CacheStatus } from './cache-status';
import { evaluateConditionals, ifRangeAllows, notModified, parseRange, rangeResponse } from './conditional';
import { servedHeaders, type StoredMeta } from './stored-entry';
import type { Fetched } from './upstream-fetch';

/** Several ranges are assembled in memory, so only for objects up to this size (a server may ignore Range). */
const MAX_MULTIRANGE_BYTES = 16 * 1024 * 1024;

/** A full response ready for the client: served headers (Cache-Status included) and body. */
interface Representation {
  status: number;
  statusText: string;
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
  /** Body bytes when known (Range and Accept-Ranges need it), else null. */
  length: number | null;
}

/** The client's conditionals (304/412), Range (206/416) and HEAD, applied to a full response. */
function answerRepresentation(request: Request, r: Representation): Response {
  const { status, statusText, headers, body, length: size } = r;
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
    // RFC 9110 §14.2: Range is ignored on anything but GET.
    if (
      size !== null &&
      request.method === 'GET' &&
      request.headers.has('range') &&
      ifRangeAllows(request.headers, headers.get('etag'), headers.get('last-modified'))
    ) {
      const ranges = parseRange(request.headers.get('range'), size);
      if (ranges !== null && (ranges === 'unsatisfiable' || ranges.length === 1 || size <= MAX_MULTIRANGE_BYTES)) {
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

/** Answers from a stored entry at `now`: Age, restored fields, Cache-Status, then the client's own conditionals/Range/HEAD. */
export function answerStored(request: Request, entry: Response, meta: StoredMeta, status: CacheStatus, now: number): Response {
  const headers = servedHeaders(entry.headers, meta);
  headers.set('age', String(Math.max(0, Math.floor(meta.initialAge + (now - meta.responseTime) / 1000))));
  if (meta.size >= 0 && !headers.has('content-length')) headers.set('content-length', String(meta.size));
  appendCacheStatus(headers, status);
  return answerRepresentation(request, {
    status: entry.status,
    statusText: entry.statusText,
    headers,
    body: entry.body,
    length: meta.size >= 0 ? meta.size : null,
  });
}

/** Answers from a fresh upstream response (shared body). */
export function answerFetched(request: Request, f: Fetched, status: CacheStatus): Response {
  const headers = servedHeaders(f.headers, null);
  appendCacheStatus(headers, status);
  const length = f.headers.get('content-length');
  return answerRepresentation(request, {
    status: f.status,
    statusText: f.statusText,
    headers,
    body: f.body.reader(status.collapsed === true),
    length: length !== null && /^\d+$/.test(length) ? Number(length) : null,
  });
}

/** Passes a response on as it is (no client conditionals), internals removed, with a Cache-Status. */
export function withCacheStatus(response: Response, status: CacheStatus): Response {
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

/** RFC 9111 §5.2.1.7: 504 when only-if-cached has no stored response to answer with. */
export function notCached(message: string, status: CacheStatus): Response {
  return jsonResponse(504, { error: 'not_cached', message: `only-if-cached: ${message}` }, { ...status, detail: 'only-if-cached' });
}

/** 504 for an origin timeout, 502 for an origin that could not be reached. */
export function originErrorResponse(error: OriginError, status: CacheStatus): Response {
  return error.kind === 'timeout'
    ? jsonResponse(504, { error: 'origin_timeout', message: error.message }, { ...status, detail: 'origin-timeout' })
    : jsonResponse(502, { error: 'origin_unreachable', message: error.message }, { ...status, detail: 'origin-unreachable' });
}
