/**
 * The cases table: one request for one stored representation, and the status, fields and body
 * RFC 9110 asks for. It is data, replayed twice: against this module (cases.test.ts) and over
 * real HTTP against the Node origin, the edge cache and the push store
 * (test/http-semantics/replay.test.ts).
 *
 * Field values in requests and expectations may hold tokens the replaying harness fills in from
 * the representation as the server under test serves it (its own ETag and Last-Modified):
 * - `{etag}`: the ETag as served; `{etag:weak}`: the same tag marked weak; `{etag:opaque}`: its
 *   opaque-tag without quotes (a malformed entity-tag);
 * - `{lm}`, `{lm-1}`, `{lm+86400}`: Last-Modified, shifted by whole seconds, as an IMF-fixdate;
 *   `{lm:rfc850}` … in another spelling (see {@link DATE_SPELLINGS});
 * - `{size}`: the representation's length in bytes.
 */
import { formatHttpDate } from './http-date';

/** A representation every server under test holds (under the file name, so types agree). */
export interface Fixture {
  /** File name; `.txt` everywhere, so every server derives the same type. */
  name: string;
  /** ASCII only, so bytes and characters are the same. */
  body: string;
  contentType: string;
  /** The validators it carries; only servers that let the test choose them hold `weak`/`none`. */
  etag: 'strong' | 'weak' | 'none';
  lastModified: boolean;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const TEXT = 'text/plain; charset=utf-8';

/** The representations the cases are asked of. */
export const FIXTURES = {
  letters: { name: 'letters.txt', body: LETTERS, contentType: TEXT, etag: 'strong', lastModified: true },
  empty: { name: 'empty.txt', body: '', contentType: TEXT, etag: 'strong', lastModified: true },
  digits: { name: 'digits.txt', body: '0123456789'.repeat(10), contentType: TEXT, etag: 'strong', lastModified: true },
  weak: { name: 'weak.txt', body: LETTERS, contentType: TEXT, etag: 'weak', lastModified: true },
  unvalidated: { name: 'unvalidated.txt', body: LETTERS, contentType: TEXT, etag: 'none', lastModified: false },
} as const satisfies Record<string, Fixture>;

type FixtureName = keyof typeof FIXTURES;

/** What the response must show: a field's exact value, its absence (null), or a prefix. */
type FieldExpectation = string | null | { prefix: string };

/** The expected body: exact text, a JSON error `{error}`, or multipart/byteranges parts in order. */
export type BodyExpectation = string | { error: string } | { multipart: ReadonlyArray<{ contentRange: string; body: string }> };

/** One row of the table. */
export interface SemanticsCase {
  /** Stable kebab-case name (known-failure lists refer to it). */
  id: string;
  rfc: string;
  behaviour: string;
  fixture: FixtureName;
  request: { method: 'GET' | 'HEAD'; headers?: Readonly<Record<string, string>> };
  expect: { status: number; headers?: Readonly<Record<string, FieldExpectation>>; body?: BodyExpectation };
}

const full = (fixture: Fixture = FIXTURES.letters): SemanticsCase['expect'] => ({
  status: 200,
  headers: { 'content-length': '{size}', 'accept-ranges': 'bytes', 'content-range': null },
  body: fixture.body,
});
const notModified: SemanticsCase['expect'] = {
  status: 304,
  headers: { etag: '{etag}', 'content-type': null, 'content-range': null },
  body: '',
};
const failed: SemanticsCase['expect'] = { status: 412, body: { error: 'precondition_failed' } };
const partial = (start: number, end: number, size = 26, body = LETTERS): SemanticsCase['expect'] => ({
  status: 206,
  headers: { 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': String(end - start + 1) },
  body: body.slice(start, end + 1),
});
const unsatisfiable = (size: number): SemanticsCase['expect'] => ({
  status: 416,
  headers: { 'content-range': `bytes */${size}` },
  body: { error: 'range_not_satisfiable' },
});
const multipart = (ranges: ReadonlyArray<readonly [number, number]>, size = 26, body = LETTERS): SemanticsCase['expect'] => ({
  status: 206,
  headers: { 'content-type': { prefix: 'multipart/byteranges; boundary=' }, 'content-range': null },
  body: { multipart: ranges.map(([s, e]) => ({ contentRange: `bytes ${s}-${e}/${size}`, body: body.slice(s, e + 1) })) },
});
const get = (headers: Record<string, string> = {}): SemanticsCase['request'] => ({ method: 'GET', headers });
const head = (headers: Record<string, string> = {}): SemanticsCase['request'] => ({ method: 'HEAD', headers });
/** `bytes=0-0,2-2,…`: n one-byte ranges with a gap between each, so none coalesce. */
const spaced = (n: number): string => `bytes=${Array.from({ length: n }, (_, i) => `${2 * i}-${2 * i}`).join(',')}`;
const DIGITS = FIXTURES.digits.body;

/** The table. */
export const CASES: readonly SemanticsCase[] = [
  // Plain GET and HEAD.
  {
    id: 'get-full',
    rfc: '9110 §9.3.1',
    behaviour: 'GET answers 200 with the whole representation and its length',
    fixture: 'letters',
    request: get(),
    expect: { ...full(), headers: { ...full().headers, etag: '{etag}', 'content-type': TEXT } },
  },
  {
    id: 'head-full',
    rfc: '9110 §9.3.2',
    behaviour: 'HEAD answers the GET fields (Content-Length included) without a body',
    fixture: 'letters',
    request: head(),
    expect: { status: 200, headers: { 'content-length': '{size}', etag: '{etag}' }, body: '' },
  },
  {
    id: 'get-empty',
    rfc: '9110 §8.6',
    behaviour: 'an empty representation is 200 with Content-Length: 0',
    fixture: 'empty',
    request: get(),
    expect: { status: 200, headers: { 'content-length': '0' }, body: '' },
  },

  // If-None-Match (§13.1.2): weak comparison; 304 for GET/HEAD.
  {
    id: 'inm-match',
    rfc: '9110 §13.1.2',
    behaviour: 'If-None-Match naming the ETag answers 304 without representation metadata',
    fixture: 'letters',
    request: get({ 'if-none-match': '{etag}' }),
    expect: notModified,
  },
  {
    id: 'inm-weak-form',
    rfc: '9110 §8.8.3.2',
    behaviour: 'If-None-Match uses weak comparison: W/ of the strong ETag matches',
    fixture: 'letters',
    request: get({ 'if-none-match': '{etag:weak}' }),
    expect: notModified,
  },
  {
    id: 'inm-list',
    rfc: '9110 §13.1.2',
    behaviour: 'If-None-Match with a list matches any member',
    fixture: 'letters',
    request: get({ 'if-none-match': '"other", {etag}' }),
    expect: notModified,
  },
  {
    id: 'inm-other',
    rfc: '9110 §13.1.2',
    behaviour: 'If-None-Match naming another tag answers 200',
    fixture: 'letters',
    request: get({ 'if-none-match': '"other"' }),
    expect: full(),
  },
  {
    id: 'inm-star',
    rfc: '9110 §13.1.2',
    behaviour: 'If-None-Match: * matches any current representation',
    fixture: 'letters',
    request: get({ 'if-none-match': '*' }),
    expect: notModified,
  },
  {
    id: 'inm-head',
    rfc: '9110 §13.1.2',
    behaviour: 'HEAD with a matching If-None-Match answers 304',
    fixture: 'letters',
    request: head({ 'if-none-match': '{etag}' }),
    expect: notModified,
  },
  {
    id: 'inm-unquoted',
    rfc: '9110 §8.8.3',
    behaviour: 'an unquoted entity-tag is malformed and matches nothing',
    fixture: 'letters',
    request: get({ 'if-none-match': '{etag:opaque}' }),
    expect: full(),
  },
  {
    id: 'inm-beats-ims',
    rfc: '9110 §13.2.2',
    behaviour: 'with If-None-Match, If-Modified-Since is ignored (a match is still 304)',
    fixture: 'letters',
    request: get({ 'if-none-match': '{etag}', 'if-modified-since': '{lm-1}' }),
    expect: notModified,
  },
  {
    id: 'inm-miss-ignores-ims',
    rfc: '9110 §13.1.3',
    behaviour: 'with If-None-Match, If-Modified-Since is ignored (no match is 200)',
    fixture: 'letters',
    request: get({ 'if-none-match': '"other"', 'if-modified-since': '{lm}' }),
    expect: full(),
  },
  {
    id: 'inm-weak-representation',
    rfc: '9110 §8.8.3.2',
    behaviour: 'a weak ETag matches If-None-Match by weak comparison',
    fixture: 'weak',
    request: get({ 'if-none-match': '{etag}' }),
    expect: notModified,
  },

  // If-Modified-Since (§13.1.3) and the three HTTP-date spellings (§5.6.7).
  {
    id: 'ims-equal',
    rfc: '9110 §13.1.3',
    behaviour: 'If-Modified-Since equal to Last-Modified answers 304',
    fixture: 'letters',
    request: get({ 'if-modified-since': '{lm}' }),
    expect: notModified,
  },
  {
    id: 'ims-later',
    rfc: '9110 §13.1.3',
    behaviour: 'If-Modified-Since after Last-Modified answers 304',
    fixture: 'letters',
    request: get({ 'if-modified-since': '{lm+86400}' }),
    expect: notModified,
  },
  {
    id: 'ims-earlier',
    rfc: '9110 §13.1.3',
    behaviour: 'If-Modified-Since before Last-Modified answers 200',
    fixture: 'letters',
    request: get({ 'if-modified-since': '{lm-1}' }),
    expect: full(),
  },
  {
    id: 'ims-rfc850',
    rfc: '9110 §5.6.7',
    behaviour: 'an RFC 850 date is understood',
    fixture: 'letters',
    request: get({ 'if-modified-since': '{lm:rfc850}' }),
    expect: notModified,
  },
  {
    id: 'ims-asctime',
    rfc: '9110 §5.6.7',
    behaviour: 'an asctime date is understood',
    fixture: 'letters',
    request: get({ 'if-modified-since': '{lm:asctime}' }),
    expect: notModified,
  },
  {
    id: 'ims-invalid-utc',
    rfc: '9110 §5.6.7, §13.1.3',
    behaviour: 'a date with UTC instead of GMT is invalid, so If-Modified-Since is ignored',
    fixture: 'letters',
    request: get({ 'if-modified-since': '{lm+86400:utc}' }),
    expect: full(),
  },
  {
    id: 'ims-invalid-no-comma',
    rfc: '9110 §5.6.7, §13.1.3',
    behaviour: 'a date without the comma is invalid, so If-Modified-Since is ignored',
    fixture: 'letters',
    request: get({ 'if-modified-since': '{lm+86400:no-comma}' }),
    expect: full(),
  },
  {
    id: 'ims-invalid-dashes',
    rfc: '9110 §5.6.7, §13.1.3',
    behaviour: 'an IMF-fixdate with dashes is invalid, so If-Modified-Since is ignored',
    fixture: 'letters',
    request: get({ 'if-modified-since': '{lm+86400:dashes}' }),
    expect: full(),
  },
  {
    id: 'ims-invalid-spaces',
    rfc: '9110 §5.6.7, §13.1.3',
    behaviour: 'a date with two spaces is invalid, so If-Modified-Since is ignored',
    fixture: 'letters',
    request: get({ 'if-modified-since': '{lm+86400:double-space}' }),
    expect: full(),
  },
  {
    id: 'ims-invalid-lowercase',
    rfc: '9110 §5.6.7, §13.1.3',
    behaviour: 'HTTP-date is case-sensitive: a lower-case date is ignored',
    fixture: 'letters',
    request: get({ 'if-modified-since': '{lm+86400:lowercase}' }),
    expect: full(),
  },
  {
    id: 'ims-two-members',
    rfc: '9110 §13.1.3',
    behaviour: 'an If-Modified-Since with more than one member is ignored',
    fixture: 'letters',
    request: get({ 'if-modified-since': '{lm}, {lm}' }),
    expect: full(),
  },
  {
    id: 'ims-without-last-modified',
    rfc: '9110 §13.1.3',
    behaviour: 'If-Modified-Since is ignored when the representation has no Last-Modified',
    fixture: 'unvalidated',
    request: get({ 'if-modified-since': 'Fri, 01 Jan 2100 00:00:00 GMT' }),
    expect: full(),
  },

  // If-Match (§13.1.1, strong comparison) and If-Unmodified-Since (§13.1.4).
  {
    id: 'im-match',
    rfc: '9110 §13.1.1',
    behaviour: 'If-Match naming the ETag proceeds',
    fixture: 'letters',
    request: get({ 'if-match': '{etag}' }),
    expect: full(),
  },
  {
    id: 'im-star',
    rfc: '9110 §13.1.1',
    behaviour: 'If-Match: * proceeds when a representation exists',
    fixture: 'letters',
    request: get({ 'if-match': '*' }),
    expect: full(),
  },
  {
    id: 'im-other',
    rfc: '9110 §13.1.1',
    behaviour: 'If-Match naming another tag answers 412',
    fixture: 'letters',
    request: get({ 'if-match': '"other"' }),
    expect: failed,
  },
  {
    id: 'im-weak-form',
    rfc: '9110 §13.1.1',
    behaviour: 'If-Match uses strong comparison: a W/ tag never matches',
    fixture: 'letters',
    request: get({ 'if-match': '{etag:weak}' }),
    expect: failed,
  },
  {
    id: 'im-list',
    rfc: '9110 §13.1.1',
    behaviour: 'If-Match with a list holds when any member matches',
    fixture: 'letters',
    request: get({ 'if-match': '"other", {etag}' }),
    expect: full(),
  },
  {
    id: 'im-weak-representation',
    rfc: '9110 §13.1.1',
    behaviour: 'a weak ETag never satisfies If-Match',
    fixture: 'weak',
    request: get({ 'if-match': '{etag}' }),
    expect: failed,
  },
  {
    id: 'im-head',
    rfc: '9110 §13.1.1',
    behaviour: 'HEAD with a failing If-Match answers 412',
    fixture: 'letters',
    request: head({ 'if-match': '"other"' }),
    expect: { status: 412 },
  },
  {
    id: 'ius-equal',
    rfc: '9110 §13.1.4',
    behaviour: 'If-Unmodified-Since equal to Last-Modified proceeds',
    fixture: 'letters',
    request: get({ 'if-unmodified-since': '{lm}' }),
    expect: full(),
  },
  {
    id: 'ius-earlier',
    rfc: '9110 §13.1.4',
    behaviour: 'If-Unmodified-Since before Last-Modified answers 412',
    fixture: 'letters',
    request: get({ 'if-unmodified-since': '{lm-1}' }),
    expect: failed,
  },
  {
    id: 'ius-invalid',
    rfc: '9110 §13.1.4',
    behaviour: 'an invalid If-Unmodified-Since is ignored',
    fixture: 'letters',
    request: get({ 'if-unmodified-since': 'yesterday' }),
    expect: full(),
  },
  {
    id: 'ius-invalid-utc',
    rfc: '9110 §5.6.7, §13.1.4',
    behaviour: 'If-Unmodified-Since with UTC instead of GMT is invalid and ignored',
    fixture: 'letters',
    request: get({ 'if-unmodified-since': '{lm-86400:utc}' }),
    expect: full(),
  },
  {
    id: 'ius-rfc850',
    rfc: '9110 §5.6.7, §13.1.4',
    behaviour: 'If-Unmodified-Since in RFC 850 form is understood',
    fixture: 'letters',
    request: get({ 'if-unmodified-since': '{lm-86400:rfc850}' }),
    expect: failed,
  },
  {
    id: 'im-beats-ius',
    rfc: '9110 §13.2.2',
    behaviour: 'with If-Match, If-Unmodified-Since is ignored',
    fixture: 'letters',
    request: get({ 'if-match': '{etag}', 'if-unmodified-since': '{lm-1}' }),
    expect: full(),
  },
  {
    id: 'im-before-inm',
    rfc: '9110 §13.2.2',
    behaviour: 'a failing If-Match answers 412 even when If-None-Match matches',
    fixture: 'letters',
    request: get({ 'if-match': '"other"', 'if-none-match': '{etag}' }),
    expect: failed,
  },
  {
    id: 'ius-before-inm',
    rfc: '9110 §13.2.2',
    behaviour: 'a failing If-Unmodified-Since answers 412 before If-None-Match is looked at',
    fixture: 'letters',
    request: get({ 'if-unmodified-since': '{lm-1}', 'if-none-match': '{etag}' }),
    expect: failed,
  },
  {
    id: 'im-then-inm',
    rfc: '9110 §13.2.2',
    behaviour: 'a holding If-Match goes on to If-None-Match (304)',
    fixture: 'letters',
    request: get({ 'if-match': '{etag}', 'if-none-match': '{etag}' }),
    expect: notModified,
  },

  // Range (§14).
  {
    id: 'range-first-last',
    rfc: '9110 §14.1.2',
    behaviour: 'bytes=0-4 answers 206 with those five bytes',
    fixture: 'letters',
    request: get({ range: 'bytes=0-4' }),
    expect: partial(0, 4),
  },
  {
    id: 'range-open-ended',
    rfc: '9110 §14.1.2',
    behaviour: 'bytes=20- answers the rest',
    fixture: 'letters',
    request: get({ range: 'bytes=20-' }),
    expect: partial(20, 25),
  },
  {
    id: 'range-suffix',
    rfc: '9110 §14.1.2',
    behaviour: 'bytes=-3 answers the last three bytes',
    fixture: 'letters',
    request: get({ range: 'bytes=-3' }),
    expect: partial(23, 25),
  },
  {
    id: 'range-suffix-longer',
    rfc: '9110 §14.1.2',
    behaviour: 'a suffix longer than the representation answers all of it',
    fixture: 'letters',
    request: get({ range: 'bytes=-100' }),
    expect: partial(0, 25),
  },
  {
    id: 'range-past-end-clamped',
    rfc: '9110 §14.1.2',
    behaviour: 'a last-pos past the end is clamped',
    fixture: 'letters',
    request: get({ range: 'bytes=10-1000' }),
    expect: partial(10, 25),
  },
  {
    id: 'range-unit-case',
    rfc: '9110 §14.1',
    behaviour: 'range units are case-insensitive',
    fixture: 'letters',
    request: get({ range: 'Bytes=0-1' }),
    expect: partial(0, 1),
  },
  {
    id: 'range-start-at-end',
    rfc: '9110 §14.1.2, §15.5.17',
    behaviour: 'a first-pos at the length is unsatisfiable: 416 with bytes */length',
    fixture: 'letters',
    request: get({ range: 'bytes=26-' }),
    expect: unsatisfiable(26),
  },
  {
    id: 'range-suffix-zero',
    rfc: '9110 §14.1.2',
    behaviour: 'bytes=-0 is unsatisfiable',
    fixture: 'letters',
    request: get({ range: 'bytes=-0' }),
    expect: unsatisfiable(26),
  },
  {
    id: 'range-all-unsatisfiable',
    rfc: '9110 §15.5.17',
    behaviour: 'only ranges past the end: 416',
    fixture: 'letters',
    request: get({ range: 'bytes=30-40,50-60' }),
    expect: unsatisfiable(26),
  },
  {
    id: 'range-drops-unsatisfiable',
    rfc: '9110 §14.1.2',
    behaviour: 'an unsatisfiable member is dropped, the others answered',
    fixture: 'letters',
    request: get({ range: 'bytes=50-60,0-1' }),
    expect: partial(0, 1),
  },
  {
    id: 'range-reversed',
    rfc: '9110 §14.1.1, §14.2',
    behaviour: 'last-pos before first-pos makes the header invalid: ignored, 200',
    fixture: 'letters',
    request: get({ range: 'bytes=5-2' }),
    expect: full(),
  },
  {
    id: 'range-garbage',
    rfc: '9110 §14.2',
    behaviour: 'a malformed Range is ignored',
    fixture: 'letters',
    request: get({ range: 'bytes=abc' }),
    expect: full(),
  },
  {
    id: 'range-other-unit',
    rfc: '9110 §14.2',
    behaviour: 'an unknown range unit is ignored',
    fixture: 'letters',
    request: get({ range: 'items=0-1' }),
    expect: full(),
  },
  {
    id: 'range-on-head',
    rfc: '9110 §14.2',
    behaviour: 'Range is ignored on HEAD (defined for GET only)',
    fixture: 'letters',
    request: head({ range: 'bytes=0-1' }),
    expect: { status: 200, headers: { 'content-length': '{size}', 'content-range': null }, body: '' },
  },
  {
    id: 'range-multipart',
    rfc: '9110 §14.6',
    behaviour: 'two ranges answer multipart/byteranges, one part each',
    fixture: 'letters',
    request: get({ range: 'bytes=0-1,4-5' }),
    expect: multipart([
      [0, 1],
      [4, 5],
    ]),
  },
  {
    id: 'range-multipart-order',
    rfc: '9110 §14.6',
    behaviour: 'parts go in the order asked',
    fixture: 'letters',
    request: get({ range: 'bytes=20-21,0-1' }),
    expect: multipart([
      [20, 21],
      [0, 1],
    ]),
  },
  {
    id: 'range-overlapping-coalesced',
    rfc: '9110 §15.3.7.2',
    behaviour: 'overlapping ranges are coalesced into one part',
    fixture: 'letters',
    request: get({ range: 'bytes=0-4,2-8' }),
    expect: partial(0, 8),
  },
  {
    id: 'range-adjacent-coalesced',
    rfc: '9110 §15.3.7.2',
    behaviour: 'adjacent ranges are coalesced into one part',
    fixture: 'letters',
    request: get({ range: 'bytes=0-1,2-3' }),
    expect: partial(0, 3),
  },
  {
    id: 'range-repeated-coalesced',
    rfc: '9110 §14.2, §15.3.7.2',
    behaviour: 'sixteen times bytes=0- is one copy, never sixteen',
    fixture: 'letters',
    request: get({ range: `bytes=${Array(16).fill('0-').join(',')}` }),
    expect: partial(0, 25),
  },
  {
    id: 'range-parts-at-limit',
    rfc: '9110 §14.2',
    behaviour: 'sixteen separate ranges (the limit) are answered as sixteen parts',
    fixture: 'digits',
    request: get({ range: spaced(16) }),
    expect: multipart(
      Array.from({ length: 16 }, (_, i) => [2 * i, 2 * i] as const),
      100,
      DIGITS,
    ),
  },
  {
    id: 'range-parts-past-limit',
    rfc: '9110 §14.2',
    behaviour: 'seventeen separate ranges are ignored: the whole representation, 200',
    fixture: 'digits',
    request: get({ range: spaced(17) }),
    expect: full(FIXTURES.digits),
  },
  {
    id: 'range-empty-first-pos',
    rfc: '9110 §14.1.2',
    behaviour: 'bytes=0- of an empty representation is unsatisfiable: 416 bytes */0',
    fixture: 'empty',
    request: get({ range: 'bytes=0-' }),
    expect: unsatisfiable(0),
  },
  {
    id: 'range-empty-suffix',
    rfc: '9110 §14.1.2, §14.2',
    behaviour: 'bytes=-5 of an empty representation: Range ignored (200, empty), never 206 bytes 0--1/0',
    fixture: 'empty',
    request: get({ range: 'bytes=-5' }),
    expect: { status: 200, headers: { 'content-length': '0', 'content-range': null }, body: '' },
  },

  // If-Range (§13.1.5) and the order of §13.2.2 step 5.
  {
    id: 'if-range-etag',
    rfc: '9110 §13.1.5',
    behaviour: 'If-Range with the current ETag keeps the range',
    fixture: 'letters',
    request: get({ range: 'bytes=0-1', 'if-range': '{etag}' }),
    expect: partial(0, 1),
  },
  {
    id: 'if-range-other-etag',
    rfc: '9110 §13.1.5',
    behaviour: 'If-Range with another ETag answers the whole representation',
    fixture: 'letters',
    request: get({ range: 'bytes=0-1', 'if-range': '"other"' }),
    expect: full(),
  },
  {
    id: 'if-range-weak-form',
    rfc: '9110 §13.1.5',
    behaviour: 'If-Range compares strongly: a W/ tag answers the whole representation',
    fixture: 'letters',
    request: get({ range: 'bytes=0-1', 'if-range': '{etag:weak}' }),
    expect: full(),
  },
  {
    id: 'if-range-weak-representation',
    rfc: '9110 §13.1.5',
    behaviour: 'a weak ETag never satisfies If-Range',
    fixture: 'weak',
    request: get({ range: 'bytes=0-1', 'if-range': '{etag}' }),
    expect: full(),
  },
  {
    id: 'if-range-date',
    rfc: '9110 §13.1.5',
    behaviour: 'If-Range with the exact Last-Modified keeps the range',
    fixture: 'letters',
    request: get({ range: 'bytes=0-1', 'if-range': '{lm}' }),
    expect: partial(0, 1),
  },
  {
    id: 'if-range-other-date',
    rfc: '9110 §13.1.5',
    behaviour: 'If-Range with another date answers the whole representation',
    fixture: 'letters',
    request: get({ range: 'bytes=0-1', 'if-range': '{lm-1}' }),
    expect: full(),
  },
  {
    id: 'if-range-without-range',
    rfc: '9110 §13.1.5',
    behaviour: 'If-Range without Range is ignored',
    fixture: 'letters',
    request: get({ 'if-range': '"other"' }),
    expect: full(),
  },
  {
    id: 'if-range-no-validators',
    rfc: '9110 §13.1.5',
    behaviour: 'If-Range cannot hold for a representation without validators',
    fixture: 'unvalidated',
    request: get({ range: 'bytes=0-1', 'if-range': '"x"' }),
    expect: full(),
  },
  {
    id: 'range-after-inm',
    rfc: '9110 §13.2.2',
    behaviour: 'a matching If-None-Match answers 304 before Range is looked at',
    fixture: 'letters',
    request: get({ range: 'bytes=0-1', 'if-none-match': '{etag}' }),
    expect: notModified,
  },
  {
    id: 'range-after-ims',
    rfc: '9110 §13.2.2',
    behaviour: 'a holding If-Modified-Since answers 304 before Range is looked at',
    fixture: 'letters',
    request: get({ range: 'bytes=0-1', 'if-modified-since': '{lm}' }),
    expect: notModified,
  },
  {
    id: 'range-after-im',
    rfc: '9110 §13.2.2',
    behaviour: 'a failing If-Match answers 412 before Range is looked at',
    fixture: 'letters',
    request: get({ range: 'bytes=0-1', 'if-match': '"other"' }),
    expect: failed,
  },
];

/** The spellings `{lm:…}` can ask for: the three of §5.6.7, then invalid ones. */
export const DATE_SPELLINGS = [
  'imf',
  'rfc850',
  'asctime',
  'utc',
  'no-comma',
  'dashes',
  'double-space',
  'lowercase',
  'one-digit-hour',
] as const;
export type DateSpelling = (typeof DATE_SPELLINGS)[number];

const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** An instant spelled as asked; only `imf`, `rfc850` and `asctime` are valid HTTP-dates. */
export function spellDate(ms: number, spelling: DateSpelling): string {
  const imf = formatHttpDate(ms);
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  const [dayName = '', day = '', month = '', year = '', time = ''] = imf.replace(',', '').split(' ');
  switch (spelling) {
    case 'imf':
      return imf;
    case 'rfc850':
      return `${LONG_DAYS[new Date(ms).getUTCDay()]}, ${day}-${month}-${year.slice(2)} ${time} GMT`;
    case 'asctime':
      return `${dayName} ${month} ${day.replace(/^0/, ' ')} ${time} ${year}`;
    case 'utc':
      return imf.replace(/GMT$/, 'UTC');
    case 'no-comma':
      return imf.replace(',', '');
    case 'dashes':
      return `${dayName}, ${day}-${month}-${year} ${time} GMT`;
    case 'double-space':
      return imf.replace(' ', '  ');
    case 'lowercase':
      return imf.toLowerCase();
    case 'one-digit-hour': {
      if (!time.startsWith('0')) throw new RangeError(`${imf} has a two-digit hour`);
      return imf.replace(` ${time}`, ` ${time.slice(1)}`);
    }
  }
}

/** The facts a server's representation gives the tokens. */
export interface ServedFacts {
  etag: string | null;
  lastModified: number | null;
  size: number;
}

/** Fills the tokens of a field value (see the module comment); throws when a fact is missing. */
export function fillTokens(value: string, facts: ServedFacts): string {
  return value.replace(
    /\{([a-z]+)([+-]\d+)?(?::([a-z0-9-]+))?\}/g,
    (token, name: string, shift: string | undefined, variant: string | undefined) => {
      if (name === 'size') return String(facts.size);
      if (name === 'etag') {
        if (facts.etag === null) throw new Error(`${token}: the representation has no ETag`);
        const opaque = facts.etag.replace(/^W\//, '');
        if (variant === undefined) return facts.etag;
        if (variant === 'weak') return `W/${opaque}`;
        if (variant === 'opaque') return opaque.slice(1, -1);
        throw new Error(`unknown token ${token}`);
      }
      if (name === 'lm') {
        if (facts.lastModified === null) throw new Error(`${token}: the representation has no Last-Modified`);
        const spelling = (variant ?? 'imf') as DateSpelling;
        if (!DATE_SPELLINGS.includes(spelling)) throw new Error(`unknown date spelling in ${token}`);
        return spellDate(facts.lastModified + Number(shift ?? '0') * 1000, spelling);
      }
      throw new Error(`unknown token ${token}`);
    },
  );
}
