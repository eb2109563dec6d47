import { describe, expect, it } from 'vitest';
import { DELTA_SECONDS_MAX, parseAge, parseDeltaSeconds } from './delta-seconds';

describe('parseDeltaSeconds (RFC 9111 §1.2.2)', () => {
  it('reads non-negative integers, leading zeros included', () => {
    expect(parseDeltaSeconds('0')).toBe(0);
    expect(parseDeltaSeconds('007')).toBe(7);
    expect(parseDeltaSeconds('2147483647')).toBe(2147483647);
  });

  it('caps values past 2^31 at 2^31, at the edge and far past it', () => {
    expect(parseDeltaSeconds('2147483648')).toBe(DELTA_SECONDS_MAX);
    expect(parseDeltaSeconds('2147483649')).toBe(DELTA_SECONDS_MAX);
    expect(parseDeltaSeconds('99999999999999999999999')).toBe(DELTA_SECONDS_MAX);
  });

  it('refuses anything that is not 1*DIGIT', () => {
    for (const v of ['', ' 5', '5 ', '5s', '-1', '+1', '1.5', '1e3', '0x10', 'five', '٣']) {
      expect(parseDeltaSeconds(v), v).toBeNull();
    }
  });
});

describe('parseAge (RFC 9111 §5.1)', () => {
  it('reads a single value', () => {
    expect(parseAge('5')).toBe(5);
    expect(parseAge(' 5 ')).toBe(5);
  });

  it('uses the first member of a list (two field lines arrive comma-joined)', () => {
    expect(parseAge('5, 10')).toBe(5);
    expect(parseAge('10,5')).toBe(10);
    expect(parseAge(', 7')).toBe(7);
  });

  it('ignores an invalid field (null: the age is computed without it)', () => {
    for (const v of ['5s', '-5', '1.5', 'abc', '', ' , ', '5s, 10']) expect(parseAge(v), v).toBeNull();
    expect(parseAge(null)).toBeNull();
  });
});
