import { describe, expect, it } from 'vitest';
import { pointsToSeries, sanitizeLabelName, sanitizeMetricName } from './series-mapping';
import { parseLineProtocol, type Point } from './line-protocol';

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
    expect(Object.fromEntries(r.series.map((s) => [s.labels.__name__, s.values[0]]))).toEqual({
      m_i: -3,
      m_u: 7,
      m_t: 1,
      m_f: 0,
      m_x: 2.5,
    });
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

describe('pointsToSeries: caches never change a result', () => {
  /** The mapping written plainly: labels, canonical key and lookup per sample, nothing cached. */
  function reference(points: readonly Point[], db: string) {
    const bySeries = new Map<string, { labels: Record<string, string>; timestamps: number[]; values: number[] }>();
    let skippedStrings = 0;
    for (const p of points) {
      const labels: Record<string, string> = {};
      for (let i = 0; i < p.tags.length; i += 2) {
        const name = sanitizeLabelName(p.tags[i]);
        labels[name === '__name__' ? 'exported___name__' : name] = p.tags[i + 1];
      }
      if (!('db' in labels) && db !== '') labels.db = db;
      const names = Object.keys(labels).sort();
      p.fieldKeys.forEach((field, f) => {
        if (p.fieldTypes[f] === 'string') {
          skippedStrings++;
          return;
        }
        const metric =
          field === 'value' ? sanitizeMetricName(p.measurement) : `${sanitizeMetricName(p.measurement)}_${sanitizeMetricName(field)}`;
        const key = JSON.stringify([metric, ...names.map((n) => [n, labels[n]])]);
        let batch = bySeries.get(key);
        if (batch === undefined) {
          batch = { labels: { __name__: metric, ...Object.fromEntries(names.map((n) => [n, labels[n]])) }, timestamps: [], values: [] };
          bySeries.set(key, batch);
        }
        batch.timestamps.push(p.timestampMs);
        batch.values.push(p.fieldValues[f]);
      });
    }
    const series = [...bySeries.values()];
    return { series, samples: series.reduce((n, s) => n + s.values.length, 0), skippedStrings };
  }

  it('keeps measurements apart when consecutive points share the tag array and the field-key array', () => {
    const parsed = parseLineProtocol('cpu,h=a v=1 1000\nmem,h=a v=2 1000\ncpu v=3 1000\nmem v=4 1000\ncpu v=5 2000', {
      precision: 'ms',
      now: () => 5_000,
    });
    expect(parsed.points[3].tags).toBe(parsed.points[2].tags);
    expect(parsed.points[3].fieldKeys).toBe(parsed.points[2].fieldKeys);
    expect(pointsToSeries(parsed.points).series).toEqual([
      { labels: { __name__: 'cpu_v', h: 'a' }, timestamps: [1000], values: [1] },
      { labels: { __name__: 'mem_v', h: 'a' }, timestamps: [1000], values: [2] },
      { labels: { __name__: 'cpu_v' }, timestamps: [1000, 2000], values: [3, 5] },
      { labels: { __name__: 'mem_v' }, timestamps: [1000], values: [4] },
    ]);
  });

  it('maps random batches (shared tag sets across measurements, changing field sets, strings) like the plain mapping', () => {
    let seed = 424242;
    const rnd = (k: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % k;
    };
    const pick = (xs: string[]) => xs[rnd(xs.length)];
    for (let round = 0; round < 20; round++) {
      const lines: string[] = [];
      for (let i = 0; i < 400; i++) {
        let line = pick(['cpu', 'mem', 'http.req', 'db']);
        for (const k of ['host', 'a.b', 'a-b', 'db', '__name__']) if (rnd(3) === 0) line += `,${k}=${pick(['x', 'y', 'z'])}`;
        const fields = ['value', 'u', 'v-1', 's', 'w'].filter(() => rnd(2) === 0);
        if (fields.length === 0) fields.push('value');
        line += ` ${fields.map((f) => `${f}=${f === 's' ? '"str"' : pick(['1', '25i', 'true', '-3.5', '"q"'])}`).join(',')} ${1000 + rnd(50)}`;
        lines.push(line);
      }
      const parsed = parseLineProtocol(lines.join('\n'), { precision: 'ms', now: () => 5_000 });
      expect(parsed.errors).toEqual([]);
      const db = round % 2 === 0 ? 'param' : '';
      expect(pointsToSeries(parsed.points, { db })).toEqual(reference(parsed.points, db));
      // The same points with arrays no longer shared between points (as a caller may build them).
      const copies = parsed.points.map((p) => ({ ...p, tags: [...p.tags], fieldKeys: [...p.fieldKeys], fieldTypes: [...p.fieldTypes] }));
      expect(pointsToSeries(copies, { db })).toEqual(reference(parsed.points, db));
    }
  });
});
