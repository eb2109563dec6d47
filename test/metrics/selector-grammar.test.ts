import { describe, expect, it } from 'vitest';
import { parseSelector, SelectorParseError } from '../../workers/metrics/src/selector';

// parseSelector reads queries with Prometheus's own grammar (@prometheus-io/lezer-promql).
describe('parseSelector on the PromQL grammar', () => {
  it('reads quoted UTF-8 metric and label names (Prometheus 3)', () => {
    expect(parseSelector('{"http.requests", "status.code"="200"}')).toEqual({
      kind: 'vector',
      matchers: [
        { name: '__name__', type: '=', value: 'http.requests' },
        { name: 'status.code', type: '=', value: '200' },
      ],
    });
    expect(() => parseSelector('up{"other"}')).toThrow(/metric name must not be set twice/);
  });

  it('reads parentheses, comments and whitespace around a selector', () => {
    expect(parseSelector('( up{job="a"} )')).toEqual(parseSelector('up{job="a"}'));
    expect(parseSelector('# the targets\nup')).toEqual(parseSelector('up'));
    expect(parseSelector(' up [ 5m ] ')).toEqual({
      kind: 'vector',
      matchers: [{ name: '__name__', type: '=', value: 'up' }],
      rangeMs: 300_000,
    });
  });

  it('reads number literals: decimals, hex, Inf, NaN and durations as seconds', () => {
    expect(parseSelector('0x1f')).toEqual({ kind: 'number', value: 31 });
    expect(parseSelector('-Inf')).toEqual({ kind: 'number', value: -Infinity });
    expect(Number.isNaN((parseSelector('NaN') as { value: number }).value)).toBe(true);
    expect(parseSelector('1h30m')).toEqual({ kind: 'number', value: 5400 });
    expect(parseSelector('up[90]')).toMatchObject({ rangeMs: 90_000 });
    expect(parseSelector('up[1h30m]')).toMatchObject({ rangeMs: 5_400_000 });
  });

  it('decodes Go string escapes and leaves raw strings alone', () => {
    expect(parseSelector('up{a="\\u00e9\\x41\\t", b=`\\d+`}')).toMatchObject({
      matchers: [{ value: 'up' }, { name: 'a', value: 'éA\t' }, { name: 'b', value: '\\d+' }],
    });
  });

  it('names the PromQL it does not evaluate, at its position', () => {
    const cases: [string, RegExp][] = [
      ['rate(up[5m])', /^1:1: parse error: function calls not supported/],
      ['sum by (job) (up)', /^1:1: parse error: aggregations not supported/],
      ['up / 2', /^1:1: parse error: binary operators not supported/],
      ['-up', /^1:1: parse error: unary operators on selectors not supported/],
      ['up offset 5m', /offset modifier not supported/],
      ['up @ 100', /@ modifier not supported/],
      ['up[5m:1m]', /subqueries not supported/],
      ['"text"', /string literals not supported/],
      ['up[5m+1m]', /^1:4: parse error: duration expressions are not supported/],
    ];
    for (const [query, message] of cases) expect(() => parseSelector(query), query).toThrow(message);
  });

  it('refuses syntax errors at the position the grammar stops', () => {
    expect(() => parseSelector('up{job="a"')).toThrow(/^1:11: parse error: unexpected end of input/);
    expect(() => parseSelector('up{job=~"("}')).toThrow(/^1:9: parse error: invalid regular expression/);
    expect(() => parseSelector('')).toThrow(SelectorParseError);
    expect(() => parseSelector('up{job="\\q"}')).toThrow(/unknown escape sequence/);
  });
});
