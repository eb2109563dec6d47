import { describe, expect, it } from 'vitest';
import { parseDashboard } from '../../workers/metrics/src/dashboards/dashboard-file';
import { PromError } from '../../workers/metrics/ui/api';
import { alignSeries, drawable, stack } from '../../workers/metrics/ui/chart-data';
import { formatValue, legendName, parsePromValue, seriesName } from '../../workers/metrics/ui/format';
import { autoStepSeconds, formatDuration, formatUtc, parseDuration, parseUtc } from '../../workers/metrics/ui/time';
import { decodePanels, decodeTime, defaultPanel, encodePanels, encodeTime } from '../../workers/metrics/ui/url-state';

describe('durations and times', () => {
  it('reads and writes Prometheus durations', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1w')).toBe(604_800_000);
    expect(parseDuration('250ms')).toBe(250);
    for (const bad of ['', 'h', '1x', '1h 30m', '-1h', '0s']) expect(parseDuration(bad), bad).toBeUndefined();
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(604_800_000)).toBe('7d');
    expect(formatDuration(1500)).toBe('1s500ms');
  });

  it("picks Prometheus's automatic step: range / 250 in whole seconds, at least 1 s", () => {
    expect(autoStepSeconds(3_600_000)).toBe(14);
    expect(autoStepSeconds(60_000)).toBe(1);
    expect(autoStepSeconds(7 * 86_400_000)).toBe(2419);
  });

  it("writes end times in UTC as Prometheus's URLs do, and reads them back", () => {
    const t = Date.UTC(2026, 0, 2, 3, 4, 5);
    expect(formatUtc(t)).toBe('2026-01-02 03:04:05');
    expect(parseUtc('2026-01-02 03:04:05')).toBe(t);
    expect(parseUtc('2026-01-02T03:04:05Z')).toBe(t);
    expect(parseUtc('yesterday')).toBeUndefined();
  });
});

describe("the expression browser's URL", () => {
  it('round-trips several panels', () => {
    const panels = [
      { ...defaultPanel(), expr: 'rate(x[5m])', tab: 'table' as const },
      {
        expr: 'up{job="a b"}',
        tab: 'graph' as const,
        rangeMs: 1_800_000,
        endMs: Date.UTC(2026, 0, 2, 3, 4, 5),
        stepSeconds: 30,
        stacked: true,
      },
    ];
    const search = encodePanels(panels);
    expect(search).toContain('g1.end_input=2026-01-02+03%3A04%3A05');
    expect(decodePanels(`?${search}`)).toEqual(panels);
  });

  it('reads what Prometheus 2.x and 3.x links carry (numeric tabs, stacked=1, step_input, moment_input)', () => {
    const [p] = decodePanels('?g0.expr=up&g0.tab=1&g0.stacked=1&g0.range_input=6h&g0.step_input=60&g0.moment_input=2026-01-02%2003:04:05');
    expect(p).toEqual({
      expr: 'up',
      tab: 'table',
      rangeMs: 21_600_000,
      endMs: Date.UTC(2026, 0, 2, 3, 4, 5),
      stepSeconds: 60,
      stacked: true,
    });
    const [q] = decodePanels('?g0.expr=up&g0.tab=graph&g0.display_mode=lines&g0.res_type=auto&g0.range_input=bogus');
    expect(q).toEqual({ ...defaultPanel(), expr: 'up' });
    expect(decodePanels('?g1.expr=up')).toEqual([]);
  });
});

describe("a dashboard's URL", () => {
  const dashboard = parseDashboard(
    {
      title: 't',
      time: '1h',
      refresh: '30s',
      rows: [{ title: 'r', panels: [{ title: 'p', kind: 'line', unit: 'short', queries: [{ expr: 'up' }] }] }],
    },
    't',
  );

  it("defaults to the file's time and refresh, and reads Grafana's from/to/refresh", () => {
    expect(decodeTime('', dashboard)).toEqual({ rangeMs: 3_600_000, endMs: null, refreshMs: 30_000 });
    expect(decodeTime('?from=now-6h&to=now&refresh=off', dashboard)).toEqual({ rangeMs: 21_600_000, endMs: null, refreshMs: 0 });
    expect(decodeTime('?from=1000000&to=4600000', dashboard)).toEqual({ rangeMs: 3_600_000, endMs: 4_600_000, refreshMs: 30_000 });
    expect(decodeTime('?from=now-banana&refresh=soon', dashboard)).toEqual({ rangeMs: 3_600_000, endMs: null, refreshMs: 30_000 });
  });

  it('round-trips', () => {
    for (const t of [
      { rangeMs: 900_000, endMs: null, refreshMs: 5000 },
      { rangeMs: 3_600_000, endMs: 1_800_000_000_000, refreshMs: 0 },
    ]) {
      expect(decodeTime(`?${encodeTime(t)}`, dashboard)).toEqual(t);
    }
    expect(encodeTime({ rangeMs: 900_000, endMs: null, refreshMs: 60_000 })).toBe('from=now-15m&to=now&refresh=1m');
  });
});

