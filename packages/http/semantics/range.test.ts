import { describe, expect, it } from 'vitest';
import { coalesceRanges, contentRange, evaluateRange, MAX_RANGE_PARTS, parseRangeHeader, unsatisfiedContentRange } from './range';

describe('parseRangeHeader (RFC 9110 §14.1.1, §14.2)', () => {
  it('reads int, open and suffix specs, the unit case-insensitively, skipping empty elements', () => {
    expect(parseRangeHeader('bytes=0-4, 9-,-3,,')).toEqual({
      unit: 'bytes',
      specs: [
        { kind: 'int', first: 0, last: 4 },
        { kind: 'int', first: 9, last: null },
        { kind: 'suffix', length: 3 },
      ],
    });
    expect(parseRangeHeader('BYTES=1-2')?.unit).toBe('bytes');
    expect(parseRangeHeader('items=1-2')).toEqual({ unit: 'items', specs: [] });
  });

  it('refuses invalid ranges-specifiers', () => {
    for (const v of [
      'bytes',
      'bytes=',
      'bytes=,',
      'bytes=-',
      'bytes=5-2',
      'bytes=a-b',
      'bytes=1-2-3',
      'bytes=1 -2',
      'bytes=0x1-2',
      '=0-1',
      'by tes=0-1',
      'bytes=1-2,abc',
    ]) {
      expect(parseRangeHeader(v), v).toBeNull();
    }
  });
});

describe('evaluateRange (RFC 9110 §14.1.2)', () => {
  it('resolves specs against the length, clamping past the end', () => {
    expect(evaluateRange('bytes=0-9', 100)).toEqual({ kind: 'satisfiable', ranges: [{ start: 0, end: 9 }] });
    expect(evaluateRange('bytes=90-', 100)).toEqual({ kind: 'satisfiable', ranges: [{ start: 90, end: 99 }] });
    expect(evaluateRange('bytes=-10', 100)).toEqual({ kind: 'satisfiable', ranges: [{ start: 90, end: 99 }] });
    expect(evaluateRange('bytes=-500', 100)).toEqual({ kind: 'satisfiable', ranges: [{ start: 0, end: 99 }] });
    expect(evaluateRange('bytes=95-5000', 100)).toEqual({ kind: 'satisfiable', ranges: [{ start: 95, end: 99 }] });
    expect(evaluateRange('bytes=99-99', 100)).toEqual({ kind: 'satisfiable', ranges: [{ start: 99, end: 99 }] });
  });

  it('is unsatisfiable when no spec is', () => {
    for (const v of ['bytes=100-', 'bytes=100-200', 'bytes=-0', 'bytes=-0,100-'])
      expect(evaluateRange(v, 100), v).toEqual({ kind: 'unsatisfiable' });
    expect(evaluateRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(evaluateRange('bytes=-0', 0)).toEqual({ kind: 'unsatisfiable' });
  });

  it('ignores a non-zero suffix on an empty representation (satisfiable, but no Content-Range can say so)', () => {
    expect(evaluateRange('bytes=-5', 0)).toEqual({ kind: 'ignore', reason: 'empty-representation' });
    expect(evaluateRange('bytes=0-,-1', 0)).toEqual({ kind: 'ignore', reason: 'empty-representation' });
  });

  it('ignores invalid headers and other units', () => {
    expect(evaluateRange('bytes=5-2', 100)).toEqual({ kind: 'ignore', reason: 'invalid' });
    expect(evaluateRange('lines=1-2', 100)).toEqual({ kind: 'ignore', reason: 'unit' });
  });

  it(`answers ${MAX_RANGE_PARTS} parts and ignores one more (after coalescing)`, () => {
    const spaced = (n: number): string => `bytes=${Array.from({ length: n }, (_, i) => `${3 * i}-${3 * i}`).join(',')}`;
    const at = evaluateRange(spaced(MAX_RANGE_PARTS), 1000);
    expect(at.kind === 'satisfiable' && at.ranges.length).toBe(MAX_RANGE_PARTS);
    expect(evaluateRange(spaced(MAX_RANGE_PARTS + 1), 1000)).toEqual({ kind: 'ignore', reason: 'too-many-parts' });
    // A thousand copies of the same range are one part.
    expect(evaluateRange(`bytes=${Array(1000).fill('0-').join(',')}`, 1000)).toEqual({
      kind: 'satisfiable',
      ranges: [{ start: 0, end: 999 }],
    });
    expect(evaluateRange(spaced(3), 1000, { maxParts: 2 })).toEqual({ kind: 'ignore', reason: 'too-many-parts' });
  });
});

describe('coalesceRanges (RFC 9110 §15.3.7.2)', () => {
  it('keeps separate ranges in the order asked', () => {
    expect(
      coalesceRanges([
        { start: 50, end: 59 },
        { start: 0, end: 9 },
      ]),
    ).toEqual([
      { start: 50, end: 59 },
      { start: 0, end: 9 },
    ]);
  });

  it('merges overlapping, touching and repeated ranges, in ascending order', () => {
    expect(
      coalesceRanges([
        { start: 5, end: 20 },
        { start: 0, end: 9 },
        { start: 40, end: 41 },
      ]),
    ).toEqual([
      { start: 0, end: 20 },
      { start: 40, end: 41 },
    ]);
    expect(
      coalesceRanges([
        { start: 10, end: 19 },
        { start: 0, end: 9 },
      ]),
    ).toEqual([{ start: 0, end: 19 }]);
    expect(
      coalesceRanges([
        { start: 0, end: 9 },
        { start: 0, end: 9 },
      ]),
    ).toEqual([{ start: 0, end: 9 }]);
    expect(
      coalesceRanges([
        { start: 30, end: 31 },
        { start: 0, end: 3 },
        { start: 2, end: 5 },
      ]),
    ).toEqual([
      { start: 0, end: 5 },
      { start: 30, end: 31 },
    ]);
  });
});

describe('Content-Range (RFC 9110 §14.4)', () => {
  it('formats a satisfied range and an unsatisfied one', () => {
    expect(contentRange({ start: 0, end: 4 }, 26)).toBe('bytes 0-4/26');
    expect(unsatisfiedContentRange(0)).toBe('bytes */0');
  });
});
