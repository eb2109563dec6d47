/**
 * Wire-level codec of the Prometheus remote_write 1.0 protobuf messages (`prometheus.WriteRequest`,
 * prompb/remote.proto and prompb/types.proto), hand-written on `@bufbuild/protobuf`'s BinaryReader and
 * BinaryWriter:
 *
 * ```proto
 * message WriteRequest { repeated TimeSeries timeseries = 1; reserved 2; repeated MetricMetadata metadata = 3; }
 * message TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2;
 *                        repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
 * message Label        { string name = 1; string value = 2; }
 * message Sample       { double value = 1; int64 timestamp = 2; }
 * message MetricMetadata { MetricType type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
 * ```
 *
 * Metadata is decoded (the store keeps TYPE/HELP/UNIT); exemplars and native histograms are skipped (and
 * counted); unknown fields are skipped as protobuf requires. Sample values are read from their raw 8 bytes so that the staleness marker
 * (the NaN with bits 0x7ff0000000000002) is recognised even where NaN payloads are not preserved.
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { isStaleNaNAt, STALE_NAN_BYTES } from '../prometheus-model/staleness';

/** A label as sent (order and duplicates preserved). */
export interface WireLabel {
  name: string;
  value: string;
}

/** A sample as sent. */
export interface WireSample {
  /** The float64 value (NaN for a staleness marker). */
  value: number;
  /** Milliseconds since the Unix epoch (int64 on the wire; exact up to ±2^53). */
  timestamp: number;
  /** True when the value's bits are exactly the Prometheus staleness marker 0x7ff0000000000002. */
  stale: boolean;
}

/** A `TimeSeries` as sent, its samples columnar (as the store takes them). */
export interface WireTimeSeries {
  labels: WireLabel[];
  /** Sample timestamps in milliseconds, in the order sent. */
  timestamps: number[];
  /** Sample values (NaN for a staleness marker), `values[i]` at `timestamps[i]`. */
  values: number[];
  /** Indexes of the samples whose value bits are the staleness marker 0x7ff0000000000002. */
  staleAt: number[];
  /** Number of exemplars skipped. */
  exemplars: number;
  /** Number of native histogram samples skipped. */
  histograms: number;
  /** Set when a label name or value is not valid UTF-8 (the series cannot be stored). */
  invalidUtf8: boolean;
}

/** A `TimeSeries` to encode. */
export interface WireTimeSeriesInput {
  labels: readonly WireLabel[];
  samples: readonly WireSample[];
}

/** A `MetricMetadata` as sent, its type as Prometheus's API names it. */
export interface WireMetricMetadata {
  /** `counter`, `gauge`, `histogram`, `gaugehistogram`, `summary`, `info`, `stateset` or `unknown`. */
  type: string;
  metric: string;
  help: string;
  unit: string;
}

/** prompb MetricMetadata.MetricType, by enum number. */
const METADATA_TYPES = ['unknown', 'counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset'];

/** A `WriteRequest` as sent. */
export interface WireWriteRequest {
  timeseries: WireTimeSeries[];
  metadata: WireMetricMetadata[];
}

/** Thrown by {@link decodeWriteRequest} when the bytes are not a well-formed `WriteRequest`. */
export class ProtobufDecodeError extends Error {
  override name = 'ProtobufDecodeError';
}

