/**
 * Conditional requests (RFC 9110 §13): If-Match, If-None-Match, If-Modified-Since,
 * If-Unmodified-Since and If-Range, evaluated in the order of §13.2.2 against the selected
 * representation's validators.
 */
import { parseEntityTag, parseEntityTagList, strongCompare, weakCompare, type EntityTag } from './entity-tag';
import { parseHttpDate } from './http-date';

/** The request fields that take part in §13.2.2 (field values as received, null when absent). */
export interface ConditionalFields {
  ifMatch: string | null;
  ifNoneMatch: string | null;
  ifModifiedSince: string | null;
  ifUnmodifiedSince: string | null;
  ifRange: string | null;
  range: string | null;
}

/** Reads the {@link ConditionalFields} of a request (several field lines arrive comma-joined). */
export function conditionalFields(headers: Headers): ConditionalFields {
  return {
    ifMatch: headers.get('if-match'),
    ifNoneMatch: headers.get('if-none-match'),
    ifModifiedSince: headers.get('if-modified-since'),
    ifUnmodifiedSince: headers.get('if-unmodified-since'),
    ifRange: headers.get('if-range'),
    range: headers.get('range'),
  };
}

/** The validators of the selected representation. */
export interface Validators {
  /** The ETag field value (`"abc"` or `W/"abc"`), or null when there is none (or it is malformed). */
  etag: string | null;
  /** Last-Modified, ms since the epoch (compared at the one-second precision of HTTP-dates), or null. */
  lastModified: number | null;
  /**
   * The Date of the response the validators came with (ms). When given, a Last-Modified less
   * than one second before it is weak (RFC 9110 §8.8.2.2) and cannot satisfy an If-Range date
   * (§13.1.5). A cache passes its stored response's Date; an origin with reliable modification
   * times may leave it out, or pass now so a file changed this very second is not trusted.
   */
  date?: number;
}

/**
 * What §13.2.2 decides before the method is performed: go on (and whether `Range` applies,
 * step 5), answer 304 (Not Modified), or answer 412 (Precondition Failed).
 */
export type Precondition = { kind: 'proceed'; rangeApplies: boolean } | { kind: 'not-modified' } | { kind: 'precondition-failed' };

/** Methods for which preconditions are ignored (RFC 9110 §13.2.1). */
const NO_PRECONDITIONS = new Set(['CONNECT', 'OPTIONS', 'TRACE']);

const seconds = (ms: number): number => Math.floor(ms / 1000);

function currentTag(v: Validators): EntityTag | null {
  return v.etag === null ? null : parseEntityTag(v.etag);
}

/** RFC 9110 §13.1.5: whether an If-Range value matches the selected representation. */
export function ifRangeMatches(ifRange: string, current: Validators): boolean {
  const value = ifRange.replace(/^[ \t]+|[ \t]+$/g, '');
  if (value.startsWith('"') || value.startsWith('W/')) {
    // An entity-tag: strong comparison, so a weak tag on either side never matches.
    const tag = parseEntityTag(value);
    const mine = currentTag(current);
    return tag !== null && mine !== null && strongCompare(tag, mine);
  }
  // An HTTP-date: it must be the representation's Last-Modified exactly, and a strong validator.
  const date = parseHttpDate(value);
  if (date === null || current.lastModified === null) return false;
  if (current.date !== undefined && seconds(current.date) - seconds(current.lastModified) < 1) return false;
  return seconds(date) === seconds(current.lastModified);
}

/**
 * Evaluates the preconditions of a request in the order of RFC 9110 §13.2.2:
 * 1. If-Match (strong comparison, §13.1.1): false → 412;
 * 2. else If-Unmodified-Since (§13.1.4, ignored when invalid or without Last-Modified): modified since → 412;
 * 3. If-None-Match (weak comparison, §13.1.2): a match → 304 for GET/HEAD, 412 otherwise;
 * 4. else, for GET/HEAD, If-Modified-Since (§13.1.3, ignored when invalid or without Last-Modified): not modified → 304;
 * 5. for GET with Range: If-Range (§13.1.5) decides whether Range applies (`rangeApplies`).
 *
 * `current` is the selected representation's validators, or null when the target has no
 * current representation (then `If-Match` fails, `If-None-Match: *` passes). The caller
 * evaluates preconditions only when the response without them would be a 2xx or 412
 * (§13.2.1); CONNECT, OPTIONS and TRACE ignore them.
 */
export function evaluatePreconditions(method: string, fields: ConditionalFields, current: Validators | null): Precondition {
  const safe = method === 'GET' || method === 'HEAD';
  const rangeAsked = method === 'GET' && fields.range !== null;
  if (NO_PRECONDITIONS.has(method)) return { kind: 'proceed', rangeApplies: false };
  const mine = current === null ? null : currentTag(current);
  const lastModified = current?.lastModified ?? null;

  // Step 1.
  if (fields.ifMatch !== null) {
    const list = parseEntityTagList(fields.ifMatch);
    const holds = list === '*' ? current !== null : mine !== null && list.some((t) => strongCompare(t, mine));
    if (!holds) return { kind: 'precondition-failed' };
  } else if (fields.ifUnmodifiedSince !== null && lastModified !== null) {
    // Step 2.
    const date = parseHttpDate(fields.ifUnmodifiedSince);
    if (date !== null && seconds(lastModified) > seconds(date)) return { kind: 'precondition-failed' };
  }

  // Step 3.
  if (fields.ifNoneMatch !== null) {
    const list = parseEntityTagList(fields.ifNoneMatch);
    const matches = list === '*' ? current !== null : mine !== null && list.some((t) => weakCompare(t, mine));
    if (matches) return safe ? { kind: 'not-modified' } : { kind: 'precondition-failed' };
  } else if (safe && fields.ifModifiedSince !== null && lastModified !== null) {
    // Step 4.
    const date = parseHttpDate(fields.ifModifiedSince);
    if (date !== null && seconds(lastModified) <= seconds(date)) return { kind: 'not-modified' };
  }

  // Step 5.
  if (!rangeAsked || current === null) return { kind: 'proceed', rangeApplies: false };
  if (fields.ifRange === null) return { kind: 'proceed', rangeApplies: true };
  return { kind: 'proceed', rangeApplies: ifRangeMatches(fields.ifRange, current) };
}
