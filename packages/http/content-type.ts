/**
 * One `Content-Type` table by file extension for everything that serves or pushes files: the
 * origin's static files, the push API (a file PUT without a Content-Type) and the push client's
 * manifest. It is Hono's table (`hono/utils/mime`, what `serveStatic` uses) plus the extensions
 * Hono lacks; where the three tables pushpull had before disagreed, Hono's answer is what a
 * browser expects: `application/json` without `charset` (RFC 8259 §11 defines no charset
 * parameter), `charset=utf-8` on the XML types (`xml`, `svg`).
 */
import { getMimeType, mimes } from 'hono/utils/mime';

const TYPES: Record<string, string> = {
  ...mimes,
  // Markdown (RFC 7763), both extensions in use.
  md: 'text/markdown; charset=utf-8',
  markdown: 'text/markdown; charset=utf-8',
};

/** The media type for a file name or path; `application/octet-stream` when the extension is unknown. */
export function contentTypeFor(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return getMimeType(name, TYPES) ?? 'application/octet-stream';
}
