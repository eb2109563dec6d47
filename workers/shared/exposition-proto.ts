/**
 * The protobuf exposition format: a stream of varint-length-delimited `io.prometheus.client.MetricFamily`
 * messages (Content-Type `application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily;
 * encoding=delimited`), what client_golang's push package sends to a Pushgateway by default and what
 * client_golang's promhttp serves when asked for it. Schema (prometheus/client_model metrics.proto,
 * proto2), decoded by hand on `@bufbuild/protobuf`'s BinaryReader:
 *
 * ```proto
 * message LabelPair    { string name = 1; string value = 2; }
 * enum MetricType      { COUNTER = 0; GAUGE = 1; SUMMARY = 2; UNTYPED = 3; HISTOGRAM = 4; GAUGE_HISTOGRAM = 5; }
 * message Gauge        { double value = 1; }
 * message Counter      { double value = 1; Exemplar exemplar = 2; Timestamp created_timestamp = 3; }
 * message Quantile     { double quantile = 1; double value = 2; }
 * message Summary      { uint64 sample_count = 1; double sample_sum = 2; repeated Quantile quantile = 3; }
 * message Untyped      { double value = 1; }
 * message Histogram    { uint64 sample_count = 1; double sample_count_float = 4; double sample_sum = 2;
 *                        repeated Bucket bucket = 3; ... native histogram fields 5..16 }
 * message Bucket       { uint64 cumulative_count = 1; double cumulative_count_float = 4; double upper_bound = 2; }
 * message Metric       { repeated LabelPair label = 1; Gauge gauge = 2; Counter counter = 3; Summary summary = 4;
 *                        Untyped untyped = 5; Histogram histogram = 7; int64 timestamp_ms = 6; }
 * message MetricFamily { string name = 1; string help = 2; MetricType type = 3; repeated Metric metric = 4; string unit = 5; }
 * ```
 *
 * The result has the shape of the text parser's ({@link ParsedExposition}), with the samples that the
 * text format would show for the same families (client_golang's expfmt text encoder): summaries as
 * `name{quantile="q"}`, `name_sum`, `name_count`; histograms as `name_bucket{le="b"}` (plus
 * `le="+Inf"` when the message has no such bucket), `name_sum`, `name_count`; quantiles and bounds
 * formatted as Go's `strconv.FormatFloat(v, 'g', -1, 64)`. Native histogram fields, exemplars and
 * created timestamps are skipped (unknown fields too, as protobuf requires).
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { ExpositionError, type ExpositionSample, type MetricFamily, type MetricType, type ParsedExposition } from './exposition';

/** The Content-Type of a delimited protobuf exposition, without parameters. */
export const PROTOBUF_EXPOSITION_TYPE = 'application/vnd.google.protobuf';

/** True for a Content-Type naming the delimited MetricFamily protobuf format. */
export function isProtobufExposition(contentType: string): boolean {
  const [type, ...params] = contentType.split(';').map((p) => p.trim().toLowerCase());
  if (type !== PROTOBUF_EXPOSITION_TYPE) return false;
  const get = (name: string) => params.find((p) => p.startsWith(`${name}=`))?.slice(name.length + 1).replace(/^"|"$/g, '');
  return get('proto') === 'io.prometheus.client.metricfamily' && get('encoding') === 'delimited';
}

/** Options of {@link parseProtobufExposition}. */
export interface ParseProtobufOptions {
  /** Stop with an error (`code: 'sample_limit'`) once more samples than this are produced. */
  sampleLimit?: number;
}

const TYPES: Record<number, MetricType> = { 0: 'counter', 1: 'gauge', 2: 'summary', 3: 'unknown', 4: 'histogram', 5: 'gaugehistogram' };
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

interface RawMetric {
  labels: string[];
  value: number | undefined;
  quantiles: [number, number][];
  count: number | undefined;
  sum: number | undefined;
  buckets: [number, number][];
  hasTimestamp: boolean;
}

/**
 * Decodes a delimited protobuf exposition. Throws {@link ExpositionError} (its `line` is the 1-based
 * index of the MetricFamily message) for a malformed message, an unknown metric type, an empty or
 * duplicated name, or a label name used twice in one metric.
 */
