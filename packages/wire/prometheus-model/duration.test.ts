import { describe, expect, it } from 'vitest';
import { formatPromDuration, parsePromDuration } from './duration';

describe('parsePromDuration (prometheus/common model.ParseDuration)', () => {
  it('reads every unit, combined largest first', () => {
    expect(parsePromDuration('1h30m')).toBe(5_400_000);
    expect(parsePromDuration('15s')).toBe(15_000);
    expect(parsePromDuration('250ms')).toBe(250);
    expect(parsePromDuration('1h5m')).toBe(3_900_000);
    expect(parsePromDuration('1y1w1d1h1m1s1ms')).toBe(365 * 86_400_000 + 7 * 86_400_000 + 86_400_000 + 3_600_000 + 60_000 + 1000 + 1);
    expect(parsePromDuration('0')).toBe(0);
    expect(parsePromDuration('0s')).toBe(0);
  });

  it('refuses what Prometheus refuses: no unit, units out of order or repeated, signs, fractions, spaces, empty', () => {
    for (const bad of ['', '15', '5m1h', '1m1m', '-1s', '1.5s', '1 s', 's', '1x', '1h ']) expect(parsePromDuration(bad)).toBeUndefined();
  });

  it('refuses a duration past the int64 nanoseconds Prometheus holds', () => {
    expect(parsePromDuration('106751d')).toBe(106_751 * 86_400_000);
    expect(parsePromDuration('106752d')).toBeUndefined();
  });
});

describe('formatPromDuration (model.Duration.String)', () => {
  it('prints the largest units first and 0 as 0s', () => {
    expect(formatPromDuration(15_000)).toBe('15s');
    expect(formatPromDuration(90_000)).toBe('1m30s');
    expect(formatPromDuration(500)).toBe('500ms');
    expect(formatPromDuration(0)).toBe('0s');
    expect(formatPromDuration(8 * 86_400_000)).toBe('1w1d');
  });

  it('round-trips through parsePromDuration', () => {
    for (const ms of [1, 999, 1000, 61_000, 3_600_001, 400 * 86_400_000]) expect(parsePromDuration(formatPromDuration(ms))).toBe(ms);
  });
});
