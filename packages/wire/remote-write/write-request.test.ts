import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { compress, uncompress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import type { SeriesBatch } from '@pushpull/contracts/metrics';
import { decodeRemoteWrite, encodeRemoteWrite, snappyUncompressedLength } from './write-request';
import { decodeWriteRequest, encodeWriteRequest, type WireLabel, type WireSample } from './protobuf';

const LIMIT = { maxDecompressedBytes: 1 << 20 };

function body(timeseries: { labels: WireLabel[]; samples: WireSample[] }[]): Uint8Array {
  return compress(encodeWriteRequest({ timeseries }));
}

const sample = (value: number, timestamp: number, stale = false): WireSample => ({ value, timestamp, stale });
const labels = (...pairs: string[]): WireLabel[] => {
  const out: WireLabel[] = [];
  for (let i = 0; i < pairs.length; i += 2) out.push({ name: pairs[i], value: pairs[i + 1] });
  return out;
};

describe('encodeRemoteWrite / decodeRemoteWrite round trip', () => {
  it('keeps labels, timestamps and values, including NaN, ±Inf, -0 and staleness markers', () => {
    const series: SeriesBatch[] = [
      {
        labels: { __name__: 'up', job: 'node', instance: 'h:9100' },
        timestamps: [1_700_000_000_000, 1_700_000_015_000, 1_700_000_030_000, 1_700_000_045_000, 1_700_000_060_000, 1_700_000_075_000],
        values: [1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, -0],
        staleAt: [4],
      },
      {
        labels: { __name__: 'old', a: 'é "quoted" \\ \n' },
        timestamps: [-1000, 0, 2 ** 52],
        values: [Number.MAX_VALUE, Number.MIN_VALUE, 0.1],
      },
    ];
    const r = decodeRemoteWrite(encodeRemoteWrite(series), LIMIT);
    expect(r.errors).toEqual([]);
    expect(r.refused).toBeUndefined();
    expect(r.samples).toBe(9);
    expect(r.series).toHaveLength(2);
    expect(r.series[0].labels).toEqual(series[0].labels);
    expect(r.series[0].timestamps).toEqual(series[0].timestamps);
    expect(r.series[0].values.map((v) => (Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : v))).toEqual([
      1,
      'NaN',
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      'NaN',
      '-0',
    ]);
    // Only the staleness marker is reported as stale; the ordinary NaN at index 1 is not.
    expect(r.series[0].staleAt).toEqual([4]);
    expect(r.series[1]).toEqual(series[1]);
    expect(r.series[1].staleAt).toBeUndefined();
  });

  it('writes the staleness marker with its exact bits 0x7ff0000000000002, and an ordinary NaN without them', () => {
    const raw = uncompress(
      encodeRemoteWrite([{ labels: { __name__: 'x' }, timestamps: [1, 2], values: [Number.NaN, Number.NaN], staleAt: [1] }]),
    );
    const hex = Buffer.from(raw).toString('hex');
    expect(hex).toContain('0200000000 00f07f'.replace(' ', ''));
    expect(hex.split('020000000000f07f')).toHaveLength(2); // exactly once
  });

  it('reads int64 timestamps exactly across the varint sizes, negative ones included', () => {
    const timestamps = [
      0,
      1,
      127,
      128,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32,
      1_700_000_000_000,
      2 ** 53 - 1,
      -1,
      -128,
      -(2 ** 31),
      -(2 ** 32) - 1,
      -1_700_000_000_000,
      -(2 ** 53 - 1),
    ];
    const r = decodeRemoteWrite(encodeRemoteWrite([{ labels: { __name__: 't' }, timestamps, values: timestamps.map(() => 1) }]), LIMIT);
    expect(r.series[0].timestamps).toEqual(timestamps);
  });

  it('sorts labels by name on the wire, as the spec requires of senders', () => {
    const raw = uncompress(encodeRemoteWrite([{ labels: { zeta: '1', __name__: 'm', alpha: '2' }, timestamps: [1], values: [1] }]));
    expect(decodeWriteRequest(raw).timeseries[0].labels.map((l) => l.name)).toEqual(['__name__', 'alpha', 'zeta']);
  });

  it('reads the staleness marker from the raw bits even when the sample was written by hand', () => {
    const w = new BinaryWriter();
    w.tag(1, WireType.LengthDelimited).fork();
    w.tag(1, WireType.LengthDelimited)
      .fork()
      .tag(1, WireType.LengthDelimited)
      .string('__name__')
      .tag(2, WireType.LengthDelimited)
      .string('m')
      .join();
    // Sample with timestamp before value, and the value field repeated: the last one wins (protobuf rule).
    w.tag(2, WireType.LengthDelimited).fork();
    w.tag(2, WireType.Varint).int64(42);
    w.tag(1, WireType.Bit64).double(7);
    w.tag(1, WireType.Bit64).raw(new Uint8Array([2, 0, 0, 0, 0, 0, 0xf0, 0x7f]));
    w.join();
    w.join();
    const r = decodeRemoteWrite(compress(w.finish()), LIMIT);
    expect(r.series).toEqual([{ labels: { __name__: 'm' }, timestamps: [42], values: [Number.NaN], staleAt: [0] }]);
  });
});

describe('decodeRemoteWrite: validation like the Prometheus receiver', () => {
  it('refuses a series with an invalid label name and keeps the valid ones', () => {
    const r = decodeRemoteWrite(
      body([
        { labels: labels('__name__', 'good', 'job', 'a'), samples: [sample(1, 1000)] },
        { labels: labels('0bad', 'x', '__name__', 'bad'), samples: [sample(2, 1000)] },
        { labels: labels('__name__', 'also_good'), samples: [sample(3, 1000)] },
      ]),
      LIMIT,
    );
    expect(r.series.map((s) => s.labels.__name__)).toEqual(['good', 'also_good']);
    expect(r.samples).toBe(2);
    expect(r.errors).toEqual(['series {0bad="x", __name__="bad"}: invalid label name "0bad"']);
  });

  it('refuses invalid metric names, label names with dots or dashes, and a missing __name__', () => {
    const r = decodeRemoteWrite(
      body([
        { labels: labels('__name__', '1abc'), samples: [sample(1, 1)] },
        { labels: labels('__name__', 'a.b'), samples: [sample(1, 1)] },
        { labels: labels('__name__', 'ok', 'a-b', 'x'), samples: [sample(1, 1)] },
        { labels: labels('job', 'x'), samples: [sample(1, 1)] },
        { labels: labels('__name__', 'colons:are:ok', 'under_score9', 'x'), samples: [sample(1, 1)] },
      ]),
      LIMIT,
    );
    expect(r.errors).toEqual([
      'series {__name__="1abc"}: invalid metric name "1abc"',
      'series {__name__="a.b"}: invalid metric name "a.b"',
      'series {__name__="ok", a-b="x"}: invalid label name "a-b"',
      'series {job="x"}: missing metric name (label __name__)',
    ]);
    expect(r.series.map((s) => s.labels)).toEqual([{ __name__: 'colons:are:ok', under_score9: 'x' }]);
  });

  it('accepts unsorted labels (Prometheus sorts them on receipt) and refuses duplicate label names', () => {
    const r = decodeRemoteWrite(
      body([
        { labels: labels('job', 'j', '__name__', 'm', 'a', '1'), samples: [sample(1, 1)] },
        { labels: labels('__name__', 'm', 'job', 'x', 'job', 'y'), samples: [sample(1, 1)] },
      ]),
      LIMIT,
    );
    expect(r.series.map((s) => Object.entries(s.labels))).toEqual([
      [
        ['__name__', 'm'],
        ['a', '1'],
        ['job', 'j'],
      ],
    ]);
    expect(r.errors).toEqual(['series {__name__="m", job="x", job="y"}: duplicate label name "job"']);
  });

  it('drops labels with an empty value (an empty value means no label)', () => {
    const r = decodeRemoteWrite(body([{ labels: labels('__name__', 'm', 'empty', '', 'z', 'v'), samples: [sample(1, 1)] }]), LIMIT);
    expect(r.series[0].labels).toEqual({ __name__: 'm', z: 'v' });
  });

  it('refuses a series whose label is not valid UTF-8', () => {
    const w = new BinaryWriter();
    w.tag(1, WireType.LengthDelimited).fork();
    w.tag(1, WireType.LengthDelimited)
      .fork()
      .tag(1, WireType.LengthDelimited)
      .string('__name__')
      .tag(2, WireType.LengthDelimited)
      .bytes(new Uint8Array([0xff, 0xfe]))
      .join();
    w.tag(2, WireType.LengthDelimited).fork().tag(1, WireType.Bit64).double(1).tag(2, WireType.Varint).int64(1).join();
    w.join();
    const r = decodeRemoteWrite(compress(w.finish()), LIMIT);
    expect(r.series).toEqual([]);
    expect(r.errors).toEqual([expect.stringContaining('invalid UTF-8')]);
  });

  it('decodes metadata, tolerates and counts exemplars, native histograms and unknown fields', () => {
    const w = new BinaryWriter();
    w.tag(3, WireType.LengthDelimited)
      .fork()
      .tag(4, WireType.LengthDelimited)
      .string('metric_family')
      .tag(5, WireType.LengthDelimited)
      .string('help')
      .join();
    w.tag(1, WireType.LengthDelimited).fork();
    w.tag(1, WireType.LengthDelimited)
      .fork()
      .tag(1, WireType.LengthDelimited)
      .string('__name__')
      .tag(2, WireType.LengthDelimited)
      .string('m')
      .join();
    w.tag(2, WireType.LengthDelimited).fork().tag(1, WireType.Bit64).double(5).tag(2, WireType.Varint).int64(10).join();
    w.tag(3, WireType.LengthDelimited).fork().tag(2, WireType.Bit64).double(1).tag(3, WireType.Varint).int64(10).join(); // exemplar
    w.tag(4, WireType.LengthDelimited).fork().tag(1, WireType.Varint).uint64(3).join(); // histogram
    w.tag(15, WireType.Varint).uint32(99); // unknown field
    w.join();
    w.tag(1, WireType.LengthDelimited).fork(); // a series carrying only a histogram: no samples, not an error
    w.tag(1, WireType.LengthDelimited)
      .fork()
      .tag(1, WireType.LengthDelimited)
      .string('__name__')
      .tag(2, WireType.LengthDelimited)
      .string('h')
      .join();
    w.tag(4, WireType.LengthDelimited).fork().tag(1, WireType.Varint).uint64(3).join();
    w.join();
    const r = decodeRemoteWrite(compress(w.finish()), LIMIT);
    expect(r.errors).toEqual([]);
    expect(r.series).toEqual([{ labels: { __name__: 'm' }, timestamps: [10], values: [5] }]);
    expect(r.ignored).toEqual({ exemplars: 1, histograms: 2 });
    // Fields 4 and 5 of MetricMetadata are help and unit (prompb/types.proto); no type = unknown.
    expect(r.metadata).toEqual([{ type: 'unknown', metric: '', help: 'metric_family', unit: 'help' }]);
  });

  it('decodes an empty WriteRequest to no series', () => {
    expect(decodeRemoteWrite(compress(new Uint8Array(0)), LIMIT)).toEqual({
      series: [],
      errors: [],
      samples: 0,
      metadata: [],
      ignored: { exemplars: 0, histograms: 0 },
    });
  });
});

describe('remote_write metadata', () => {
  it('round-trips TYPE/HELP/UNIT of every metric type', () => {
    const metadata = ['counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset', 'unknown'].map((type, i) => ({
      type,
      metric: `m${i}`,
      help: i % 2 ? `help ${i} ✓` : '',
      unit: i === 1 ? 'seconds' : '',
    }));
    const r = decodeRemoteWrite(compress(encodeWriteRequest({ timeseries: [], metadata })), LIMIT);
    expect(r.metadata).toEqual(metadata);
    expect(r.series).toEqual([]);
  });

  it('refuses a MetricMetadata that overruns its length', () => {
    const w = new BinaryWriter();
    w.tag(3, WireType.LengthDelimited).fork().tag(2, WireType.LengthDelimited).string('abc').join();
    const bytes = w.finish();
    bytes[1] = 3; // the message claims 3 bytes; its string field claims 3 more
    expect(decodeRemoteWrite(compress(bytes), LIMIT).refused?.reason).toBe('malformed');
  });
});

describe('decodeRemoteWrite: size limit and malformed bodies', () => {
  const proto = encodeWriteRequest({ timeseries: [{ labels: labels('__name__', 'm'), samples: [sample(1, 1), sample(2, 2)] }] });

  it('accepts a body whose decompressed size is exactly the limit, and refuses one byte more with too_large', () => {
    const compressed = compress(proto);
    expect(snappyUncompressedLength(compressed)).toBe(proto.length);
    expect(decodeRemoteWrite(compressed, { maxDecompressedBytes: proto.length }).series).toHaveLength(1);
    const r = decodeRemoteWrite(compressed, { maxDecompressedBytes: proto.length - 1 });
    expect(r.refused).toEqual({
      reason: 'too_large',
      message: `decompressed body of ${proto.length} bytes exceeds the limit of ${proto.length - 1} bytes`,
    });
    expect(r.series).toEqual([]);
  });

  it('refuses a huge declared length from the prefix alone, before allocating', () => {
    // Length prefix 0xffffffff (4 GiB) followed by nothing: must be refused by the prefix check.
    const lie = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    expect(snappyUncompressedLength(lie)).toBe(0xffffffff);
    expect(decodeRemoteWrite(lie, { maxDecompressedBytes: 100 << 20 }).refused?.reason).toBe('too_large');
  });

  it('refuses bad snappy: bad length prefix, truncated block, length mismatch, copy before the start', () => {
    const compressed = compress(proto);
    const cases: Uint8Array[] = [
      new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), // varint longer than 32 bits
      new Uint8Array([0x80]), // unterminated varint
      compressed.slice(0, compressed.length - 2), // truncated
      Uint8Array.from([compressed[0] + 1, ...compressed.slice(1)]), // declares one byte more than it holds
      new Uint8Array([0x08, 0x01 | (0 << 2), 0x05]), // copy with offset 5 before any output
      new Uint8Array([0x04, 0x0c, 0x61]), // literal of 4 bytes with only 1 present
    ];
    for (const bad of cases) {
      const r = decodeRemoteWrite(bad, LIMIT);
      expect(r.refused?.reason, Buffer.from(bad).toString('hex')).toBe('malformed');
      expect(r.refused?.message).toMatch(/^snappy: /);
    }
  });

  it('refuses a framed-format snappy stream (remote_write uses the block format)', () => {
    const framed = new Uint8Array([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]);
    expect(decodeRemoteWrite(framed, LIMIT).refused?.reason).toBe('malformed');
  });

  it('refuses a truncated protobuf whole, even when an earlier series was complete', () => {
    const two = encodeWriteRequest({
      timeseries: [
        { labels: labels('__name__', 'a'), samples: [sample(1, 1)] },
        { labels: labels('__name__', 'b'), samples: [sample(2, 2)] },
      ],
    });
    for (const cut of [1, 3, 10]) {
      const r = decodeRemoteWrite(compress(two.slice(0, two.length - cut)), LIMIT);
      expect(r.refused?.reason).toBe('malformed');
      expect(r.refused?.message).toMatch(/^invalid protobuf WriteRequest/);
      expect(r.series).toEqual([]);
    }
  });

  it('refuses a protobuf with a wrong wire type for a known field, and random bytes', () => {
    const w = new BinaryWriter().tag(1, WireType.Varint).uint32(5);
    expect(decodeRemoteWrite(compress(w.finish()), LIMIT).refused?.message).toBe(
      'invalid protobuf WriteRequest: wrong wire type 0 for WriteRequest.timeseries',
    );
    expect(decodeRemoteWrite(compress(new Uint8Array([0x0a, 0x05, 0x0a, 0x10, 0x00])), LIMIT).refused?.reason).toBe('malformed');
    expect(decodeRemoteWrite(compress(new TextEncoder().encode('not protobuf at all')), LIMIT).refused?.reason).toBe('malformed');
  });
});
