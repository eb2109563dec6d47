/**
 * Fuzz inputs for the wire formats (fast-check arbitraries), shared by the parser fuzzing
 * (parsers.fuzz.test.ts, in Node) and the ingest endpoints' fuzzing (test/metrics/ingest.fuzz.test.ts, in workerd):
 * valid documents with random edits, random sequences of the format's tokens, random characters or bytes, and
 * tokens repeated tens of thousands of times (for super-linear time).
 */
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import { compress } from 'snappyjs';
import { encodeWriteRequest, type WireTimeSeriesInput } from '../remote-write/protobuf';

/** Edits applied in order: at a position (mod length + 1), delete some characters and insert a piece. */
function edited(bases: readonly string[], pieces: readonly string[]): fc.Arbitrary<string> {
  const edit = fc.record({ at: fc.nat(), del: fc.nat({ max: 6 }), insert: fc.constantFrom(...pieces) });
  return fc.tuple(fc.constantFrom(...bases), fc.array(edit, { maxLength: 6 })).map(([base, edits]) => {
    let s = base;
    for (const e of edits) {
      const at = e.at % (s.length + 1);
      s = s.slice(0, at) + e.insert + s.slice(at + e.del);
    }
    return s;
  });
}

/** A piece repeated 1,000 to 60,000 times, inside a valid document. */
function repeated(bases: readonly string[], pieces: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...bases), fc.constantFrom(...pieces), fc.integer({ min: 1000, max: 60_000 }), fc.nat())
    .map(([base, piece, n, at]) => {
      const i = at % (base.length + 1);
      return base.slice(0, i) + piece.repeat(n) + base.slice(i);
    });
}

/** Documents of a text format: edited, token soup, any characters, or a piece repeated. */
function textDocuments(bases: readonly string[], pieces: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: edited(bases, pieces) },
    { weight: 3, arbitrary: fc.array(fc.constantFrom(...pieces), { maxLength: 80 }).map((a) => a.join('')) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
    { weight: 1, arbitrary: repeated(bases, pieces) },
  );
}

/** Byte edits of an encoded message: flips, cuts, insertions (a varint's continuation bytes among them). */
function editedBytes(bases: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  const edit = fc.record({
    at: fc.nat(),
    del: fc.nat({ max: 4 }),
    insert: fc.oneof(
      fc.uint8Array({ maxLength: 6 }),
      fc.constant(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])),
    ),
  });
  return fc.tuple(bases, fc.array(edit, { maxLength: 5 })).map(([base, edits]) => {
    let b = base;
    for (const e of edits) {
      const at = e.at % (b.length + 1);
      const next = new Uint8Array(b.length - Math.min(e.del, b.length - at) + e.insert.length);
      next.set(b.subarray(0, at), 0);
      next.set(e.insert, at);
      next.set(b.subarray(at + e.del), at + e.insert.length);
      b = next;
    }
    return b;
  });
}

// ---- Prometheus text 0.0.4 and OpenMetrics ----

const TEXT_BASES = [
  `# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000
msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9
metric_without_timestamp_and_labels 12.47
# TYPE h histogram
h_bucket{le="0.05"} 24054
h_bucket{le="+Inf"} 144320
h_sum 53423
h_count 144320
# TYPE s summary
s{quantile="0.5"} 4773
s_sum 1.7560473e+07
s_count 2693
`,
  `# TYPE acme_http_router_request_seconds summary
# UNIT acme_http_router_request_seconds seconds
# HELP acme_http_router_request_seconds Latency though all of ACME's HTTP request router.
acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 9036.32
acme_http_router_request_seconds_count{path="/api/v1",method="GET"} 807283.0
acme_http_router_request_seconds_created{path="/api/v1",method="GET"} 1605281325.0
# TYPE foo counter
foo_total 17.0 1520879607.789 # {trace_id="KOO5S4vxi0o"} 0.67
# TYPE st stateset
st{st="a"} 1
# TYPE i info
i_info{name="pretty name",version="8.2.7"} 1
# EOF
`,
  `{"utf8.name", "a b"="c"} 1\n`,
];
const TEXT_PIECES = [
  '# HELP ',
  '# TYPE ',
  '# UNIT ',
  '# EOF',
  '# EOF\n',
  '#',
  'm',
  'm_total',
  '_bucket',
  '_created',
  '{',
  '}',
  '=',
  '"',
  '\\',
  '\\"',
  '\\n',
  ',',
  ' ',
  '\t',
  '\n',
  '\r',
  'le="+Inf"',
  'quantile="0.5"',
  '{a="b"}',
  '1',
  '-1.5e3',
  '1e309',
  'NaN',
  '+Inf',
  '-inf',
  '0x1p3',
  '1_000',
  '.',
  '1700000000',
  '1700000000.5',
  '9223372036854775808',
  '-3982045',
  'counter',
  'gauge',
  'histogram',
  'summary',
  'untyped',
  'unknown',
  'info',
  'stateset',
  'gaugehistogram',
  ' # {trace_id="a"} 1 1',
  'é',
  '\u0000',
  '\uFFFD',
  '\ud800',
  '"a.b"',
];

/** Prometheus text 0.0.4 / OpenMetrics documents. */
export const expositionTexts: fc.Arbitrary<string> = textDocuments(TEXT_BASES, TEXT_PIECES);

// ---- Influx line protocol ----

