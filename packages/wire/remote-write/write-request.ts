/**
 * Prometheus remote_write 1.0 receiver side (prometheus.io/docs/specs/remote_write_spec/): a body is a
 * snappy *block* (not framed) holding a protobuf `prometheus.WriteRequest`.
 *
 * Validation follows Prometheus's own receiver (storage/remote/write_handler.go): labels are sorted by the
 * receiver (as `labelProtosToLabels` does), a series with a duplicate label name, an invalid label name or
 * metric name, invalid UTF-8 or no `__name__` (required by the spec) is refused and reported, the valid
 * series of the same request are kept. Labels with an empty value are dropped (an empty label value means
 * "no such label" in Prometheus). Exemplars, native histograms and metadata are tolerated and counted, not
 * stored. A body that is not valid snappy or protobuf is refused whole.
 */
import { compress, uncompress } from 'snappyjs';
import type { SeriesBatch } from '@pushpull/contracts/metrics';
import { ProtobufDecodeError, decodeWriteRequest, encodeWriteRequest, type WireMetricMetadata, type WireTimeSeries } from './protobuf';

/** Options of {@link decodeRemoteWrite}. */
export interface RemoteWriteOptions {
  /**
   * Largest accepted decompressed size in bytes. Checked on the length prefix of the snappy block
   * before anything is allocated; a larger body is refused with `refused.reason === 'too_large'`.
   */
  maxDecompressedBytes: number;
}

