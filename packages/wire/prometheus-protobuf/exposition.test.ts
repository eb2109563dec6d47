import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { describe, expect, it } from 'vitest';
import { formatGoFloat, isProtobufExposition, parseProtobufExposition } from './exposition';

// Messages built field by field on BinaryWriter, numbered as in client_model's metrics.proto.
type Labels = [string, string][];
const labelPairs = (w: BinaryWriter, labels: Labels) => {
  for (const [n, v] of labels) w.tag(1, 2).fork().tag(1, 2).string(n).tag(2, 2).string(v).join();
};
const double = (field: number, v: number) => new BinaryWriter().tag(field, 1).double(v).finish();

function metric(labels: Labels, body: (w: BinaryWriter) => void, timestampMs?: number): Uint8Array {
  const w = new BinaryWriter();
  labelPairs(w, labels);
  body(w);
  if (timestampMs !== undefined) w.tag(6, 0).int64(timestampMs);
  return w.finish();
}
function family(name: string, type: number, metrics: Uint8Array[], help?: string): Uint8Array {
  const w = new BinaryWriter().tag(1, 2).string(name);
  if (help !== undefined) w.tag(2, 2).string(help);
  w.tag(3, 0).int32(type);
  for (const m of metrics) w.tag(4, 2).bytes(m);
  return w.finish();
}
function delimited(...families: Uint8Array[]): Uint8Array {
  const w = new BinaryWriter();
  for (const f of families) w.bytes(f);
  return w.finish();
}
const flat = (r: ReturnType<typeof parseProtobufExposition>) =>
  r.families.flatMap((f) => f.samples.map((s) => [s.name, s.labels.join(','), s.value]));

