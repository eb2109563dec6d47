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
import {
  ExpositionError,
  type ExpositionSample,
  type MetricFamily,
  type MetricType,
  type ParsedExposition,
} from '../prometheus-text/exposition';

/** The Content-Type of a delimited protobuf exposition, without parameters. */
const PROTOBUF_EXPOSITION_TYPE = 'application/vnd.google.protobuf';

/** True for a Content-Type naming the delimited MetricFamily protobuf format. */
export function isProtobufExposition(contentType: string): boolean {
  const [type, ...params] = contentType.split(';').map((p) => p.trim().toLowerCase());
  if (type !== PROTOBUF_EXPOSITION_TYPE) return false;
  const get = (name: string) =>
    params
      .find((p) => p.startsWith(`${name}=`))
      ?.slice(name.length + 1)
      .replace(/^"|"$/g, '');
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
  /** `timestamp_ms` when the metric carries one (int64, exact up to ±2^53). */
  timestampMs: number | undefined;
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

/**
 * Calls `read` for each field of a message (its number, wire type and the reader positioned at its
 * value); a field `read` does not consume (it returns false) is skipped, as protobuf requires.
 */
function eachField(bytes: Uint8Array, read: (no: number, wt: WireType, r: BinaryReader) => boolean): void {
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (!read(no, wt, r)) r.skip(wt, no);
  }
}

const LEN = WireType.LengthDelimited;
const F64 = WireType.Bit64;
const VARINT = WireType.Varint;

function decodeFamily(bytes: Uint8Array, index: number): MetricFamily {
  let name = '';
  let help: string | undefined;
  let unit: string | undefined;
  let typeCode = 3;
  const metrics: RawMetric[] = [];
  eachField(bytes, (no, wt, r) => {
    if (no === 1 && wt === LEN) name = text(r, index, 'the family name');
    else if (no === 2 && wt === LEN) help = text(r, index, 'the help text');
    else if (no === 3 && wt === VARINT) typeCode = r.int32();
    else if (no === 4 && wt === LEN) metrics.push(decodeMetric(r.bytes(), index));
    else if (no === 5 && wt === LEN) unit = text(r, index, 'the unit');
    else return false;
    return true;
  });
  if (name === '') throw new ExpositionError(index, 'MetricFamily without a name');
  const type = TYPES[typeCode];
  if (type === undefined) throw new ExpositionError(index, `unknown metric type ${typeCode} for ${JSON.stringify(name)}`);
  const samples: ExpositionSample[] = [];
  const add = (sampleName: string, labels: string[], value: number, timestampMs: number | undefined): void => {
    samples.push({ name: sampleName, labels, value, timestampMs, hasTimestamp: timestampMs !== undefined });
  };
  for (const m of metrics) {
    if (type === 'summary') {
      for (const [q, v] of m.quantiles) add(name, [...m.labels, 'quantile', formatGoFloat(q)], v, m.timestampMs);
      add(`${name}_sum`, m.labels, m.sum ?? 0, m.timestampMs);
      add(`${name}_count`, m.labels, m.count ?? 0, m.timestampMs);
    } else if (type === 'histogram' || type === 'gaugehistogram') {
      let inf = false;
      for (const [bound, count] of m.buckets) {
        if (bound === Number.POSITIVE_INFINITY) inf = true;
        add(`${name}_bucket`, [...m.labels, 'le', formatGoFloat(bound)], count, m.timestampMs);
      }
      if (!inf) add(`${name}_bucket`, [...m.labels, 'le', '+Inf'], m.count ?? 0, m.timestampMs);
      add(`${name}_sum`, m.labels, m.sum ?? 0, m.timestampMs);
      add(`${name}_count`, m.labels, m.count ?? 0, m.timestampMs);
    } else {
      add(name, m.labels, m.value ?? 0, m.timestampMs);
    }
  }
  return { name, type, help, unit, declared: true, samples };
}

function decodeMetric(bytes: Uint8Array, index: number): RawMetric {
  const m: RawMetric = {
    labels: [],
    value: undefined,
    quantiles: [],
    count: undefined,
    sum: undefined,
    buckets: [],
    timestampMs: undefined,
  };
  eachField(bytes, (no, wt, r) => {
    if (no === 1 && wt === LEN) addLabel(m.labels, r.bytes(), index);
    else if ((no === 2 || no === 3 || no === 5) && wt === LEN) {
      // Gauge, Counter, Untyped: the value is field 1 (double).
      eachField(r.bytes(), (vn, vw, v) => {
        if (vn !== 1 || vw !== F64) return false;
        m.value = v.double();
        return true;
      });
    } else if (no === 4 && wt === LEN) {
      eachField(r.bytes(), (sn, sw, sr) => {
        if (sn === 1 && sw === VARINT) m.count = Number(sr.uint64());
        else if (sn === 2 && sw === F64) m.sum = sr.double();
        else if (sn === 3 && sw === LEN) m.quantiles.push(quantile(sr.bytes()));
        else return false;
        return true;
      });
    } else if (no === 7 && wt === LEN) {
      let countFloat: number | undefined;
      eachField(r.bytes(), (hn, hw, h) => {
        if (hn === 1 && hw === VARINT) m.count = Number(h.uint64());
        else if (hn === 4 && hw === F64) countFloat = h.double();
        else if (hn === 2 && hw === F64) m.sum = h.double();
        else if (hn === 3 && hw === LEN) m.buckets.push(bucket(h.bytes()));
        else return false;
        return true;
      });
      // A float histogram carries its counts as doubles (expfmt prefers them when set).
      if (countFloat !== undefined && countFloat > 0) m.count = countFloat;
    } else if (no === 6 && wt === VARINT) {
      m.timestampMs = Number(r.int64());
    } else return false;
    return true;
  });
  return m;
}

/** Appends a LabelPair (name = 1, value = 2) to `labels`, refusing a nameless or repeated label. */
function addLabel(labels: string[], bytes: Uint8Array, index: number): void {
  let labelName = '';
  let labelValue = '';
  eachField(bytes, (no, wt, r) => {
    if (no === 1 && wt === LEN) labelName = text(r, index, 'a label name');
    else if (no === 2 && wt === LEN) labelValue = text(r, index, 'a label value');
    else return false;
    return true;
  });
  if (labelName === '') throw new ExpositionError(index, 'a label without a name');
  for (let i = 0; i < labels.length; i += 2) {
    if (labels[i] === labelName) throw new ExpositionError(index, `label ${JSON.stringify(labelName)} twice in one metric`);
  }
  labels.push(labelName, labelValue);
}

/** A Quantile: [quantile = 1, value = 2]. */
function quantile(bytes: Uint8Array): [number, number] {
  let q = 0;
  let value = 0;
  eachField(bytes, (no, wt, r) => {
    if (no === 1 && wt === F64) q = r.double();
    else if (no === 2 && wt === F64) value = r.double();
    else return false;
    return true;
  });
  return [q, value];
}

/** A histogram Bucket: [upper_bound = 2, cumulative count = 1, or cumulative_count_float = 4 when set]. */
function bucket(bytes: Uint8Array): [number, number] {
  let bound = 0;
  let count = 0;
  let countFloat = 0;
  eachField(bytes, (no, wt, r) => {
    if (no === 1 && wt === VARINT) count = Number(r.uint64());
    else if (no === 4 && wt === F64) countFloat = r.double();
    else if (no === 2 && wt === F64) bound = r.double();
    else return false;
    return true;
  });
  return [bound, countFloat > 0 ? countFloat : count];
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
