/**
 * Serving pushed content (docs/push.md, "Serving"): the active deploy names the blob for a path,
 * and the blob streams from R2 with the pushed Content-Type and Cache-Control, an ETag (the
 * content hash), Last-Modified, Content-Length, and the preconditions and Range of RFC 9110
 * §13-14 from the shared module. It answers like an origin, so the pull cache can sit in front of it.
 */
import { EXPIRES_AT_HEADER } from '../cache';
import { normalisedPath, pathOfName } from '../cache-key';
import { fixedLength } from '../framing';
import { conditionalFields } from '@pushpull/http/semantics/preconditions';
import type { ByteRange } from '@pushpull/http/semantics/range';
import { buildResponse, planResponse } from '@pushpull/http/semantics/respond';
import { formatHttpDate } from '@pushpull/http/semantics/http-date';
import type { FileEntry } from '@pushpull/contracts/push';
import { lookupFile } from './manifest';
import { blobKey, getDeploy, readActiveForServing, type PushEnv } from './store';

/** The entry serving a path in the active deploy, or null (not pushed, or expired). */
async function activeFile(env: PushEnv, pathname: string, now = Date.now()): Promise<FileEntry | null> {
  const pointer = await readActiveForServing(env);
  if (!pointer) return null;
  const deploy = await getDeploy(env, pointer.deployId);
  if (!deploy) return null;
  return lookupFile(deploy.files, pathname, now);
}

/** The response headers of a pushed file (also used for 304 and 206). */
function pushedHeaders(entry: FileEntry): Headers {
  const h = new Headers();
  h.set('content-type', entry.contentType);
  if (entry.cacheControl) h.set('cache-control', entry.cacheControl);
  h.set('etag', `"${entry.sha256}"`);
  h.set('last-modified', formatHttpDate(entry.modifiedAt));
  h.set('accept-ranges', 'bytes');
  if (entry.expiresAt !== undefined) {
    h.set(EXPIRES_AT_HEADER, String(entry.expiresAt));
    // Tell downstream caches too (RFC 9111 §5.3); the pushed Cache-Control still governs.
    h.set('expires', formatHttpDate(entry.expiresAt));
  }
  return h;
}

/**
 * The pushed name a URL path serves, or null. A file has one URL, {@link pathOfName} of its name,
 * up to RFC 3986 §6.2.2 equivalence (`/%73tale.txt`, lowercase hex): one cache key, which an
 * activation purges. A reserved character sent percent-encoded (`%2B` for `+`, `%2F` for `/`)
 * makes another URL (§2.2), which serves no pushed file, as no purge would reach its copies.
 */
function pushedName(urlPath: string): string | null {
  const path = normalisedPath(urlPath);
  let name: string;
  try {
    name = decodeURIComponent(path);
  } catch {
    return null; // not UTF-8: no pushed name (names are text)
  }
  return pathOfName(name) === path ? name : null;
}

/**
 * The pushed response for a request, or null when the path is not pushed (or has expired),
 * its blob is missing, or the method is not GET/HEAD. Preconditions, Range and HEAD are those
 * of the shared RFC 9110 module (@pushpull/http/semantics): If-Match, If-None-Match,
 * If-Modified-Since, If-Unmodified-Since, If-Range (by ETag or date), one range or
 * multipart/byteranges. Bodies are streamed from R2 (one ranged read per part), never buffered.
 */
export async function fetchPushed(request: Request, env: PushEnv, now = Date.now()): Promise<Response | null> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return null;
  const pathname = pushedName(new URL(request.url).pathname);
  if (pathname === null) return null;
  const entry = await activeFile(env, pathname, now);
  if (!entry) return null;
  const headers = pushedHeaders(entry);
  // `date: now`: a file modified in this very second has a weak Last-Modified (§8.8.2.2).
  const plan = planResponse(request.method, conditionalFields(request.headers), {
    etag: `"${entry.sha256}"`,
    lastModified: entry.modifiedAt,
    date: now,
    length: entry.size,
    contentType: entry.contentType,
  });
  if (!('sendBody' in plan) || !plan.sendBody) return buildResponse(plan, headers, { kind: 'sequential', stream: null });

  // The first bytes are read before answering, so a missing blob is a null (the route decides)
  // rather than a stream that fails half-way.
  const key = blobKey(entry.sha256);
  const first: ByteRange | undefined = plan.status === 200 ? undefined : 'range' in plan ? plan.range : plan.multipart.ranges[0];
  const firstObject = await env.PUSH_BUCKET.get(key, first ? { range: r2Range(first) } : undefined);
  if (!firstObject) {
    console.error('pushed blob missing', entry.sha256, pathname);
    return null;
  }
  let prefetched: ReadableStream<Uint8Array> | null = firstObject.body;
  const open = async (range: ByteRange): Promise<ReadableStream<Uint8Array>> => {
    if (prefetched !== null && (first === undefined || (range.start === first.start && range.end === first.end))) {
      const body = prefetched;
      prefetched = null;
      return body;
    }
    const part = await env.PUSH_BUCKET.get(key, { range: r2Range(range) });
    if (!part) throw new Error(`pushed blob ${entry.sha256} vanished while serving ${pathname}`);
    return part.body;
  };
  if (entry.size === 0) {
    // Nothing to read: the whole (empty) body is no stream at all.
    await firstObject.body.cancel();
    prefetched = null;
  }
  return buildResponse(plan, headers, { kind: 'random-access', open }, { fixedLength });
}

/** An inclusive byte range as R2 reads it. */
function r2Range(range: ByteRange): R2Range {
  return { offset: range.start, length: range.end - range.start + 1 };
}