/** Decode a `prometheus.WriteRequest`. Throws {@link ProtobufDecodeError} on truncated or malformed input. */
export function decodeWriteRequest(bytes: Uint8Array): WireWriteRequest {
  const reader = new BinaryReader(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const timeseries: WireTimeSeries[] = [];
  const metadata: WireMetricMetadata[] = [];
  try {
    while (reader.pos < reader.len) {
      const tag = readTag(reader);
      const no = tag >>> 3;
      const wt = tag & 7;
      if (no === 1) {
        expectWireType(wt, WireType.LengthDelimited, 'WriteRequest.timeseries');
        const end = messageEnd(reader);
        timeseries.push(decodeTimeSeries(reader, view, end));
      } else if (no === 3 && wt === WireType.LengthDelimited) {
        metadata.push(decodeMetadata(reader, messageEnd(reader)));
      } else {
        reader.skip(wt, no);
      }
    }
  } catch (err) {
    if (err instanceof ProtobufDecodeError) throw err;
    throw new ProtobufDecodeError(`invalid protobuf WriteRequest: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (reader.pos !== reader.len) throw new ProtobufDecodeError('invalid protobuf WriteRequest: truncated message');
  return { timeseries, metadata };
}

function decodeMetadata(reader: BinaryReader, end: number): WireMetricMetadata {
  const out: WireMetricMetadata = { type: 'unknown', metric: '', help: '', unit: '' };
  while (reader.pos < end) {
    const tag = readTag(reader);
    const no = tag >>> 3;
    const wt = tag & 7;
    if (no === 1 && wt === WireType.Varint) out.type = METADATA_TYPES[reader.int32()] ?? 'unknown';
    else if (no === 2 && wt === WireType.LengthDelimited) out.metric = reader.string();
    else if (no === 4 && wt === WireType.LengthDelimited) out.help = reader.string();
    else if (no === 5 && wt === WireType.LengthDelimited) out.unit = reader.string();
    else reader.skip(wt, no);
  }
  checkEnd(reader, end, 'MetricMetadata');
  return out;
}

function decodeTimeSeries(reader: BinaryReader, view: DataView, end: number): WireTimeSeries {
  const labels: WireLabel[] = [];
  const timestamps: number[] = [];
  const values: number[] = [];
  const staleAt: number[] = [];
  let exemplars = 0;
  let histograms = 0;
  let invalidUtf8 = false;
  while (reader.pos < end) {
    const tag = readTag(reader);
    const no = tag >>> 3;
    const wt = tag & 7;
    if (no === 1) {
      expectWireType(wt, WireType.LengthDelimited, 'TimeSeries.labels');
      const labelEnd = messageEnd(reader);
      let name = '';
      let value = '';
      while (reader.pos < labelEnd) {
        const ltag = readTag(reader);
        const lno = ltag >>> 3;
        const lwt = ltag & 7;
        if ((lno === 1 || lno === 2) && lwt === WireType.LengthDelimited) {
          let text: string;
          const before = reader.pos;
          try {
            text = reader.string(true);
          } catch (err) {
            // string() advances past the bytes before decoding: only a decoding failure lands here
            // with the position moved; a truncated length is a malformed request.
            if (reader.pos === before || reader.pos > labelEnd) throw err;
            invalidUtf8 = true;
            text = '';
          }
          if (lno === 1) name = text;
          else value = text;
        } else {
          reader.skip(lwt, lno);
        }
      }
      checkEnd(reader, labelEnd, 'Label');
      labels.push({ name, value });
    } else if (no === 2) {
      expectWireType(wt, WireType.LengthDelimited, 'TimeSeries.samples');
      const sampleEnd = messageEnd(reader);
      let value = 0;
      let timestamp = 0;
      let stale = false;
      while (reader.pos < sampleEnd) {
        const stag = readTag(reader);
        const sno = stag >>> 3;
        const swt = stag & 7;
        if (sno === 1 && swt === WireType.Bit64) {
          const p = reader.pos;
          if (p + 8 > sampleEnd) throw new ProtobufDecodeError('invalid protobuf WriteRequest: truncated Sample.value');
          // Read the raw bits: the staleness marker is a specific NaN payload.
          stale = isStaleNaNAt(view, p);
          value = view.getFloat64(p, true);
          reader.pos = p + 8;
        } else if (sno === 2 && swt === WireType.Varint) {
          timestamp = readInt64(reader, view, sampleEnd);
        } else {
          reader.skip(swt, sno);
        }
      }
      checkEnd(reader, sampleEnd, 'Sample');
      if (stale) staleAt.push(timestamps.length);
      timestamps.push(timestamp);
      values.push(value);
    } else if (no === 3 && wt === WireType.LengthDelimited) {
      exemplars++;
      reader.skip(wt, no);
    } else if (no === 4 && wt === WireType.LengthDelimited) {
      histograms++;
      reader.skip(wt, no);
    } else {
      reader.skip(wt, no);
    }
  }
  checkEnd(reader, end, 'TimeSeries');
  return { labels, timestamps, values, staleAt, exemplars, histograms, invalidUtf8 };
}

/** A tag as one number (field number << 3 | wire type), without BinaryReader.tag()'s array. */
function readTag(reader: BinaryReader): number {
  const tag = reader.uint32();
  if (tag >>> 3 === 0 || (tag & 7) > 5) throw new ProtobufDecodeError(`invalid protobuf WriteRequest: illegal tag ${tag}`);
  return tag;
}

/**
 * An int64 varint as a number, read as two 32-bit halves (exact for |value| < 2^53; negative values are
 * 10-byte two's complement). Avoids BinaryReader.int64()'s bigint per sample.
 */
function readInt64(reader: BinaryReader, view: DataView, end: number): number {
  let pos = reader.pos;
  let lo = 0;
  let hi = 0;
  let b: number;
  let done = false;
  for (let shift = 0; shift < 28 && !done; shift += 7) {
    if (pos >= end) throw new ProtobufDecodeError('invalid protobuf WriteRequest: truncated varint');
    b = view.getUint8(pos++);
    lo |= (b & 0x7f) << shift;
    done = b < 0x80;
  }
  if (!done) {
    if (pos >= end) throw new ProtobufDecodeError('invalid protobuf WriteRequest: truncated varint');
    b = view.getUint8(pos++);
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x7f) >> 4;
    done = b < 0x80;
    for (let shift = 3; shift <= 31 && !done; shift += 7) {
      if (pos >= end) throw new ProtobufDecodeError('invalid protobuf WriteRequest: truncated varint');
      b = view.getUint8(pos++);
      hi |= (b & 0x7f) << shift;
      done = b < 0x80;
    }
    if (!done) throw new ProtobufDecodeError('invalid protobuf WriteRequest: varint longer than 10 bytes');
  }
  reader.pos = pos;
  lo >>>= 0;
  hi >>>= 0;
  if (hi & 0x80000000) {
    // Two's complement: value = -(2^64 - (hi * 2^32 + lo)).
    const nlo = (~lo + 1) >>> 0;
    const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
    return -(nhi * 4294967296 + nlo);
  }
  return hi * 4294967296 + lo;
}

function messageEnd(reader: BinaryReader): number {
  const len = reader.uint32();
  const end = reader.pos + len;
  if (end > reader.len) throw new ProtobufDecodeError('invalid protobuf WriteRequest: truncated message');
  return end;
}

function checkEnd(reader: BinaryReader, end: number, what: string): void {
  if (reader.pos !== end) throw new ProtobufDecodeError(`invalid protobuf WriteRequest: ${what} overruns its length`);
}

function expectWireType(actual: WireType, expected: WireType, field: string): void {
  if (actual !== expected) throw new ProtobufDecodeError(`invalid protobuf WriteRequest: wrong wire type ${actual} for ${field}`);
}

/**
 * Encode a `prometheus.WriteRequest` exactly as given (label order and duplicates kept, so tests can
 * build invalid requests). A sample with `stale: true` is written with the staleness-marker bits.
 */
export function encodeWriteRequest(request: {
  timeseries: readonly WireTimeSeriesInput[];
  metadata?: readonly WireMetricMetadata[];
}): Uint8Array {
  const w = new BinaryWriter();
  for (const ts of request.timeseries) {
    w.tag(1, WireType.LengthDelimited).fork();
    for (const label of ts.labels) {
      w.tag(1, WireType.LengthDelimited).fork();
      w.tag(1, WireType.LengthDelimited).string(label.name);
      w.tag(2, WireType.LengthDelimited).string(label.value);
      w.join();
    }
    for (const s of ts.samples) {
      w.tag(2, WireType.LengthDelimited).fork();
      w.tag(1, WireType.Bit64);
      if (s.stale) w.raw(STALE_NAN_BYTES);
      else w.double(s.value);
      w.tag(2, WireType.Varint).int64(s.timestamp);
      w.join();
    }
    w.join();
  }
  for (const m of request.metadata ?? []) {
    w.tag(3, WireType.LengthDelimited).fork();
    w.tag(1, WireType.Varint).int32(Math.max(0, METADATA_TYPES.indexOf(m.type)));
    w.tag(2, WireType.LengthDelimited).string(m.metric);
    if (m.help) w.tag(4, WireType.LengthDelimited).string(m.help);
    if (m.unit) w.tag(5, WireType.LengthDelimited).string(m.unit);
    w.join();
  }
  return w.finish();
}
