/**
 * Range requests (RFC 9110 §14): parsing `Range: bytes=…`, resolving it against the length of
 * the selected representation, coalescing, and the one limit on parts.
 */

/** An inclusive byte range, as in `Content-Range: bytes start-end/length`. */
export interface ByteRange {
  start: number;
  end: number;
}

/** One range-spec as written: `first-last`, `first-` (last null) or `-suffix` (§14.1.1). */
export type RangeSpec = { kind: 'int'; first: number; last: number | null } | { kind: 'suffix'; length: number };

/**
 * At most this many parts (after coalescing) are answered; past it the Range header is
 * ignored and the whole representation is sent (200), as §14.2 allows for "a set of many small
 * ranges". A 200 is chosen over a 416 because it is always a correct answer that every client
 * understands (a 416 would break a legitimate client that asks for many pieces), and it costs
 * no more than a plain GET of the same object: coalescing already stops a client from making
 * the server repeat bytes.
 */
export const MAX_RANGE_PARTS = 16;

/**
 * What to do with a Range header for a representation of known length:
 * - `ignore`: answer 200 with the whole representation (§14.2: an invalid ranges-specifier,
 *   a unit other than `bytes`, an empty representation, or more than the allowed parts);
 * - `unsatisfiable`: 416 with `Content-Range: bytes *\/length` (§15.5.17);
 * - `satisfiable`: 206 with these ranges (one part, or multipart/byteranges for several).
 */
export type RangeDecision =
  | { kind: 'ignore'; reason: 'invalid' | 'unit' | 'empty-representation' | 'too-many-parts' }
  | { kind: 'unsatisfiable' }
  | { kind: 'satisfiable'; ranges: ByteRange[] };

const trimOws = (s: string): string => s.replace(/^[ \t]+|[ \t]+$/g, '');
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses a Range field value (§14.2: `range-unit "=" range-set`). Returns its unit
 * (lower-cased: units are case-insensitive, §14.1) and, for `bytes`, its range-specs; null when
 * the value is not a valid ranges-specifier (no `=`, a bad spec, `last < first` (§14.1.1), an
 * empty set). Empty list elements are skipped (RFC 9110 §5.6.1.2).
 */
export function parseRangeHeader(value: string): { unit: string; specs: RangeSpec[] } | null {
  const eq = value.indexOf('=');
  if (eq === -1) return null;
  const unit = trimOws(value.slice(0, eq)).toLowerCase();
  if (!TOKEN.test(unit)) return null;
  if (unit !== 'bytes') return { unit, specs: [] };
  const specs: RangeSpec[] = [];
  for (const element of value.slice(eq + 1).split(',')) {
    const spec = trimOws(element);
    if (spec === '') continue;
    const m = /^([0-9]*)-([0-9]*)$/.exec(spec);
    if (!m) return null;
    const [first, last] = [m[1] ?? '', m[2] ?? ''];
    if (first === '') {
      if (last === '') return null;
      specs.push({ kind: 'suffix', length: Number(last) });
    } else {
      const int: RangeSpec = { kind: 'int', first: Number(first), last: last === '' ? null : Number(last) };
      if (int.last !== null && int.last < int.first) return null;
      specs.push(int);
    }
  }
  return specs.length === 0 ? null : { unit, specs };
}

/**
 * Merges ranges that overlap or touch (§15.3.7.2 lets a server coalesce them, whatever their
 * order): the result is ascending. Ranges that neither overlap nor touch keep the order they
 * were asked in (the §14.6 SHOULD).
 */
export function coalesceRanges(ranges: readonly ByteRange[]): ByteRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start || a.end - b.end);
  const touching = sorted.some((r, i) => i > 0 && r.start <= (sorted[i - 1]?.end ?? -2) + 1);
  if (!touching) return ranges.map((r) => ({ ...r }));
  const merged: ByteRange[] = [];
  for (const r of sorted) {
    const top = merged[merged.length - 1];
    if (top && r.start <= top.end + 1) top.end = Math.max(top.end, r.end);
    else merged.push({ ...r });
  }
  return merged;
}

/**
 * Resolves a Range field value against a representation of `length` bytes (§14.1.2):
 * unsatisfiable specs are dropped (an int-range starting at or past the end, a zero-length
 * suffix); the rest are clamped to the representation, coalesced, and limited to `maxParts`.
 *
 * An empty representation: `bytes=0-` is unsatisfiable (416), but a non-zero suffix such as
 * `bytes=-5` is satisfiable by the letter of §14.1.2 ("the only satisfiable form") while no
 * Content-Range can describe zero bytes; §14.2 lets a server ignore Range when the
 * representation has no content, so it is ignored (200 with the empty body), never a 206.
 */
export function evaluateRange(value: string, length: number, options: { maxParts?: number } = {}): RangeDecision {
  const parsed = parseRangeHeader(value);
  if (parsed === null) return { kind: 'ignore', reason: 'invalid' };
  if (parsed.unit !== 'bytes') return { kind: 'ignore', reason: 'unit' };
  const ranges: ByteRange[] = [];
  for (const spec of parsed.specs) {
    if (spec.kind === 'suffix') {
      if (spec.length === 0) continue;
      if (length === 0) return { kind: 'ignore', reason: 'empty-representation' };
      ranges.push({ start: Math.max(0, length - spec.length), end: length - 1 });
    } else if (spec.first < length) {
      ranges.push({ start: spec.first, end: spec.last === null ? length - 1 : Math.min(spec.last, length - 1) });
    }
  }
  if (ranges.length === 0) return { kind: 'unsatisfiable' };
  const parts = coalesceRanges(ranges);
  if (parts.length > (options.maxParts ?? MAX_RANGE_PARTS)) return { kind: 'ignore', reason: 'too-many-parts' };
  return { kind: 'satisfiable', ranges: parts };
}

/** `Content-Range` of one satisfied range (§14.4): `bytes 0-4/26`. */
export function contentRange(range: ByteRange, length: number): string {
  return `bytes ${range.start}-${range.end}/${length}`;
}

/** `Content-Range` of a 416 (§14.4, §15.5.17): `bytes *\/26`. */
export function unsatisfiedContentRange(length: number): string {
  return `bytes */${length}`;
}
