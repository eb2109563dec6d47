import { describe, expect, it } from 'vitest';
import { evaluatePreconditions, ifRangeMatches, type ConditionalFields } from './preconditions';
import { formatHttpDate } from './http-date';

// The request/representation table (cases.ts) covers GET and HEAD; this covers what it cannot.
const none: ConditionalFields = {
  ifMatch: null,
  ifNoneMatch: null,
  ifModifiedSince: null,
  ifUnmodifiedSince: null,
  ifRange: null,
  range: null,
};
const LM = Date.UTC(2026, 0, 5, 7, 8, 9);
const v = { etag: '"v1"', lastModified: LM };

describe('evaluatePreconditions (RFC 9110 §13.2.2)', () => {
  it('answers 412, not 304, to a matching If-None-Match on an unsafe method', () => {
    expect(evaluatePreconditions('PUT', { ...none, ifNoneMatch: '"v1"' }, v)).toEqual({ kind: 'precondition-failed' });
    expect(evaluatePreconditions('DELETE', { ...none, ifNoneMatch: '*' }, v)).toEqual({ kind: 'precondition-failed' });
  });

  it('ignores If-Modified-Since on methods other than GET and HEAD', () => {
    expect(evaluatePreconditions('POST', { ...none, ifModifiedSince: formatHttpDate(LM) }, v)).toEqual({
      kind: 'proceed',
      rangeApplies: false,
    });
  });

  it('with no current representation: If-Match fails, If-None-Match: * holds (create-only PUT)', () => {
    expect(evaluatePreconditions('PUT', { ...none, ifMatch: '*' }, null)).toEqual({ kind: 'precondition-failed' });
    expect(evaluatePreconditions('PUT', { ...none, ifMatch: '"v1"' }, null)).toEqual({ kind: 'precondition-failed' });
    expect(evaluatePreconditions('PUT', { ...none, ifNoneMatch: '*' }, null)).toEqual({ kind: 'proceed', rangeApplies: false });
  });

  it('If-Match fails for a representation without an ETag, except *', () => {
    expect(evaluatePreconditions('PUT', { ...none, ifMatch: '"v1"' }, { etag: null, lastModified: LM })).toEqual({
      kind: 'precondition-failed',
    });
    expect(evaluatePreconditions('PUT', { ...none, ifMatch: '*' }, { etag: null, lastModified: LM })).toEqual({
      kind: 'proceed',
      rangeApplies: false,
    });
  });

  it('ignores preconditions on CONNECT, OPTIONS and TRACE (§13.2.1)', () => {
    for (const method of ['CONNECT', 'OPTIONS', 'TRACE']) {
      expect(evaluatePreconditions(method, { ...none, ifMatch: '"nope"' }, v)).toEqual({ kind: 'proceed', rangeApplies: false });
    }
  });

  it('lets Range apply only on GET', () => {
    expect(evaluatePreconditions('GET', { ...none, range: 'bytes=0-1' }, v)).toEqual({ kind: 'proceed', rangeApplies: true });
    expect(evaluatePreconditions('HEAD', { ...none, range: 'bytes=0-1' }, v)).toEqual({ kind: 'proceed', rangeApplies: false });
  });

  it('compares dates at one-second precision', () => {
    const msLater = { etag: '"v1"', lastModified: LM + 999 };
    expect(evaluatePreconditions('GET', { ...none, ifModifiedSince: formatHttpDate(LM) }, msLater)).toEqual({ kind: 'not-modified' });
    expect(evaluatePreconditions('GET', { ...none, ifUnmodifiedSince: formatHttpDate(LM) }, msLater)).toEqual({
      kind: 'proceed',
      rangeApplies: false,
    });
  });
});

describe('ifRangeMatches (RFC 9110 §13.1.5)', () => {
  it('needs the Last-Modified date exactly, and strong: at least a second before the Date', () => {
    expect(ifRangeMatches(formatHttpDate(LM), v)).toBe(true);
    expect(ifRangeMatches(formatHttpDate(LM), { ...v, date: LM + 1000 })).toBe(true);
    expect(ifRangeMatches(formatHttpDate(LM), { ...v, date: LM + 500 })).toBe(false);
    expect(ifRangeMatches(formatHttpDate(LM + 1000), v)).toBe(false);
    expect(ifRangeMatches('Mon, 05 Jan 2026 07:08:09 UTC', v)).toBe(false);
    expect(ifRangeMatches(formatHttpDate(LM), { etag: '"v1"', lastModified: null })).toBe(false);
  });

  it('needs a strong entity-tag match', () => {
    expect(ifRangeMatches('"v1"', v)).toBe(true);
    expect(ifRangeMatches('W/"v1"', v)).toBe(false);
    expect(ifRangeMatches('"v1"', { ...v, etag: 'W/"v1"' })).toBe(false);
    expect(ifRangeMatches('"v1', v)).toBe(false);
  });
});