/** Result of {@link decodeRemoteWrite}. */
export interface RemoteWriteResult {
  /** The valid series, one batch per `TimeSeries` that had samples, labels including `__name__`. */
  series: SeriesBatch[];
  /** One message per refused series (the others are kept), naming the series and the problem. */
  errors: string[];
  /** Number of samples in `series`. */
  samples: number;
  /**
   * Set when the whole body is refused (then `series` is empty): `too_large` (answer 413) when the
   * snappy length prefix exceeds the limit, `malformed` (answer 400) for bad snappy or protobuf.
   */
  refused?: { reason: 'too_large' | 'malformed'; message: string };
  /** The `MetricMetadata` entries (TYPE/HELP/UNIT of metric families), as sent. */
  metadata: WireMetricMetadata[];
  /** Parts of the request that were tolerated but not stored. */
  ignored: { exemplars: number; histograms: number };
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * Read the uncompressed length that prefixes a snappy block (a little-endian base-128 varint of at most
 * 32 bits, snappy format_description.txt §1). Returns -1 when the prefix is malformed.
 */
export function snappyUncompressedLength(block: Uint8Array): number {
  let result = 0;
  for (let i = 0, shift = 0; i < block.length && i < 5; i++, shift += 7) {
    const b = block[i];
    result += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return result <= 0xffffffff ? result : -1;
  }
  return -1;
}

/**
 * Walk the elements of a snappy block without decompressing it and check that they produce exactly
 * `expected` bytes and never copy from before the start of the output (snappy format_description.txt §2).
 * snappyjs does not check either, and would otherwise return zero-filled or truncated output.
 */
function snappyBlockIsWellFormed(block: Uint8Array, expected: number): boolean {
  let pos = 0;
  while (block[pos] >= 0x80) pos++;
  pos++;
  const n = block.length;
  let out = 0;
  while (pos < n) {
    const tag = block[pos++];
    const kind = tag & 3;
    if (kind === 0) {
      let len = (tag >>> 2) + 1;
      if (len > 60) {
        const bytes = len - 60;
        if (pos + bytes > n) return false;
        len = 0;
        for (let i = bytes - 1; i >= 0; i--) len = len * 256 + block[pos + i];
        len += 1;
        pos += bytes;
      }
      if (pos + len > n) return false;
      pos += len;
      out += len;
    } else {
      let len: number;
      let offset: number;
      if (kind === 1) {
        if (pos + 1 > n) return false;
        len = ((tag >>> 2) & 7) + 4;
        offset = ((tag >>> 5) << 8) | block[pos];
        pos += 1;
      } else if (kind === 2) {
        if (pos + 2 > n) return false;
        len = (tag >>> 2) + 1;
        offset = block[pos] | (block[pos + 1] << 8);
        pos += 2;
      } else {
        if (pos + 4 > n) return false;
        len = (tag >>> 2) + 1;
        offset = block[pos] + block[pos + 1] * 0x100 + block[pos + 2] * 0x10000 + block[pos + 3] * 0x1000000;
        pos += 4;
      }
      if (offset === 0 || offset > out) return false;
      out += len;
    }
    if (out > expected) return false;
  }
  return out === expected;
}

/**
 * Decode a remote_write request body (snappy block + protobuf `WriteRequest`) into series batches.
 * Never throws for bad input: problems are in `refused` (whole body) or `errors` (per series).
 */
export function decodeRemoteWrite(body: Uint8Array, opts: RemoteWriteOptions): RemoteWriteResult {
  const ignored = { exemplars: 0, histograms: 0 };
  const length = snappyUncompressedLength(body);
  if (length < 0) return refuse('malformed', 'snappy: corrupt input (bad length prefix)', ignored);
  if (length > opts.maxDecompressedBytes) {
    return refuse('too_large', `decompressed body of ${length} bytes exceeds the limit of ${opts.maxDecompressedBytes} bytes`, ignored);
  }
  if (!snappyBlockIsWellFormed(body, length)) return refuse('malformed', 'snappy: corrupt input', ignored);
  let raw: Uint8Array;
  try {
    raw = uncompress(body, opts.maxDecompressedBytes);
  } catch (err) {
    return refuse('malformed', `snappy: ${err instanceof Error ? err.message : String(err)}`, ignored);
  }
  let request;
  try {
    request = decodeWriteRequest(raw);
  } catch (err) {
    if (err instanceof ProtobufDecodeError) return refuse('malformed', err.message, ignored);
    throw err;
  }
  const series: SeriesBatch[] = [];
  const errors: string[] = [];
  let samples = 0;
  for (const ts of request.timeseries) {
    ignored.exemplars += ts.exemplars;
    ignored.histograms += ts.histograms;
    const checked = validateLabels(ts);
    if (typeof checked === 'string') {
      errors.push(checked);
      continue;
    }
    if (ts.timestamps.length === 0) continue;
    const batch: SeriesBatch = { labels: checked, timestamps: ts.timestamps, values: ts.values };
    if (ts.staleAt.length > 0) batch.staleAt = ts.staleAt;
    series.push(batch);
    samples += ts.timestamps.length;
  }
  return { series, errors, samples, metadata: request.metadata, ignored };
}

function refuse(reason: 'too_large' | 'malformed', message: string, ignored: RemoteWriteResult['ignored']): RemoteWriteResult {
  return { series: [], errors: [], samples: 0, metadata: [], refused: { reason, message }, ignored };
}

/** The label set of a valid series (sorted by name, empty values dropped), or an error message. */
function validateLabels(ts: WireTimeSeries): Record<string, string> | string {
  if (ts.invalidUtf8) return `series ${describe(ts)}: invalid UTF-8 in a label name or value`;
  // Fast path: what Prometheus sends (sorted, unique, no empty value) needs no copy and no sort.
  const list = ts.labels;
  let ordered = true;
  for (let i = 0; i < list.length && ordered; i++) {
    if (list[i].value === '' || (i > 0 && !(list[i - 1].name < list[i].name))) ordered = false;
  }
  const sorted = ordered ? list : list.filter((l) => l.value !== '').sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const labels: Record<string, string> = {};
  let previous = '';
  for (let i = 0; i < sorted.length; i++) {
    const { name, value } = sorted[i];
    if (i > 0 && name === previous) return `series ${describe(ts)}: duplicate label name "${name}"`;
    previous = name;
    if (name === '__name__') {
      if (!METRIC_NAME.test(value)) return `series ${describe(ts)}: invalid metric name "${value}"`;
    } else if (!LABEL_NAME.test(name)) {
      return `series ${describe(ts)}: invalid label name "${name}"`;
    }
    labels[name] = value;
  }
  if (labels.__name__ === undefined) return `series ${describe(ts)}: missing metric name (label __name__)`;
  return labels;
}

/** `{a="1", b="2"}` in the order sent, cut at 200 characters. */
function describe(ts: WireTimeSeries): string {
  const text = `{${ts.labels.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(', ')}}`;
  return text.length > 200 ? `${text.slice(0, 200)}…}` : text;
}

/**
 * Encode series batches as a remote_write body (protobuf `WriteRequest`, labels sorted by name as the
 * spec requires, staleness markers with their exact bits, then a snappy block), as Prometheus sends it.
 */
export function encodeRemoteWrite(series: readonly SeriesBatch[]): Uint8Array {
  const proto = encodeWriteRequest({
    timeseries: series.map((s) => {
      const stale = new Set(s.staleAt ?? []);
      return {
        labels: Object.keys(s.labels)
          .sort()
          .map((name) => ({ name, value: s.labels[name] })),
        samples: s.timestamps.map((timestamp, i) => ({ timestamp, value: s.values[i], stale: stale.has(i) })),
      };
    }),
  });
  return compress(proto);
}