export function parseProtobufExposition(bytes: Uint8Array, opts: ParseProtobufOptions = {}): ParsedExposition {
  const limit = opts.sampleLimit ?? Number.POSITIVE_INFINITY;
  const families: MetricFamily[] = [];
  const seen = new Set<string>();
  let samples = 0;
  const reader = new BinaryReader(bytes);
  let index = 0;
  while (reader.pos < reader.len) {
    index++;
    let message: Uint8Array;
    try {
      message = reader.bytes();
    } catch {
      throw new ExpositionError(index, 'truncated MetricFamily message');
    }
    let family: MetricFamily;
    try {
      family = decodeFamily(message, index);
    } catch (e) {
      if (e instanceof ExpositionError) throw e;
      throw new ExpositionError(index, `invalid MetricFamily message: ${(e as Error).message}`);
    }
    if (seen.has(family.name)) throw new ExpositionError(index, `second MetricFamily for ${JSON.stringify(family.name)}`);
    seen.add(family.name);
    samples += family.samples.length;
    if (samples > limit) throw new ExpositionError(index, `more than ${limit} samples`, 'sample_limit');
    families.push(family);
  }
  return { families, samples };
}

function text(r: BinaryReader, index: number, what: string): string {
  try {
    return utf8.decode(r.bytes());
  } catch {
    throw new ExpositionError(index, `${what} is not valid UTF-8`);
  }
}

function decodeFamily(bytes: Uint8Array, index: number): MetricFamily {
  const r = new BinaryReader(bytes);
  let name = '';
  let help: string | undefined;
  let unit: string | undefined;
  let typeCode = 3;
  const metrics: RawMetric[] = [];
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no === 1 && wt === WireType.LengthDelimited) name = text(r, index, 'the family name');
    else if (no === 2 && wt === WireType.LengthDelimited) help = text(r, index, 'the help text');
    else if (no === 3 && wt === WireType.Varint) typeCode = r.int32();
    else if (no === 4 && wt === WireType.LengthDelimited) metrics.push(decodeMetric(r.bytes(), index));
    else if (no === 5 && wt === WireType.LengthDelimited) unit = text(r, index, 'the unit');
    else r.skip(wt, no);
  }
  if (name === '') throw new ExpositionError(index, 'MetricFamily without a name');
  const type = TYPES[typeCode];
  if (type === undefined) throw new ExpositionError(index, `unknown metric type ${typeCode} for ${JSON.stringify(name)}`);
  const samples: ExpositionSample[] = [];
  const add = (sampleName: string, labels: string[], value: number, hasTimestamp: boolean): void => {
    samples.push({ name: sampleName, labels, value, timestampMs: undefined, hasTimestamp });
  };
  for (const m of metrics) {
    if (type === 'summary') {
      for (const [q, v] of m.quantiles) add(name, [...m.labels, 'quantile', formatGoFloat(q)], v, m.hasTimestamp);
      add(`${name}_sum`, m.labels, m.sum ?? 0, m.hasTimestamp);
      add(`${name}_count`, m.labels, m.count ?? 0, m.hasTimestamp);
    } else if (type === 'histogram' || type === 'gaugehistogram') {
      let inf = false;
      for (const [bound, count] of m.buckets) {
        if (bound === Number.POSITIVE_INFINITY) inf = true;
        add(`${name}_bucket`, [...m.labels, 'le', formatGoFloat(bound)], count, m.hasTimestamp);
      }
      if (!inf) add(`${name}_bucket`, [...m.labels, 'le', '+Inf'], m.count ?? 0, m.hasTimestamp);
      add(`${name}_sum`, m.labels, m.sum ?? 0, m.hasTimestamp);
      add(`${name}_count`, m.labels, m.count ?? 0, m.hasTimestamp);
    } else {
      add(name, m.labels, m.value ?? 0, m.hasTimestamp);
    }
  }
  return { name, type, help, unit, declared: true, samples };
}

