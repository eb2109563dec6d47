/**
 * Serving pushed content (issue 3, "Serving"): the active deploy names the blob for a path,
 * and the blob streams from R2 with the pushed Content-Type and Cache-Control, an ETag (the
 * content hash), Last-Modified, conditional 304 (RFC 9110 §13) and single-range 206
 * (RFC 9110 §14). It answers like an origin, so the pull cache can sit in front of it.
 */
import { EXPIRES_AT_HEADER } from '../cache';
import { notModified, parseRange } from './http';
import type { FileEntry } from '@pushpull/contracts/push';
import { lookupFile } from './manifest';
import { blobKey, getDeploy, readActiveForServing, type PushEnv } from './store';

/** The entry serving a path in the active deploy, or null (not pushed, or expired). */
export async function activeFile(env: PushEnv, pathname: string, now = Date.now()): Promise<FileEntry | null> {
  const pointer = await readActiveForServing(env);
  if (!pointer) return null;
  const deploy = await getDeploy(env, pointer.deployId);
  if (!deploy) return null;
  return lookupFile(deploy.files, pathname, now);
}

/** The response headers of a pushed file (also used for 304 and 206). */
export function pushedHeaders(entry: FileEntry): Headers {
  const h = new Headers();
  h.set('content-type', entry.contentType);
  if (entry.cacheControl) h.set('cache-control', entry.cacheControl);
  h.set('etag', `"${entry.sha256}"`);
  h.set('last-modified', new Date(entry.modifiedAt).toUTCString());
  h.set('accept-ranges', 'bytes');
  if (entry.expiresAt !== undefined) {
    h.set(EXPIRES_AT_HEADER, String(entry.expiresAt));
    // Tell downstream caches too (RFC 9111 §5.3); the pushed Cache-Control still governs.
    h.set('expires', new Date(entry.expiresAt).toUTCString());
  }
  return h;
}

/**
 * The pushed response for a request, or null when the path is not pushed (or has expired)
 * or the method is not GET/HEAD. Bodies are streamed from R2, never buffered whole.
 */
export async function fetchPushed(request: Request, env: PushEnv): Promise<Response | null> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return null;
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(request.url).pathname);
  } catch {
    return null;
  }
  const entry = await activeFile(env, pathname);
  if (!entry) return null;
  const headers = pushedHeaders(entry);

  if (notModified(request, entry)) {
    headers.delete('content-type');
    return new Response(null, { status: 304, headers });
  }

  // Range is defined for GET only (RFC 9110 §14.2): a HEAD gets the full length.
  let range = request.method === 'GET' ? parseRange(request.headers.get('range'), entry.size) : null;
  const ifRange = request.headers.get('if-range');
  // If-Range (RFC 9110 §13.1.5): only a strong ETag match keeps the range.
  if (range !== null && ifRange !== null && ifRange.trim() !== `"${entry.sha256}"`) range = null;
  if (range === 'unsatisfiable') {
    headers.set('content-range', `bytes */${entry.size}`);
    headers.delete('content-type');
    return new Response(null, { status: 416, headers });
  }

  if (request.method === 'HEAD') {
    headers.set('content-length', String(entry.size));
    return new Response(null, { status: 200, headers });
  }

  const obj = await env.PUSH_BUCKET.get(blobKey(entry.sha256), range ? { range } : undefined);
  if (!obj) {
    console.error('pushed blob missing', entry.sha256, pathname);
    return null;
  }
  // An R2 body has a known length, so the runtime sends Content-Length (unless it compresses).
  if (range) {
    headers.set('content-range', `bytes ${range.offset}-${range.offset + range.length - 1}/${entry.size}`);
    return new Response(obj.body, { status: 206, headers });
  }
  return new Response(obj.body, { status: 200, headers });
}
