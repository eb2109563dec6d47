/**
 * Conditional requests, RFC 9110 §13: entity-tag comparison and the evaluation order of
 * §13.2.2, as pure functions over the request headers and the representation's validators.
 */

/** The validators of the selected representation. */
export interface Validators {
  /** A strong entity-tag, quoted (`"abc"`). */
  etag: string;
  /** Last modification time, whole seconds (HTTP-dates have no sub-second part). */
  lastModifiedSec: number;
}

/** The request headers that take part in §13.2.2. */
export interface ConditionalHeaders {
  ifMatch: string | null;
  ifNoneMatch: string | null;
  ifModifiedSince: string | null;
  ifUnmodifiedSince: string | null;
}

/** What to answer before looking at `Range`: go on (`proceed`), 304 or 412. */
export type Precondition = 'proceed' | 'not-modified' | 'failed';

interface EntityTag {
  weak: boolean;
  opaque: string;
}

// RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE
const ENTITY_TAG = /^(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"$/;

/** Parses one entity-tag, or null when it is malformed. */
export function parseEntityTag(value: string): EntityTag | null {
  const m = ENTITY_TAG.exec(value.trim());
  if (!m) return null;
  return { weak: m[1] !== undefined, opaque: m[2] ?? '' };
}

/**
 * Parses an `If-Match`/`If-None-Match` list. Returns `'*'` for the wildcard, else the tags
 * (malformed members are dropped: they can never match).
 */
export function parseEntityTagList(value: string): '*' | EntityTag[] {
  if (value.trim() === '*') return '*';
  const tags: EntityTag[] = [];
  // Commas may appear inside an opaque-tag, so scan tag by tag instead of splitting.
  let i = 0;
  while (i < value.length) {
    const ch = value.charAt(i);
    if (ch === ' ' || ch === '\t' || ch === ',') {
      i++;
      continue;
    }
    const weak = value.startsWith('W/"', i);
    const open = weak ? i + 2 : i;
    if (value.charAt(open) === '"') {
      const close = value.indexOf('"', open + 1);
      if (close === -1) break;
      const tag = parseEntityTag(value.slice(i, close + 1));
      if (tag) tags.push(tag);
      i = close + 1;
    } else {
      // Malformed member: skip it up to the next comma.
      const comma = value.indexOf(',', i);
      if (comma === -1) break;
      i = comma + 1;
    }
  }
  return tags;
}

/** RFC 9110 §8.8.3.2 strong comparison: both strong and the same opaque-tag. */
export function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.opaque === b.opaque;
}

/** RFC 9110 §8.8.3.2 weak comparison: same opaque-tag, weakness ignored. */
export function weakMatch(a: EntityTag, b: EntityTag): boolean {
  return a.opaque === b.opaque;
}

/** Parses an HTTP-date (RFC 9110 §5.6.7) into whole seconds; null when invalid. */
export function parseHttpDate(value: string): number | null {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return null;
  return Math.floor(ms / 1000);
}

/** Formats whole seconds as an IMF-fixdate. */
export function formatHttpDate(sec: number): string {
  return new Date(sec * 1000).toUTCString();
}

/**
 * RFC 9110 §13.2.2: evaluates the preconditions in order for a GET or HEAD of an existing
 * representation.
 */
export function evaluatePreconditions(h: ConditionalHeaders, v: Validators): Precondition {
  const current = parseEntityTag(v.etag);
  if (!current) throw new Error(`invalid entity-tag ${v.etag}`);
  // Step 1: If-Match, strong comparison (§13.1.1).
  if (h.ifMatch !== null) {
    const list = parseEntityTagList(h.ifMatch);
    if (list !== '*' && !list.some((t) => strongMatch(t, current))) return 'failed';
  } else if (h.ifUnmodifiedSince !== null) {
    // Step 2: If-Unmodified-Since only without If-Match; an invalid date is ignored (§13.1.4).
    const date = parseHttpDate(h.ifUnmodifiedSince);
    if (date !== null && v.lastModifiedSec > date) return 'failed';
  }
  // Step 3: If-None-Match, weak comparison (§13.1.2); for GET/HEAD a match is 304.
  if (h.ifNoneMatch !== null) {
    const list = parseEntityTagList(h.ifNoneMatch);
    if (list === '*' || list.some((t) => weakMatch(t, current))) return 'not-modified';
  } else if (h.ifModifiedSince !== null) {
    // Step 4: If-Modified-Since only without If-None-Match (§13.1.3).
    const date = parseHttpDate(h.ifModifiedSince);
    if (date !== null && v.lastModifiedSec <= date) return 'not-modified';
  }
  return 'proceed';
}

/**
 * RFC 9110 §13.1.5: whether `Range` may be honoured given `If-Range`. An entity-tag must match
 * strongly; a date must exactly equal Last-Modified. Absent `If-Range` always allows it.
 */
export function ifRangeAllows(ifRange: string | null, v: Validators): boolean {
  if (ifRange === null) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) {
    const tag = parseEntityTag(value);
    const current = parseEntityTag(v.etag);
    return tag !== null && current !== null && strongMatch(tag, current);
  }
  const date = parseHttpDate(value);
  return date !== null && date === v.lastModifiedSec;
}
