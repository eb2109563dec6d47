/**
 * Content-Type by file extension: one table for the origin, the push API and the push client,
 * so the same file gets the same type however it reaches a client. The table is Hono's
 * (`hono/utils/mime`, already a dependency of every Worker) plus the few types it lacks, with
 * one charset policy on top.
 */
import { getMimeType, mimes } from 'hono/utils/mime';

/** The type of a file whose extension is not in the table. */
export const UNKNOWN_CONTENT_TYPE = 'application/octet-stream';

/** Types Hono's table lacks: Markdown (RFC 7763). */
const EXTRA: Readonly<Record<string, string>> = { md: 'text/markdown', markdown: 'text/markdown' };

/**
 * The charset policy: every file is served as its bytes, and text is UTF-8. `charset=utf-8` is
 * added to `text/*` and to the JSON, XML and JavaScript types under `application/` (including
 * `+json` / `+xml` suffixes), whose registrations read or tolerate the parameter; binary types
 * and images (an SVG declares its encoding itself) get no parameter.
 */
export function withCharset(essence: string): string {
  const type = essence.toLowerCase();
  const textual = type.startsWith('text/') || /^application\/(json|xml|javascript|ecmascript|[a-z0-9.!#$&^_-]+\+(json|xml))$/.test(type);
  return textual ? `${type}; charset=utf-8` : type;
}

/** Extension (lower case, no dot) → media type without parameters. */
const ESSENCES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries({ ...mimes, ...EXTRA }).map(([ext, type]) => [ext, (type.split(';')[0] ?? type).trim()]),
);

/**
 * The Content-Type for a path or file name, by its last extension (case-insensitive), with the
 * charset policy of {@link withCharset}; {@link UNKNOWN_CONTENT_TYPE} when the extension is
 * unknown or there is none. Directories in the path do not count (`/a.b/file` has none).
 */
export function contentTypeFor(path: string): string {
  const name = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  const essence = getMimeType(name, ESSENCES);
  return essence === undefined ? UNKNOWN_CONTENT_TYPE : withCharset(essence);
}