const LINE_BASES = [
  'cpu,host=a,region=eu usage_user=12.5,usage_system=3i,ok=true,note="x y" 1732492800000000000\nmem free=1024u\n',
  'weather,location=us\\,midwest temperature=82 1465839830100400200\n# comment\n\nm\\ x,t\\=k=v\\ w f="a\\"b\\\\c",g=-1.5e3,h=F\r\n',
  // Without timestamps (the server's time), so that the ingest fuzzing also stores some.
  'cpu,host=a usage=1,idle=2i,ok=t\nmem,host=b free=1024u,used=-0.5\n',
];
const LINE_PIECES = [
  'cpu',
  ',',
  '=',
  ' ',
  '\\',
  '\\ ',
  '\\,',
  '\\=',
  '"',
  '\\"',
  'host',
  'value',
  '1',
  '1i',
  '1u',
  '-1',
  '-0',
  '.5',
  't',
  'true',
  'F',
  'FALSE',
  '1e308',
  '1e309',
  'NaN',
  'inf',
  '9223372036854775807i',
  '9223372036854775808i',
  '18446744073709551616u',
  '\n',
  '\r\n',
  '#',
  '1700000000000000000',
  '-9223372036854775806',
  '99999999999999999999',
  '-',
  'é',
  '\u0000',
  '\ud800',
];

const encoder = new TextEncoder();

/** Line-protocol bodies, as text or bytes (some not valid UTF-8). */
export const lineProtocolBodies: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 5, arbitrary: textDocuments(LINE_BASES, LINE_PIECES) },
  { weight: 2, arbitrary: textDocuments(LINE_BASES, LINE_PIECES).map((s) => encoder.encode(s)) },
  { weight: 1, arbitrary: editedBytes(fc.constantFrom(...LINE_BASES.map((s) => encoder.encode(s)))) },
);

// ---- delimited protobuf exposition (io.prometheus.client.MetricFamily) ----

const label = fc.tuple(fc.constantFrom('a', 'le', 'quantile', '', 'é'), fc.constantFrom('x', '', '0.5', '+Inf', '\u0000'));
const metricBytes = fc
  .record({
    labels: fc.array(label, { maxLength: 3 }),
    kind: fc.constantFrom(2, 3, 4, 5, 7, 99),
    value: fc.double(),
    count: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    buckets: fc.array(fc.tuple(fc.double(), fc.bigInt({ min: 0n, max: 2n ** 63n })), { maxLength: 3 }),
    timestamp: fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { nil: undefined }),
  })
  .map((m) => {
    const w = new BinaryWriter();
    for (const [n, v] of m.labels) w.tag(1, 2).fork().tag(1, 2).string(n).tag(2, 2).string(v).join();
    const inner = new BinaryWriter();
    if (m.kind === 4) {
      inner.tag(1, 0).uint64(m.count).tag(2, 1).double(m.value);
      for (const [q, v] of m.buckets) inner.tag(3, 2).fork().tag(1, 1).double(q).tag(2, 1).double(Number(v)).join();
    } else if (m.kind === 7) {
      inner.tag(1, 0).uint64(m.count).tag(2, 1).double(m.value);
      for (const [ub, c] of m.buckets) inner.tag(3, 2).fork().tag(1, 0).uint64(c).tag(2, 1).double(ub).join();
    } else inner.tag(1, 1).double(m.value);
    w.tag(m.kind, 2).bytes(inner.finish());
    if (m.timestamp !== undefined) w.tag(6, 0).int64(m.timestamp);
    return w.finish();
  });
const familyBytes = fc
  .record({
    name: fc.constantFrom('m', 'm_total', '', 'é', 'a.b'),
    help: fc.option(fc.constantFrom('help', ''), { nil: undefined }),
    type: fc.constantFrom(0, 1, 2, 3, 4, 5, 6, -1),
    metrics: fc.array(metricBytes, { maxLength: 4 }),
  })
  .map((f) => {
    const w = new BinaryWriter().tag(1, 2).string(f.name);
    if (f.help !== undefined) w.tag(2, 2).string(f.help);
    w.tag(3, 0).int32(f.type);
    for (const m of f.metrics) w.tag(4, 2).bytes(m);
    return w.finish();
  });
const delimited = fc.array(familyBytes, { maxLength: 4 }).map((families) => {
  const w = new BinaryWriter();
  for (const f of families) w.bytes(f);
  return w.finish();
});

/** Delimited protobuf expositions: well formed, edited, or random bytes. */
export const protobufExpositions: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 2, arbitrary: delimited },
  { weight: 3, arbitrary: editedBytes(delimited) },
  fc.uint8Array({ maxLength: 200 }),
);

// ---- remote_write 1.0 (snappy block + prometheus.WriteRequest) ----

const timeseries: fc.Arbitrary<WireTimeSeriesInput> = fc.record({
  labels: fc.array(
    fc.record({ name: fc.constantFrom('__name__', 'job', 'a', '0bad', '', 'é'), value: fc.constantFrom('up', '', 'x', 'é', '\u0000') }),
    { maxLength: 4 },
  ),
  samples: fc.array(
    fc.record({
      value: fc.oneof(fc.double(), fc.constant(Number.NaN)),
      timestamp: fc.oneof(
        fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
        fc.constantFrom(0, 8.64e15 + 1, 9e15, -9e15),
        // Within a store's default time window (now − 1 h .. now), so that the ingest fuzzing also stores some.
        fc.integer({ min: Date.now() - 3_600_000, max: Date.now() }),
      ),
      stale: fc.boolean(),
    }),
    { maxLength: 4 },
  ),
});
const writeRequest = fc.array(timeseries, { maxLength: 5 }).map((ts) => encodeWriteRequest({ timeseries: ts }));

/** remote_write bodies: snappy of well-formed or edited protobuf, edited snappy, random bytes. */
export const remoteWriteBodies: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 2, arbitrary: writeRequest.map((b) => compress(b)) },
  { weight: 3, arbitrary: editedBytes(writeRequest).map((b) => compress(b)) },
  { weight: 3, arbitrary: editedBytes(writeRequest.map((b) => compress(b))) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
);
