/**
 * Optional gzip content coding for the origin's static files (RFC 9110 §8.4, §12.5.3).
 *
 * A file is *compressible* when its media type is textual and its size is within
 * [MIN_COMPRESS_BYTES, MAX_COMPRESS_BYTES]; such a file always answers with
 * `Vary: Accept-Encoding` (RFC 9110 §12.5.5), whichever coding was chosen. The gzip variant is
 * its own representation with its own strong entity-tag (`"<sha256>-gzip"`), and Range applies
 * to its compressed bytes, as RFC 9110 §14 defines ranges over the selected representation.
 */
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';

const gzipAsync = promisify(gzip);

/** Smaller files are always sent as they are (gzip would not pay for its header). */
export const MIN_COMPRESS_BYTES = 256;
/** Larger files are always sent as they are (compressed copies are kept in memory). */
export const MAX_COMPRESS_BYTES = 8 * 1024 * 1024;
/** Total bytes of compressed copies kept in memory (least recently used forgotten first). */
export const GZIP_CACHE_BYTES = 64 * 1024 * 1024;

/** Whether a media type benefits from gzip. */
export function isCompressibleType(contentType: string): boolean {
  const type = (contentType.split(';', 1)[0] ?? '').trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type === 'application/manifest+json' ||
    type === 'application/xml' ||
    type === 'image/svg+xml' ||
    type === 'application/wasm'
  );
}

/**
 * RFC 9110 §12.5.3: whether `Accept-Encoding` accepts gzip (`gzip`/`x-gzip` with q > 0, or `*`
 * with q > 0 when gzip is not itself listed). An absent header gets the identity coding.
 */
export function acceptsGzip(acceptEncoding: string | null): boolean {
  if (acceptEncoding === null) return false;
  let gzipQ: number | undefined;
  let starQ: number | undefined;
  for (const member of acceptEncoding.split(',')) {
    const [codingPart, ...params] = member.split(';');
    const coding = (codingPart ?? '').trim().toLowerCase();
    if (coding === '') continue;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    if (Number.isNaN(q)) q = 0;
    if (coding === 'gzip' || coding === 'x-gzip') gzipQ = Math.max(gzipQ ?? 0, q);
    else if (coding === '*') starQ = q;
  }
  if (gzipQ !== undefined) return gzipQ > 0;
  return starQ !== undefined && starQ > 0;
}

/** The entity-tag of the gzip variant of a representation with `etag`. */
export function gzipEntityTag(etag: string): string {
  return `${etag.slice(0, -1)}-gzip"`;
}

/** Compressed copies keyed by the identity entity-tag (a content hash), bounded in bytes. */
export class GzipCache {
  readonly #entries = new Map<string, Promise<Buffer>>();
  readonly #sizes = new Map<string, number>();
  #total = 0;

  constructor(readonly limitBytes = GZIP_CACHE_BYTES) {}

  /** The gzip bytes for `etag`, compressing `read()` once per content. */
  get(etag: string, read: () => Promise<Buffer>): Promise<Buffer> {
    const hit = this.#entries.get(etag);
    if (hit) {
      // Refresh recency: Map keeps insertion order.
      this.#entries.delete(etag);
      this.#entries.set(etag, hit);
      return hit;
    }
    const pending = read().then((bytes) => gzipAsync(bytes));
    this.#entries.set(etag, pending);
    pending.then(
      (gz) => {
        if (this.#entries.get(etag) !== pending) return;
        this.#sizes.set(etag, gz.byteLength);
        this.#total += gz.byteLength;
        this.#evict();
      },
      () => {
        if (this.#entries.get(etag) === pending) this.#entries.delete(etag);
      },
    );
    return pending;
  }

  #evict(): void {
    for (const key of this.#entries.keys()) {
      if (this.#total <= this.limitBytes) return;
      const size = this.#sizes.get(key);
      if (size === undefined) continue;
      this.#entries.delete(key);
      this.#sizes.delete(key);
      this.#total -= size;
    }
  }
}
