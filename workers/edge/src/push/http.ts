/**
 * Conditional requests and byte ranges for pushed files (RFC 9110 §13, §14). Pure: unit-tested
 * directly; the ETag of a pushed file is its SHA-256 in quotes.
 */
import type { FileEntry } from '@pushpull/contracts/push';

function etagMatches(header: string, sha256: string): boolean {
  if (header.trim() === '*') return true;
  // Weak comparison (RFC 9110 §8.8.3.2): W/ prefixes are ignored.
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === `"${sha256}"`);
}

/** Whether the request's validators say the client's copy is current (RFC 9110 §13.1.2, §13.1.3). */
export function notModified(request: Request, entry: FileEntry): boolean {
  const inm = request.headers.get('if-none-match');
  if (inm !== null) return etagMatches(inm, entry.sha256);
  const ims = request.headers.get('if-modified-since');
  if (ims !== null) {
    const since = Date.parse(ims);
    return Number.isFinite(since) && Math.floor(entry.modifiedAt / 1000) * 1000 <= since;
  }
  return false;
}

/** A single byte range, resolved against the size; 'unsatisfiable' or null (serve whole). */
export function parseRange(header: string | null, size: number): { offset: number; length: number } | 'unsatisfiable' | null {
  if (header === null) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null; // unsupported or multi-range: whole body (RFC 9110 §14.2)
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    const length = Math.min(suffix, size);
    return size === 0 ? 'unsatisfiable' : { offset: size - length, length };
  }
  const first = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < first) return null;
  if (first >= size) return 'unsatisfiable';
  return { offset: first, length: last - first + 1 };
}
