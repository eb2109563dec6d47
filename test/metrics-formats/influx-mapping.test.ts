import { describe, expect, it } from 'vitest';
import { pointsToSeries, sanitizeLabelName, sanitizeMetricName } from '../../workers/metrics/src/influx-mapping';
import { parseLineProtocol } from '../../workers/metrics/src/line-protocol';

function map(text: string, opts: { db?: string; bucket?: string; org?: string } = {}) {
  const parsed = parseLineProtocol(text, { precision: 'ms', now: () => 5_000 });
  expect(parsed.errors).toEqual([]);
  return pointsToSeries(parsed.points, opts);
}

describe('pointsToSeries', () => {
  it('maps the VictoriaMetrics documentation example foo,tag1=value1,tag2=value2 field1=12,field2=40', () => {
    const r = map('foo,tag1=value1,tag2=value2 field1=12,field2=40 1000');
    expect(r.series).toEqual([
      { labels: { __name__: 'foo_field1', tag1: 'value1', tag2: 'value2' }, timestamps: [1000], values: [12] },
      { labels: { __name__: 'foo_field2', tag1: 'value1', tag2: 'value2' }, timestamps: [1000], values: [40] },
    ]);
    expect(r.samples).toBe(2);
    expect(r.skippedStrings).toBe(0);
  });

  it('names the field `value` after the measurement alone', () => {
    const r = map('cpu,host=a value=0.5,user=2 1000');
    expect(r.series.map((s) => s.labels.__name__)).toEqual(['cpu', 'cpu_user']);
  });

  it('stores integers, unsigned integers and booleans as floats (true = 1, false = 0)', () => {
    const r = map('m i=-3i,u=7u,t=true,f=F,x=2.5 1000');
    expect(Object.fromEntries(r.series.map((s) => [s.labels.__name__, s.values[0]]))).toEqual({ m_i: -3, m_u: 7, m_t: 1, m_f: 0, m_x: 2.5 });
  });

  it('skips string fields and counts them', () => {
    const r = map('m s="hello",n=1 1000\nm s="again" 2000');
    expect(r.series).toEqual([{ labels: { __name__: 'm_n' }, timestamps: [1000], values: [1] }]);
    expect(r.skippedStrings).toBe(2);
    expect(r.samples).toBe(1);
  });

  it('groups the samples of one series into one batch, in input order, whatever the tag order', () => {
    const r = map('m,a=1,b=2 v=1 3000\nm,b=2,a=1 v=2 1000\nm,a=1,b=3 v=3 2000\nm,a=1,b=2 v=4 2000');
    expect(r.series).toEqual([
      { labels: { __name__: 'm_v', a: '1', b: '2' }, timestamps: [3000, 1000, 2000], values: [1, 2, 4] },
      { labels: { __name__: 'm_v', a: '1', b: '3' }, timestamps: [2000], values: [3] },
    ]);
  });

  it('keeps the v1 db parameter as the label db', () => {
    expect(map('m v=1 1000', { db: 'telegraf' }).series[0].labels).toEqual({ __name__: 'm_v', db: 'telegraf' });
  });

  it('keeps the v2 bucket parameter as the label db, and does not store org', () => {
    expect(map('m v=1 1000', { bucket: 'b1', org: 'o1' }).series[0].labels).toEqual({ __name__: 'm_v', db: 'b1' });
  });

  it('lets a db tag of the line win over the db parameter (VictoriaMetrics rule)', () => {
    expect(map('m,db=fromtag v=1 1000', { db: 'param' }).series[0].labels).toEqual({ __name__: 'm_v', db: 'fromtag' });
  });

  it('adds no db label for an empty parameter', () => {
    expect(map('m v=1 1000', { db: '' }).series[0].labels).toEqual({ __name__: 'm_v' });
  });

  it('sanitises metric names and label names to Prometheus rules', () => {
    const r = map('http.requests,host-name=a,0zone=b,ünï=c,ok_1=d latency-ms=1,value=2 1000');
    expect(r.series.map((s) => s.labels)).toEqual([
      { __name__: 'http_requests_latency_ms', host_name: 'a', _0zone: 'b', _n_: 'c', ok_1: 'd' },
      { __name__: 'http_requests', host_name: 'a', _0zone: 'b', _n_: 'c', ok_1: 'd' },
    ]);
  });

  it('renames a tag called __name__ to exported___name__ instead of letting it replace the metric name', () => {
    expect(map('m,__name__=evil v=1 1000').series[0].labels).toEqual({ __name__: 'm_v', exported___name__: 'evil' });
  });

  it('lets the later tag win when two tags sanitise to the same label name', () => {
    expect(map('m,a.b=1,a-b=2 v=1 1000').series[0].labels).toEqual({ __name__: 'm_v', a_b: '2' });
  });

  it('uses the server time for lines without timestamps', () => {
    expect(map('m v=1').series[0].timestamps).toEqual([5000]);
  });
});

describe('sanitizeLabelName / sanitizeMetricName', () => {
  it('replaces each invalid code point with _ and prefixes a leading digit', () => {
    expect(sanitizeLabelName('ok_Name9')).toBe('ok_Name9');
    expect(sanitizeLabelName('a:b')).toBe('a_b');
    expect(sanitizeMetricName('a:b')).toBe('a:b');
    expect(sanitizeLabelName('9lives')).toBe('_9lives');
    expect(sanitizeMetricName('1m')).toBe('_1m');
    expect(sanitizeLabelName('🚀x')).toBe('_x');
    expect(sanitizeLabelName('')).toBe('_');
    for (const name of ['a b', 'x.y.z', '€', '__name__', 'tag=1']) {
      expect(sanitizeLabelName(name)).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
      expect(sanitizeMetricName(name)).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
    }
  });
});
