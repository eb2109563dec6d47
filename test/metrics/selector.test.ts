import { describe, expect, it } from 'vitest';
import { parseDurationParam, parseTime } from '../../workers/metrics/src/evaluate';
import { instantQuery, rangeQuery } from '../../workers/metrics/src/promql/engine';
import { parsePromQL } from '../../workers/metrics/src/promql/parse';
import { formatPromValue } from '../../workers/metrics/src/sample-value';
import { parsePromDuration } from '@pushpull/wire/prometheus-model/duration';
import { compileMatcher, parseSelector, SelectorParseError } from '../../workers/metrics/src/selector';

describe('parseSelector', () => {
  it('parses names, matchers, quoting and ranges', () => {
    expect(parseSelector('up')).toEqual({ kind: 'vector', matchers: [{ name: '__name__', type: '=', value: 'up' }] });
    expect(parseSelector(`http_requests_total{job="api", code!~'5..',path=~\`/a\\d\`}[5m]`)).toEqual({
      kind: 'vector',
      rangeMs: 300_000,
      matchers: [
        { name: '__name__', type: '=', value: 'http_requests_total' },
        { name: 'job', type: '=', value: 'api' },
        { name: 'code', type: '!~', value: '5..' },
        { name: 'path', type: '=~', value: '/a\\d' },
      ],
    });
    expect(parseSelector('{__name__=~"a.+",x="\\"q\\"\\n"}').kind).toBe('vector');
    expect(parseSelector('-1.5e3')).toEqual({ kind: 'number', value: -1500 });
    expect(parseSelector('Inf')).toEqual({ kind: 'number', value: Infinity });
    expect(parseSelector('info').kind).toBe('vector');
  });

  it('refuses anything else with a positioned parse error', () => {
    for (const bad of [
      'sum(up)',
      'up{',
      'up{a=}',
      'up{a="1"',
      '{a=""}',
      '{a=~".*"}',
      'up[5x]',
      'up[]',
      'up offset 1m',
      'up @ 100',
      'up and down',
      'up{a="1"}{b="2"}',
      'up{__name__="x"}',
    ]) {
      expect(() => parseSelector(bad), bad).toThrow(SelectorParseError);
    }
    expect(() => parseSelector('sum(up)')).toThrow(/^1:1: parse error/);
  });

  it('anchors regexes fully and lets dot match newlines, as Prometheus', () => {
    const m = compileMatcher({ name: 'a', type: '=~', value: 'b|c' });
    expect(m.test('b')).toBe(true);
    expect(m.test('ab')).toBe(false);
    expect(m.test('bc')).toBe(false);
    expect(compileMatcher({ name: 'a', type: '=~', value: 'x.y' }).test('x\ny')).toBe(true);
  });
});

describe('time parameters', () => {
  it('parses Unix seconds and RFC 3339', () => {
    expect(parseTime('1700000000.123')).toBe(1_700_000_000_123);
    expect(parseTime('2023-11-14T22:13:20Z')).toBe(1_700_000_000_000);
    expect(parseTime('2023-11-14T23:13:20.5+01:00')).toBe(1_700_000_000_500);
    expect(() => parseTime('now')).toThrow(/cannot parse "now" to a valid timestamp/);
  });

  it('parses durations', () => {
    expect(parseDurationParam('15')).toBe(15_000);
    expect(parseDurationParam('0.5')).toBe(500);
    expect(parseDurationParam('1m30s')).toBe(90_000);
    expect(parsePromDuration('1h5m')).toBe(3_900_000);
    expect(parsePromDuration('5m1h')).toBeUndefined();
    expect(() => parseDurationParam('1x')).toThrow(/valid duration/);
  });
});

describe('evaluation', () => {
  const series = [{ labels: { __name__: 'x' }, timestamps: [1000, 2000, 3000], values: [1, 2, NaN], staleAt: [2] }];
  const storage = { select: () => Promise.resolve(series) };
  const options = { lookbackMs: 300_000, maxSamples: 1000, defaultSubqueryStepMs: 60_000, deadline: Date.now() + 60_000 };
  const instant = async (t: number) => (await instantQuery(parsePromQL('x'), t, storage, options)).result;
  it('instant vectors respect the lookback and staleness markers', async () => {
    expect(await instant(2500)).toEqual([{ metric: { __name__: 'x' }, value: [2.5, '2'] }]);
    expect(await instant(3000)).toEqual([]);
    expect(await instant(2000 + 300_000)).toEqual([]);
    expect(await instant(500)).toEqual([]);
  });
  it('range queries step through time', async () => {
    expect((await rangeQuery(parsePromQL('x'), 0, 4000, 1000, storage, options)).result).toEqual([
      {
        metric: { __name__: 'x' },
        values: [
          [1, '1'],
          [2, '2'],
        ],
      },
    ]);
  });
  it('formats values as Prometheus does', () => {
    expect([NaN, Infinity, -Infinity, 1.5, 1e21, 1e-7, -0].map(formatPromValue)).toEqual([
      'NaN',
      '+Inf',
      '-Inf',
      '1.5',
      '1000000000000000000000',
      '0.0000001',
      '0',
    ]);
  });
});
