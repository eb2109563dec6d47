import { describe, expect, it } from 'vitest';
import { evaluatePreconditions, ifRangeAllows, parseEntityTagList, type ConditionalHeaders } from '../../origin/conditional';
import { coalesceOverlapping, multipartLayout, parseRange } from '../../origin/ranges';

const v = { etag: '"abc"', lastModifiedSec: Date.parse('2026-01-01T00:00:00Z') / 1000 };
const none: ConditionalHeaders = { ifMatch: null, ifNoneMatch: null, ifModifiedSince: null, ifUnmodifiedSince: null };
const at = (offsetSec: number): string => new Date((v.lastModifiedSec + offsetSec) * 1000).toUTCString();

describe('parseEntityTagList', () => {
  it('reads lists with weak tags, commas inside tags, and skips malformed members', () => {
    expect(parseEntityTagList('*')).toBe('*');
    expect(parseEntityTagList('"a", W/"b",  "c,d"')).toEqual([
      { weak: false, opaque: 'a' },
      { weak: true, opaque: 'b' },
      { weak: false, opaque: 'c,d' },
    ]);
    expect(parseEntityTagList('bogus, "x"')).toEqual([{ weak: false, opaque: 'x' }]);
  });
});

describe('evaluatePreconditions (RFC 9110 §13.2.2)', () => {
  it('proceeds without conditions', () => {
    expect(evaluatePreconditions(none, v)).toBe('proceed');
  });

  it('If-Match: strong comparison, * matches, failure is 412', () => {
    expect(evaluatePreconditions({ ...none, ifMatch: '"abc"' }, v)).toBe('proceed');
    expect(evaluatePreconditions({ ...none, ifMatch: '*' }, v)).toBe('proceed');
    expect(evaluatePreconditions({ ...none, ifMatch: 'W/"abc"' }, v)).toBe('failed');
    expect(evaluatePreconditions({ ...none, ifMatch: '"zzz"' }, v)).toBe('failed');
  });

  it('If-Unmodified-Since applies only without If-Match; invalid dates are ignored', () => {
    expect(evaluatePreconditions({ ...none, ifUnmodifiedSince: at(-1) }, v)).toBe('failed');
    expect(evaluatePreconditions({ ...none, ifUnmodifiedSince: at(0) }, v)).toBe('proceed');
    expect(evaluatePreconditions({ ...none, ifMatch: '"abc"', ifUnmodifiedSince: at(-1) }, v)).toBe('proceed');
    expect(evaluatePreconditions({ ...none, ifUnmodifiedSince: 'garbage' }, v)).toBe('proceed');
  });

  it('If-None-Match: weak comparison gives 304; If-Modified-Since is then ignored', () => {
    expect(evaluatePreconditions({ ...none, ifNoneMatch: 'W/"abc"' }, v)).toBe('not-modified');
    expect(evaluatePreconditions({ ...none, ifNoneMatch: '"x", "abc"' }, v)).toBe('not-modified');
    expect(evaluatePreconditions({ ...none, ifNoneMatch: '"x"', ifModifiedSince: at(10) }, v)).toBe('proceed');
  });

  it('If-Modified-Since: 304 when not modified since the date', () => {
    expect(evaluatePreconditions({ ...none, ifModifiedSince: at(0) }, v)).toBe('not-modified');
    expect(evaluatePreconditions({ ...none, ifModifiedSince: at(-1) }, v)).toBe('proceed');
    expect(evaluatePreconditions({ ...none, ifModifiedSince: 'nonsense' }, v)).toBe('proceed');
  });

  it('a failed If-Match wins over a matching If-None-Match', () => {
    expect(evaluatePreconditions({ ...none, ifMatch: '"zzz"', ifNoneMatch: '"abc"' }, v)).toBe('failed');
  });
});

describe('ifRangeAllows (RFC 9110 §13.1.5)', () => {
  it('needs a strong entity-tag match or the exact Last-Modified date', () => {
    expect(ifRangeAllows(null, v)).toBe(true);
    expect(ifRangeAllows('"abc"', v)).toBe(true);
    expect(ifRangeAllows('W/"abc"', v)).toBe(false);
    expect(ifRangeAllows('"old"', v)).toBe(false);
    expect(ifRangeAllows(at(0), v)).toBe(true);
    expect(ifRangeAllows(at(1), v)).toBe(false);
    expect(ifRangeAllows('not a date', v)).toBe(false);
  });
});

describe('parseRange (RFC 9110 §14.1)', () => {
  it('parses first-last, open-ended and suffix ranges', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ kind: 'ranges', ranges: [{ start: 0, end: 9 }] });
    expect(parseRange('bytes=90-', 100)).toEqual({ kind: 'ranges', ranges: [{ start: 90, end: 99 }] });
    expect(parseRange('bytes=-10', 100)).toEqual({ kind: 'ranges', ranges: [{ start: 90, end: 99 }] });
    expect(parseRange('bytes=-500', 100)).toEqual({ kind: 'ranges', ranges: [{ start: 0, end: 99 }] });
    expect(parseRange('BYTES = 1-2', 100)).toEqual({ kind: 'ranges', ranges: [{ start: 1, end: 2 }] });
  });

  it('drops unsatisfiable members, and is unsatisfiable when none remain', () => {
    expect(parseRange('bytes=200-300, 0-0', 100)).toEqual({ kind: 'ranges', ranges: [{ start: 0, end: 0 }] });
    expect(parseRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
  });

  it('ignores invalid syntax, other units and too many ranges', () => {
    for (const h of [null, 'bytes=9-1', 'bytes=a-b', 'lines=1-2', 'bytes', 'bytes=-', 'bytes=1-2-3']) {
      expect(parseRange(h, 100), String(h)).toEqual({ kind: 'ignore' });
    }
    const many = `bytes=${Array.from({ length: 65 }, (_, i) => `${i}-${i}`).join(',')}`;
    expect(parseRange(many, 100)).toEqual({ kind: 'ignore' });
  });

  it('keeps non-overlapping ranges in order and merges overlapping ones', () => {
    expect(
      coalesceOverlapping([
        { start: 50, end: 59 },
        { start: 0, end: 9 },
      ]),
    ).toEqual([
      { start: 50, end: 59 },
      { start: 0, end: 9 },
    ]);
    expect(
      coalesceOverlapping([
        { start: 5, end: 20 },
        { start: 0, end: 9 },
        { start: 40, end: 41 },
      ]),
    ).toEqual([
      { start: 0, end: 20 },
      { start: 40, end: 41 },
    ]);
  });

  it('lays out multipart/byteranges with an exact length', () => {
    const layout = multipartLayout(
      [
        { start: 0, end: 1 },
        { start: 5, end: 5 },
      ],
      10,
      'text/plain',
      'B',
    );
    const body = layout.parts.map((p) => p.head + 'x'.repeat(p.range.end - p.range.start + 1)).join('') + layout.tail;
    expect(body).toBe(
      '--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\nxx' +
        '\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 5-5/10\r\n\r\nx\r\n--B--\r\n',
    );
    expect(layout.length).toBe(Buffer.byteLength(body));
  });
});
