import { describe, expect, it } from 'vitest';
import { formatHttpDate, parseHttpDate } from './http-date';

// RFC 9110 §5.6.7 prints one instant in all three spellings.
const SUNDAY = Date.UTC(1994, 10, 6, 8, 49, 37);
const NOW = Date.UTC(2026, 5, 1);

describe('parseHttpDate (RFC 9110 §5.6.7)', () => {
  const valid: Array<[string, number]> = [
    ['Sun, 06 Nov 1994 08:49:37 GMT', SUNDAY],
    ['Sunday, 06-Nov-94 08:49:37 GMT', SUNDAY],
    ['Sun Nov  6 08:49:37 1994', SUNDAY],
    ['Sun Nov 16 08:49:37 1994', Date.UTC(1994, 10, 16, 8, 49, 37)],
    ['Thu, 01 Jan 1970 00:00:00 GMT', 0],
    ['Thu, 29 Feb 2024 23:59:59 GMT', Date.UTC(2024, 1, 29, 23, 59, 59)],
    ['Fri, 31 Dec 9999 23:59:59 GMT', Date.UTC(9999, 11, 31, 23, 59, 59)],
    ['Sat, 01 Jan 0000 00:00:00 GMT', new Date(0).setUTCFullYear(0, 0, 1)],
    // Leap second: 60 is allowed by the IMF grammar (taken as the next second).
    ['Wed, 31 Dec 2016 23:59:60 GMT', Date.UTC(2017, 0, 1)],
    // Surrounding whitespace is not part of a field value (§5.5).
    ['  Sun, 06 Nov 1994 08:49:37 GMT\t', SUNDAY],
    // The weekday is grammar, not checked against the date.
    ['Mon, 06 Nov 1994 08:49:37 GMT', SUNDAY],
  ];
  for (const [value, ms] of valid) {
    it(`reads ${JSON.stringify(value)}`, () => expect(parseHttpDate(value, NOW)).toBe(ms));
  }

  const invalid = [
    'Sun, 06 Nov 1994 8:49:37 GMT', // one-digit hour
    'Sun, 6 Nov 1994 08:49:37 GMT', // one-digit day
    'Sun, 06-Nov-1994 08:49:37 GMT', // dashes in an IMF-fixdate
    'Sun,  06 Nov 1994 08:49:37 GMT', // two spaces
    'Sun, 06 Nov 1994  08:49:37 GMT',
    'Sun 06 Nov 1994 08:49:37 GMT', // no comma
    'Sun, 06 Nov 1994 08:49:37 UTC', // UTC instead of GMT
    'Sun, 06 Nov 1994 08:49:37 +0000',
    'Sun, 06 Nov 1994 08:49:37', // no zone
    'sun, 06 nov 1994 08:49:37 gmt', // case-sensitive
    'Sun, 06 NOV 1994 08:49:37 GMT',
    'Sunday, 06 Nov 1994 08:49:37 GMT', // long day name in an IMF-fixdate
    'Sun, 06-Nov-94 08:49:37 GMT', // short day name in RFC 850
    'Sunday, 06-Nov-1994 08:49:37 GMT', // four-digit year in RFC 850
    'Sun Nov 6 08:49:37 1994', // asctime day without its padding space
    'Sun Nov  6 08:49:37 1994 GMT',
    'Sun, 31 Apr 1994 08:49:37 GMT', // no such day
    'Sun, 29 Feb 2023 08:49:37 GMT',
    'Sun, 06 Nov 1994 24:00:00 GMT',
    'Sun, 06 Nov 1994 08:60:00 GMT',
    'Sun, 06 Nov 1994 08:49:61 GMT',
    'Sun, 06 Nov 94 08:49:37 GMT', // two-digit year in an IMF-fixdate
    '1994-11-06T08:49:37Z', // ISO 8601
    '784111777', // a Unix time
    '0', // "already expired" in Expires (RFC 9111 §5.3)
    '-1',
    '',
    'Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT', // two members
  ];
  for (const value of invalid) {
    it(`refuses ${JSON.stringify(value)}`, () => expect(parseHttpDate(value, NOW)).toBeNull());
  }

  it('reads a two-digit RFC 850 year as at most 50 years ahead, else the century before', () => {
    expect(parseHttpDate('Thursday, 01-Jan-76 00:00:00 GMT', NOW)).toBe(Date.UTC(2076, 0, 1));
    expect(parseHttpDate('Sunday, 01-Jan-77 00:00:00 GMT', NOW)).toBe(Date.UTC(1977, 0, 1));
    expect(parseHttpDate('Saturday, 01-Jan-00 00:00:00 GMT', NOW)).toBe(Date.UTC(2000, 0, 1));
    expect(parseHttpDate('Friday, 01-Jan-99 00:00:00 GMT', NOW)).toBe(Date.UTC(1999, 0, 1));
    // The limit is the instant 50 years after now: June 2076 is past it.
    expect(parseHttpDate('Tuesday, 02-Jun-76 00:00:00 GMT', NOW)).toBe(Date.UTC(1976, 5, 2));
  });
});

describe('formatHttpDate', () => {
  it('writes an IMF-fixdate, truncating to the second', () => {
    expect(formatHttpDate(SUNDAY + 999)).toBe('Sun, 06 Nov 1994 08:49:37 GMT');
    expect(formatHttpDate(0)).toBe('Thu, 01 Jan 1970 00:00:00 GMT');
    expect(formatHttpDate(-1)).toBe('Wed, 31 Dec 1969 23:59:59 GMT');
    expect(formatHttpDate(Date.UTC(9999, 11, 31, 23, 59, 59))).toBe('Fri, 31 Dec 9999 23:59:59 GMT');
  });

  it('round-trips through parseHttpDate', () => {
    for (let ms = -86_400_000 * 365 * 100; ms < 86_400_000 * 365 * 100; ms += 86_400_000 * 37 + 12_345_000) {
      const whole = Math.floor(ms / 1000) * 1000;
      expect(parseHttpDate(formatHttpDate(ms), NOW)).toBe(whole);
      expect(formatHttpDate(ms)).toBe(new Date(whole).toUTCString());
    }
  });

  it('refuses instants without an IMF-fixdate', () => {
    expect(() => formatHttpDate(Date.UTC(10000, 0, 1))).toThrow(RangeError);
    expect(() => formatHttpDate(Number.NaN)).toThrow(RangeError);
  });
});
