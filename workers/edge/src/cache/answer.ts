/**
 * Answering the client. Whatever the cache decided (hit, miss, revalidation), the client gets a
 * representation through {@link answerRepresentation}: its own conditionals (304/412), Range
 * (206/416) and HEAD applied to it by the RFC 9110 module's `planResponse` / `buildResponse`,
 * the body framed with its Content-Length. The rest builds the representation from a stored
 * entry (Age, restored fields) or a fetched response, and the cache's own error answers.
 */
import { parseHttpDate } from '@pushpull/http/semantics/http-date';
import { conditionalFields } from '@pushpull/http/semantics/preconditions';
import { MAX_RANGE_PARTS } from '@pushpull/http/semantics/range';
import { buildResponse, planResponse } from '@pushpull/http/semantics/respond';
import { fixedLength } from '../framing';
import type { OriginError } from '../origin';
import { appendCacheStatus, formatCacheStatus, type CacheStatus } from './cache-status';
import { isNullBodyStatus } from './null-body';
import { servedHeaders, type StoredMeta } from './stored-entry';
import type { Fetched } from './upstream-fetch';

/**
 * A one-pass body holds at most this many bytes to send multipart parts in the order asked;
 * objects larger than this answer several ranges with the full 200 (a server may ignore Range).
 */
const MAX_MULTIRANGE_BYTES = 16 * 1024 * 1024;

/** A full response ready for the client: served headers (Cache-Status included) and body. */
export interface Representation {
  status: number;
  statusText: string;
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
  /** Body bytes when known (Range and Content-Length need it), else null. */
  length: number | null;
}

/**
 * The length a representation's bytes are served with, or null when it is not known. A body
 * with a content coding is left unframed and without Range: the runtime may decode it on the
 * way in and encode it on the way out, so its field and its bytes need not agree here.
 */
function servedLength(headers: Headers, length: number | null): number | null {
  const coding = headers.get('content-encoding');
  if (coding !== null && coding.trim().toLowerCase() !== 'identity' && coding.trim() !== '') return null;
  return length;
}

/** The client's conditionals (304/412), Range (206/416) and HEAD, applied to a full response. */
function answerRepresentation(request: Request, r: Representation): Response {
  const { status, statusText, headers, body } = r;
  const length = servedLength(headers, r.length);
  if (status !== 200) {
    // Conditionals and Range apply to a 200's representation only; other statuses pass as they are.
    if (request.method === 'HEAD' || body === null || isNullBodyStatus(status)) {
      void body?.cancel();
      return new Response(null, { status, statusText, headers });
    }
    if (length !== null) headers.set('content-length', String(length));
    return new Response(length === null ? body : fixedLength(body, length), { status, statusText, headers });
  }
  const lastModified = headers.get('last-modified');
  const date = headers.get('date');
  const plan = planResponse(
    request.method,
    conditionalFields(request.headers),
    {
      etag: headers.get('etag'),
      lastModified: lastModified === null ? null : parseHttpDate(lastModified),
      // The stored response's Date: a Last-Modified less than a second before it is weak (§8.8.2.2).
      date: (date === null ? null : parseHttpDate(date)) ?? undefined,
      length,
      contentType: headers.get('content-type'),
    },
    // Several ranges of a larger object would hold too much of a one-pass body: the whole 200 then.
    {
      maxRangeParts: length !== null && length > MAX_MULTIRANGE_BYTES ? 1 : MAX_RANGE_PARTS,
      sequentialHoldBytes: MAX_MULTIRANGE_BYTES,
    },
  );
  const response = buildResponse(plan, headers, { kind: 'sequential', stream: body }, { fixedLength });
  // The module's 412 and 416 keep only Vary; they still say what this cache did.
  const cacheStatus = headers.get('cache-status');
  if ((plan.status === 412 || plan.status === 416) && cacheStatus !== null) response.headers.set('cache-status', cacheStatus);
  return response;
}

/** Answers from a stored entry at `now`: Age, restored fields, Cache-Status, then the client's own conditionals/Range/HEAD. */
export function answerStored(request: Request, entry: Response, meta: StoredMeta, status: CacheStatus, now: number): Response {
  const headers = servedHeaders(entry.headers, meta);
  headers.set('age', String(Math.max(0, Math.floor(meta.initialAge + (now - meta.responseTime) / 1000))));
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

/**
 * Answers once from a representation that is not (or no longer) stored, e.g. a stored body under
 * the fields of a 304 that made it unstorable: internals removed, a Cache-Status, then the
 * client's own conditionals/Range/HEAD.
 */
export function answerUnstored(request: Request, r: Representation, status: CacheStatus): Response {
  const headers = servedHeaders(r.headers, null);
  appendCacheStatus(headers, status);
  return answerRepresentation(request, { ...r, headers });
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