describe('formatting', () => {
  it('reads sample values as the API writes them', () => {
    expect([parsePromValue('1.5'), parsePromValue('+Inf'), parsePromValue('-Inf'), parsePromValue('-0'), parsePromValue('1e-9')]).toEqual([
      1.5,
      Infinity,
      -Infinity,
      -0,
      1e-9,
    ]);
    expect(parsePromValue('NaN')).toBeNaN();
  });

  it('writes values in each panel unit', () => {
    expect(formatValue(0.1234, 'percentunit')).toBe('12.3%');
    expect(formatValue(1536, 'bytes')).toBe('1.5 KiB');
    expect(formatValue(512, 'bytes')).toBe('512 B');
    expect(formatValue(2_500_000, 'Bps')).toBe('2.5 MB/s');
    expect(formatValue(1200, 'reqps')).toBe('1.2 k req/s');
    expect(formatValue(0.0042, 's')).toBe('4.2 ms');
    expect(formatValue(90, 's')).toBe('90 s');
    expect(formatValue(7200, 's')).toBe('2 h');
    expect(formatValue(12_345, 'short')).toBe('12.3 k');
    expect(formatValue(0.5, 'none')).toBe('0.5');
    expect(formatValue(NaN)).toBe('NaN');
    expect(formatValue(-Infinity)).toBe('-Inf');
    expect(formatValue(null)).toBe('—');
  });

  it('names series as Prometheus does, or by a Grafana legend template', () => {
    const m = { __name__: 'http_requests_total', path: '/a"b', code: '200' };
    expect(seriesName(m)).toBe('http_requests_total{code="200", path="/a\\"b"}');
    expect(seriesName({})).toBe('{}');
    expect(seriesName({ job: 'x' })).toBe('{job="x"}');
    expect(legendName(m, '{{code}} {{ path }} {{missing}}!')).toBe('200 /a"b !');
    expect(legendName(m, '__auto')).toBe(seriesName(m));
  });
});

describe('chart data', () => {
  it("aligns a range query's series on start + k·step, gaps as null", () => {
    const data = alignSeries({
      start: 100,
      end: 160,
      step: 15,
      series: [
        {
          values: [
            [100, '1'],
            [130, '3'],
            [160, 'NaN'],
          ],
        },
        {
          values: [
            [115, '+Inf'],
            [145, '-2.5'],
          ],
        },
      ],
    });
    expect(data[0]).toEqual([100, 115, 130, 145, 160]);
    expect(data[1]).toEqual([1, null, 3, null, NaN]);
    expect(data[2]).toEqual([null, Infinity, null, -2.5, null]);
    // What uPlot draws: non-finite values are gaps (the legend still shows them).
    expect(drawable(data).slice(1)).toEqual([
      [1, null, 3, null, null],
      [null, null, null, -2.5, null],
    ]);
  });

  it('stacks visible series into running sums with a band between neighbours', () => {
    const raw = alignSeries({
      start: 0,
      end: 2,
      step: 1,
      series: [
        {
          values: [
            [0, '1'],
            [1, '2'],
            [2, '3'],
          ],
        },
        {
          values: [
            [0, '10'],
            [2, '30'],
          ],
        },
        {
          values: [
            [0, '100'],
            [1, '200'],
            [2, '300'],
          ],
        },
      ],
    });
    expect(stack(raw, () => false)).toEqual({
      data: [
        [0, 1, 2],
        [1, 2, 3],
        [11, 2, 33],
        [111, 202, 333],
      ],
      bands: [{ series: [2, 1] }, { series: [3, 2] }],
    });
    const hidden = stack(raw, (i) => i === 2);
    expect(hidden.data[3]).toEqual([101, 202, 303]);
    expect(hidden.bands).toEqual([{ series: [3, 1] }]);
  });
});

describe('Prometheus errors', () => {
  it("turn a parse error's line:column into an offset in the query", () => {
    const e = new PromError('bad_data', 'invalid parameter "query": 2:5: parse error: unexpected "}"', 400);
    expect(e.position('sum(\n  up}')).toEqual({ offset: 9, line: 2, column: 5 });
    expect(new PromError('bad_data', '1:3-1:7: parse error: x', 400).position('abcdefgh')).toEqual({ offset: 2, line: 1, column: 3 });
    expect(new PromError('execution', 'query processing would load too many samples', 422).position('up')).toBeUndefined();
  });
});
