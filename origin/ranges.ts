/**
 * Range requests, RFC 9110 §14: parsing `Range: bytes=...` against a representation length,
 * and the layout of a `multipart/byteranges` body (§14.6). Pure functions, no I/O.
 */

/** An inclusive byte range, as in `Content-Range: bytes start-end/size`. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The outcome of a `Range` header:
 * - `ignore`: absent, not `bytes`, malformed or too many ranges: answer 200 with the whole body;
 * - `unsatisfiable`: 416 with `Content-Range: bytes *\/size` (§15.5.17);
 * - `ranges`: 206 with one part, or `multipart/byteranges` for several.
 */
export type RangeOutcome = { kind: 'ignore' } | { kind: 'unsatisfiable' } | { kind: 'ranges'; ranges: ByteRange[] };

/** Above this many ranges the header is ignored (§14.2 allows ignoring abusive ones). */
export const MAX_RANGES = 64;

/** Parses `Range` for a representation of `size` bytes (§14.1.1, §14.1.2). */
export function parseRange(header: string | null, size: number): RangeOutcome {
  if (header === null) return { kind: 'ignore' };
  const eq = header.indexOf('=');
  if (eq === -1) return { kind: 'ignore' };
  // Range units are case-insensitive (§14.1).
  if (header.slice(0, eq).trim().toLowerCase() !== 'bytes') return { kind: 'ignore' };
  // A list may carry empty elements, which recipients ignore (§5.6.1.2).
  const specs = header
    .slice(eq + 1)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (specs.length === 0 || specs.length > MAX_RANGES) return { kind: 'ignore' };
  const satisfiable: ByteRange[] = [];
  for (const spec of specs) {
    const m = /^(\d*)-(\d*)$/.exec(spec);
    if (!m) return { kind: 'ignore' };
    const first = m[1] ?? '';
    const last = m[2] ?? '';
    if (first === '') {
      // suffix-range: the last N bytes; satisfiable when N > 0 and the body is not empty.
      if (last === '') return { kind: 'ignore' };
      const n = Number(last);
      if (n > 0 && size > 0) satisfiable.push({ start: Math.max(0, size - n), end: size - 1 });
      continue;
    }
    const start = Number(first);
    const end = last === '' ? Infinity : Number(last);
    // last-pos < first-pos makes the whole header invalid (§14.1.1).
    if (end < start) return { kind: 'ignore' };
    if (start < size) satisfiable.push({ start, end: Math.min(end, size - 1) });
  }
  if (satisfiable.length === 0) return { kind: 'unsatisfiable' };
  return { kind: 'ranges', ranges: coalesceOverlapping(satisfiable) };
}

/**
 * Overlapping ranges are merged (in ascending order) so a client cannot make the server send
 * the same bytes many times (§14.2); ranges that do not overlap keep the requested order.
 */
export function coalesceOverlapping(ranges: ByteRange[]): ByteRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  let overlaps = false;
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    const cur = sorted[i];
    if (prev && cur && cur.start <= prev.end) overlaps = true;
  }
  if (!overlaps) return ranges;
  const merged: ByteRange[] = [];
  for (const r of sorted) {
    const top = merged[merged.length - 1];
    if (top && r.start <= top.end + 1) top.end = Math.max(top.end, r.end);
    else merged.push({ ...r });
  }
  return merged;
}

/** `Content-Range` value for one satisfied range (§14.4). */
export function contentRange(r: ByteRange, size: number): string {
  return `bytes ${r.start}-${r.end}/${size}`;
}

/** One part of a multipart/byteranges body: its header block, then bytes start..end. */
export interface MultipartPart {
  head: string;
  range: ByteRange;
}

/** The full layout of a multipart/byteranges body and its exact length. */
export interface MultipartLayout {
  parts: MultipartPart[];
  tail: string;
  length: number;
}

/** Lays out a `multipart/byteranges` body (§14.6) so Content-Length is known before sending. */
export function multipartLayout(ranges: ByteRange[], size: number, contentType: string, boundary: string): MultipartLayout {
  const parts = ranges.map((range, i) => ({
    head: `${i === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Type: ${contentType}\r\nContent-Range: ${contentRange(range, size)}\r\n\r\n`,
    range,
  }));
  const tail = `\r\n--${boundary}--\r\n`;
  let length = Buffer.byteLength(tail);
  for (const p of parts) length += Buffer.byteLength(p.head) + p.range.end - p.range.start + 1;
  return { parts, tail, length };
}