describe('parseProtobufExposition (delimited io.prometheus.client.MetricFamily)', () => {
  it('reads counters, gauges and untyped metrics with their labels, help and type', () => {
    const r = parseProtobufExposition(
      delimited(
        family('jobs_total', 0, [metric([['queue', 'a']], (w) => w.tag(3, 2).bytes(double(1, 12)))], 'Jobs done.'),
        family('temperature', 1, [metric([], (w) => w.tag(2, 2).bytes(double(1, -3.5)))]),
        family('raw', 3, [metric([['x', 'é']], (w) => w.tag(5, 2).bytes(double(1, Number.NaN)))]),
      ),
    );
    expect(r.families.map((f) => [f.name, f.type, f.help])).toEqual([
      ['jobs_total', 'counter', 'Jobs done.'],
      ['temperature', 'gauge', undefined],
      ['raw', 'unknown', undefined],
    ]);
    expect(flat(r)).toEqual([
      ['jobs_total', 'queue,a', 12],
      ['temperature', '', -3.5],
      ['raw', 'x,é', Number.NaN],
    ]);
    expect(r.samples).toBe(3);
  });

  it('expands summaries and histograms the way the text format shows them (le/quantile as Go formats them, +Inf added)', () => {
    const quantile = (q: number, v: number) => new BinaryWriter().tag(1, 1).double(q).tag(2, 1).double(v).finish();
    const summary = new BinaryWriter()
      .tag(1, 0)
      .uint64(7)
      .tag(2, 1)
      .double(1.5)
      .tag(3, 2)
      .bytes(quantile(0.5, 0.2))
      .tag(3, 2)
      .bytes(quantile(0.99, 0.9))
      .finish();
    const bucketMsg = (ub: number, c: number) => new BinaryWriter().tag(1, 0).uint64(c).tag(2, 1).double(ub).finish();
    const histogram = new BinaryWriter()
      .tag(1, 0)
      .uint64(10)
      .tag(2, 1)
      .double(4.25)
      .tag(3, 2)
      .bytes(bucketMsg(0.005, 1))
      .tag(3, 2)
      .bytes(bucketMsg(1e6, 9))
      .finish();
    const r = parseProtobufExposition(
      delimited(
        family('rpc_seconds', 2, [metric([['m', 'get']], (w) => w.tag(4, 2).bytes(summary))]),
        family('size_bytes', 4, [metric([], (w) => w.tag(7, 2).bytes(histogram))]),
      ),
    );
    expect(flat(r)).toEqual([
      ['rpc_seconds', 'm,get,quantile,0.5', 0.2],
      ['rpc_seconds', 'm,get,quantile,0.99', 0.9],
      ['rpc_seconds_sum', 'm,get', 1.5],
      ['rpc_seconds_count', 'm,get', 7],
      ['size_bytes_bucket', 'le,0.005', 1],
      ['size_bytes_bucket', 'le,1e+06', 9],
      ['size_bytes_bucket', 'le,+Inf', 10],
      ['size_bytes_sum', '', 4.25],
      ['size_bytes_count', '', 10],
    ]);
  });

  it('flags samples that carry a timestamp, skips unknown fields, and reads an empty body as no families', () => {
    const withUnknown = new BinaryWriter()
      .tag(1, 2)
      .string('g')
      .tag(3, 0)
      .int32(1)
      .tag(9, 2)
      .string('future field')
      .tag(4, 2)
      .bytes(metric([], (w) => w.tag(2, 2).bytes(double(1, 1)), 1_700_000_000_000))
      .finish();
    const r = parseProtobufExposition(delimited(withUnknown));
    expect(r.families[0].samples[0]).toMatchObject({ name: 'g', value: 1, hasTimestamp: true, timestampMs: 1_700_000_000_000 });
    expect(parseProtobufExposition(new Uint8Array(0))).toEqual({ families: [], samples: 0 });
  });

  it('refuses malformed input with the index of the message', () => {
    const good = family('a', 1, [metric([], (w) => w.tag(2, 2).bytes(double(1, 1)))]);
    const cases: [Uint8Array, RegExp][] = [
      [delimited(good).subarray(0, 5), /^line 1: truncated MetricFamily message/],
      [delimited(good, family('', 1, [])), /^line 2: MetricFamily without a name/],
      [delimited(good, family('b', 9, [])), /^line 2: unknown metric type 9/],
      [delimited(good, good), /^line 2: second MetricFamily for "a"/],
      [
        delimited(
          family('c', 1, [
            metric(
              [
                ['x', '1'],
                ['x', '2'],
              ],
              () => undefined,
            ),
          ]),
        ),
        /label "x" twice/,
      ],
      [
        delimited(
          new BinaryWriter()
            .tag(1, 2)
            .bytes(new Uint8Array([0xff, 0xfe]))
            .finish(),
        ),
        /not valid UTF-8/,
      ],
    ];
    for (const [bytes, message] of cases) expect(() => parseProtobufExposition(bytes)).toThrow(message);
  });

  it('stops at the sample limit with the sample_limit code', () => {
    const body = delimited(
      family(
        'a',
        1,
        Array.from({ length: 3 }, (_, i) => metric([['i', String(i)]], (w) => w.tag(2, 2).bytes(double(1, i)))),
      ),
    );
    expect(parseProtobufExposition(body, { sampleLimit: 3 }).samples).toBe(3);
    expect(() => parseProtobufExposition(body, { sampleLimit: 2 })).toThrow(expect.objectContaining({ code: 'sample_limit' }));
  });

  it('recognises the content type client_golang sends, and only it', () => {
    expect(isProtobufExposition('application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited')).toBe(true);
    expect(isProtobufExposition('application/vnd.google.protobuf;encoding=delimited;proto="io.prometheus.client.MetricFamily"')).toBe(true);
    expect(isProtobufExposition('application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=text')).toBe(false);
    expect(isProtobufExposition('text/plain; version=0.0.4')).toBe(false);
  });
});

describe("formatGoFloat (strconv.FormatFloat(v, 'g', -1, 64) with expfmt special cases)", () => {
  it('matches Go on the usual bucket bounds and quantiles', () => {
    const cases: [number, string][] = [
      [0, '0'],
      [-0, '0'],
      [1, '1'],
      [0.25, '0.25'],
      [0.005, '0.005'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [2.5e-7, '2.5e-07'],
      [100000, '100000'],
      [123456.7, '123456.7'],
      [1e6, '1e+06'],
      [1234567, '1.234567e+06'],
      [1e21, '1e+21'],
      [1.5e100, '1.5e+100'],
      [-0.5, '-0.5'],
      [Number.POSITIVE_INFINITY, '+Inf'],
      [Number.NEGATIVE_INFINITY, '-Inf'],
      [Number.NaN, 'NaN'],
      [0.1 + 0.2, '0.30000000000000004'],
    ];
    for (const [v, text] of cases) expect(formatGoFloat(v), String(v)).toBe(text);
  });
});