function decodeMetric(bytes: Uint8Array, index: number): RawMetric {
  const r = new BinaryReader(bytes);
  const m: RawMetric = { labels: [], value: undefined, quantiles: [], count: undefined, sum: undefined, buckets: [], hasTimestamp: false };
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no === 1 && wt === WireType.LengthDelimited) {
      const l = new BinaryReader(r.bytes());
      let labelName = '';
      let labelValue = '';
      while (l.pos < l.len) {
        const [ln, lw] = l.tag();
        if (ln === 1 && lw === WireType.LengthDelimited) labelName = text(l, index, 'a label name');
        else if (ln === 2 && lw === WireType.LengthDelimited) labelValue = text(l, index, 'a label value');
        else l.skip(lw, ln);
      }
      if (labelName === '') throw new ExpositionError(index, 'a label without a name');
      for (let i = 0; i < m.labels.length; i += 2) {
        if (m.labels[i] === labelName) throw new ExpositionError(index, `label ${JSON.stringify(labelName)} twice in one metric`);
      }
      m.labels.push(labelName, labelValue);
    } else if ((no === 2 || no === 3 || no === 5) && wt === WireType.LengthDelimited) {
      // Gauge, Counter, Untyped: the value is field 1 (double).
      const v = new BinaryReader(r.bytes());
      while (v.pos < v.len) {
        const [vn, vw] = v.tag();
        if (vn === 1 && vw === WireType.Bit64) m.value = v.double();
        else v.skip(vw, vn);
      }
    } else if (no === 4 && wt === WireType.LengthDelimited) {
      const s = new BinaryReader(r.bytes());
      while (s.pos < s.len) {
        const [sn, sw] = s.tag();
        if (sn === 1 && sw === WireType.Varint) m.count = Number(s.uint64());
        else if (sn === 2 && sw === WireType.Bit64) m.sum = s.double();
        else if (sn === 3 && sw === WireType.LengthDelimited) m.quantiles.push(pair(s.bytes(), 1, 2));
        else s.skip(sw, sn);
      }
    } else if (no === 7 && wt === WireType.LengthDelimited) {
      const h = new BinaryReader(r.bytes());
      let countFloat: number | undefined;
      while (h.pos < h.len) {
        const [hn, hw] = h.tag();
        if (hn === 1 && hw === WireType.Varint) m.count = Number(h.uint64());
        else if (hn === 4 && hw === WireType.Bit64) countFloat = h.double();
        else if (hn === 2 && hw === WireType.Bit64) m.sum = h.double();
        else if (hn === 3 && hw === WireType.LengthDelimited) m.buckets.push(bucket(h.bytes()));
        else h.skip(hw, hn);
      }
      // A float histogram carries its counts as doubles (expfmt prefers them when set).
      if (countFloat !== undefined && countFloat > 0) m.count = countFloat;
    } else if (no === 6 && wt === WireType.Varint) {
      r.int64();
      m.hasTimestamp = true;
    } else r.skip(wt, no);
  }
  return m;
}

/** Two doubles of a small message (Quantile: quantile = 1, value = 2). */
function pair(bytes: Uint8Array, first: number, second: number): [number, number] {
  const r = new BinaryReader(bytes);
  let a = 0;
  let b = 0;
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no === first && wt === WireType.Bit64) a = r.double();
    else if (no === second && wt === WireType.Bit64) b = r.double();
    else r.skip(wt, no);
  }
  return [a, b];
}

/** A histogram bucket: [upper_bound, cumulative count (the float count when set)]. */
function bucket(bytes: Uint8Array): [number, number] {
  const r = new BinaryReader(bytes);
  let bound = 0;
  let count = 0;
  let countFloat: number | undefined;
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no === 1 && wt === WireType.Varint) count = Number(r.uint64());
    else if (no === 4 && wt === WireType.Bit64) countFloat = r.double();
    else if (no === 2 && wt === WireType.Bit64) bound = r.double();
    else r.skip(wt, no);
  }
  return [bound, countFloat !== undefined && countFloat > 0 ? countFloat : count];
}

/**
 * Go's `strconv.FormatFloat(v, 'g', -1, 64)` as expfmt's `writeFloat` uses it for `le` and `quantile`
 * (with its special cases: `+Inf`, `-Inf`, `NaN`, and -0 written as `0`): the shortest digits that
 * round-trip, in exponent form (`1e+06`, `2.5e-07`: at least two exponent digits) when the decimal
 * exponent is below -4 or at least 6 — strconv's rule for the shortest form.
 */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  if (v === 0) return '0';
  // Shortest round-trip digits and decimal exponent: JavaScript's toExponential() without a
  // precision gives exactly those digits.
  const [mantissa, expText] = v.toExponential().split('e');
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace(/^-/, '').replace('.', '');
  const exp = Number(expText);
  let out: string;
  if (exp < -4 || exp >= 6) {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const e = Math.abs(exp);
    out = `${digits[0]}${frac}e${exp < 0 ? '-' : '+'}${e < 10 ? `0${e}` : e}`;
  } else if (exp < 0) {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else if (digits.length <= exp + 1) {
    out = digits + '0'.repeat(exp + 1 - digits.length);
  } else {
    out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return negative ? `-${out}` : out;
}
