// The oracle's judge itself: what it calls equal and what it reports as a difference.
import { describe, expect, it } from 'vitest';
import { difference, sameValue } from './compare';

const ok = (data: unknown) => ({ status: 200, body: { status: 'success', data } });
const vector = (...result: { metric: Record<string, string>; value: [number, string] }[]) => ok({ resultType: 'vector', result });

describe('the oracle comparison', () => {
  it('takes values to a relative 1e-6, NaN equal to NaN, infinities only to themselves', () => {
    expect(sameValue('1', '1.0000009')).toBe(true);
    expect(sameValue('1', '1.000002')).toBe(false);
    expect(sameValue('NaN', 'NaN')).toBe(true);
    expect(sameValue('NaN', '0')).toBe(false);
    expect(sameValue('+Inf', '+Inf')).toBe(true);
    expect(sameValue('+Inf', '-Inf')).toBe(false);
    expect(sameValue('0', '1e-13')).toBe(true);
  });

  it('compares vectors as sets of label sets unless ordered', () => {
    const a = { metric: { job: 'a' }, value: [10, '1'] as [number, string] };
    const b = { metric: { job: 'b' }, value: [10, '2'] as [number, string] };
    expect(difference(vector(a, b), vector(b, a))).toBeUndefined();
    expect(difference(vector(a, b), vector(b, a), true)).toBe('series order differs');
    expect(difference(vector(a), vector(a, b))).toMatch(/^series differ: 1 vs 2/);
    expect(difference(vector({ ...a, metric: { job: 'a', x: '' } }), vector(a))).toMatch(/^series differ/);
    expect(difference(vector({ ...a, value: [11, '1'] }), vector(a))).toMatch(/timestamp 11 vs 10/);
  });

  it('compares errors by status and errorType, not by message', () => {
    const err = (status: number, errorType: string, error: string) => ({ status, body: { status: 'error', errorType, error } });
    expect(difference(err(400, 'bad_data', 'x'), err(400, 'bad_data', 'y'))).toBeUndefined();
    expect(difference(err(422, 'execution', 'x'), err(400, 'bad_data', 'x'))).toMatch(/^status:/);
    expect(difference(ok({ resultType: 'scalar', result: [1, '2'] }), err(400, 'bad_data', 'x'))).toMatch(/^status:/);
  });

  it('compares matrices point by point', () => {
    const m = (values: [number, string][]) => ok({ resultType: 'matrix', result: [{ metric: {}, values }] });
    expect(
      difference(
        m([
          [1, '1'],
          [2, 'NaN'],
        ]),
        m([
          [1, '1'],
          [2, 'NaN'],
        ]),
      ),
    ).toBeUndefined();
    expect(
      difference(
        m([[1, '1']]),
        m([
          [1, '1'],
          [2, '3'],
        ]),
      ),
    ).toMatch(/1 vs 2 points \(first missing 2/);
    expect(difference(m([[1, '1']]), m([[1, '1.1']]))).toMatch(/value at 1: 1 vs 1.1/);
  });
});
