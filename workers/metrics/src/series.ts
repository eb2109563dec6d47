/**
 * Series identity and write validation (pure, binding-free).
 *
 * A series is its label set. Its canonical key is the JSON of the label pairs sorted by name,
 * with empty values dropped (in Prometheus an empty label value is the same as no label).
 * The shard of a series is FNV-1a(key) mod SHARD_COUNT, so every writer agrees on it.
 */
import type { SeriesBatch, SeriesRefusal } from '@pushpull/contracts/metrics';
import type { MetricsLimits } from './limits';
import { writeStaleNaNAt } from '@pushpull/wire/prometheus-model/staleness';

/** A validated series ready for its shard. */
export interface PreparedSeries {
  /** Canonical key (see {@link canonicalKey}). */
  key: string;
  /** Value of `__name__`. */
  name: string;
  /** Sorted label pairs, empty values dropped. */
  labels: [string, string][];
  /** Milliseconds, as a typed array (cloned to the shard as raw bytes). */
  timestamps: Float64Array;
  /** Values; staleness markers already carry their exact bits (0x7ff0000000000002). */
  values: Float64Array;
}

/**
 * One shard's share of a write, in columns, as the Worker sends it to the shard: a few strings
 * and typed arrays instead of one object per series, so the RPC's structured clone copies a
 * handful of buffers. The shard derives labels and name from the key (the key is their JSON).
 */
export interface ShardWrite {
  /** Canonical keys of the series, joined by `\n` (a key is JSON, which escapes newlines). */
  keys: string;
  /** Samples of each series, in key order; they sum to the length of `timestamps`. */
  counts: Uint32Array;
  /** Milliseconds of every sample, series after series. */
  timestamps: Float64Array;
  /** Values of every sample (staleness markers with their exact bits), aligned with `timestamps`. */
  values: Float64Array;
}

/** Packs prepared series into one {@link ShardWrite}. */
export function packShardWrite(series: readonly PreparedSeries[]): ShardWrite {
  let total = 0;
  for (const s of series) total += s.timestamps.length;
  const counts = new Uint32Array(series.length);
  const timestamps = new Float64Array(total);
  const values = new Float64Array(total);
  const keys: string[] = [];
  let at = 0;
  for (let k = 0; k < series.length; k++) {
    const s = series[k];
    keys.push(s.key);
    counts[k] = s.timestamps.length;
    timestamps.set(s.timestamps, at);
    values.set(s.values, at);
    at += s.timestamps.length;
  }
  return { keys: keys.join('\n'), counts, timestamps, values };
}

/** Sorted label pairs of a label record, empty values dropped. */
export function sortedLabelPairs(labels: Record<string, string>): [string, string][] {
  const pairs: [string, string][] = [];
  for (const name of Object.keys(labels)) {
    const value = labels[name];
    if (value !== '' && value !== undefined) pairs.push([name, value]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return pairs;
}

/** The canonical key of a label set: JSON of its sorted pairs. */
export function canonicalKey(pairs: [string, string][]): string {
  return JSON.stringify(pairs);
}

/** 32-bit FNV-1a over the UTF-16 code units of a string: stable across runtimes and deploys. */
function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The shard index of a series key. */
export function shardOf(key: string, shardCount: number): number {
  return fnv1a32(key) % shardCount;
}

/** UTF-8 byte length of a string, without allocating. */
function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Prometheus text form of a label set, for error messages: `name{a="b"}`. */
function describeLabels(labels: Record<string, string>): string {
  const name = labels.__name__ ?? '';
  const rest = Object.keys(labels)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  const text = `${name}{${rest.join(', ')}}`;
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/** Result of {@link prepareSeries}. */
export interface PreparedWrite {
  series: PreparedSeries[];
  /** One entry per refused series, by its index in the batches given. */
  refused: SeriesRefusal[];
  /** Samples in the refused series. */
  refusedSamples: number;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Validates series for the store: label names (Prometheus's `[a-zA-Z_][a-zA-Z0-9_]*`), a
 * non-empty `__name__`, label count and lengths, aligned integer timestamps within
 * [now - MAX_SAMPLE_AGE_SECONDS, now + MAX_FUTURE_SECONDS]. A series with any problem is refused
 * whole and listed in `refused`; the others are returned prepared.
 */
export function prepareSeries(batches: readonly SeriesBatch[], limits: MetricsLimits, nowMs: number): PreparedWrite {
  const out: PreparedWrite = { series: [], refused: [], refusedSamples: 0 };
  const minTs = nowMs - limits.maxSampleAgeSeconds * 1000;
  const maxTs = nowMs + limits.maxFutureSeconds * 1000;
  // One buffer each for every timestamp and value, viewed per series: a typed array of its own
  // per series costs more to allocate than its samples cost to copy.
  let total = 0;
  for (const batch of batches) if (batch && Array.isArray(batch.timestamps)) total += batch.timestamps.length;
  const allTimestamps = new Float64Array(total);
  const allValues = new Float64Array(total);
  let at = 0;
  for (let index = 0; index < batches.length; index++) {
    const batch = batches[index];
    const problem = seriesProblem(batch, limits, minTs, maxTs);
    if (problem) {
      out.refused.push({ index, message: `series ${describeLabels(batch?.labels ?? {})}: ${problem}` });
      out.refusedSamples += Array.isArray(batch?.timestamps) ? batch.timestamps.length : 0;
      continue;
    }
    const labels = sortedLabelPairs(batch.labels);
    const n = batch.timestamps.length;
    const timestamps = allTimestamps.subarray(at, at + n);
    const values = allValues.subarray(at, at + n);
    at += n;
    timestamps.set(batch.timestamps);
    values.set(batch.values);
    if (batch.staleAt?.length) {
      const bits = new DataView(values.buffer, values.byteOffset, values.byteLength);
      for (const i of batch.staleAt) {
        if (!Number.isInteger(i) || i < 0 || i >= n) continue;
        writeStaleNaNAt(bits, i * 8);
      }
    }
    out.series.push({ key: canonicalKey(labels), name: batch.labels.__name__, labels, timestamps, values });
  }
  return out;
}

function seriesProblem(batch: SeriesBatch, limits: MetricsLimits, minTs: number, maxTs: number): string | undefined {
  if (!batch || typeof batch.labels !== 'object' || batch.labels === null) return 'labels missing';
  if (!Array.isArray(batch.timestamps) || !Array.isArray(batch.values)) return 'timestamps and values must be arrays';
  if (batch.timestamps.length !== batch.values.length) {
    return `${batch.timestamps.length} timestamps but ${batch.values.length} values`;
  }
  // null is read as absent, like undefined (a caller that builds batches from JSON may send it).
  if (batch.staleAt !== undefined && batch.staleAt !== null && !Array.isArray(batch.staleAt)) {
    return 'staleAt must be an array of sample indexes';
  }
  const names = Object.keys(batch.labels);
  const name = batch.labels.__name__;
  if (typeof name !== 'string' || name === '') return 'missing metric name (__name__)';
  if (names.length > limits.maxLabelsPerSeries) {
    return `${names.length} labels, over MAX_LABELS_PER_SERIES (${limits.maxLabelsPerSeries})`;
  }
  for (const label of names) {
    const value = batch.labels[label];
    if (typeof value !== 'string') return `label ${JSON.stringify(label)} has a non-string value`;
    if (utf8Length(label) > limits.maxLabelNameLength) {
      return `label name ${JSON.stringify(label.slice(0, 40))}... longer than MAX_LABEL_NAME_LENGTH (${limits.maxLabelNameLength} bytes)`;
    }
    if (!LABEL_NAME.test(label)) return `invalid label name ${JSON.stringify(label)}`;
    if (utf8Length(value) > limits.maxLabelValueLength) {
      return `value of label ${JSON.stringify(label)} longer than MAX_LABEL_VALUE_LENGTH (${limits.maxLabelValueLength} bytes)`;
    }
  }
  for (let i = 0; i < batch.timestamps.length; i++) {
    const ts = batch.timestamps[i];
    if (!Number.isSafeInteger(ts)) return `timestamp ${String(ts)} is not an integer number of milliseconds`;
    if (ts > maxTs) return `timestamp ${timestampText(ts)} is more than MAX_FUTURE_SECONDS (${limits.maxFutureSeconds}) in the future`;
    if (ts < minTs) return `timestamp ${timestampText(ts)} is older than MAX_SAMPLE_AGE_SECONDS (${limits.maxSampleAgeSeconds})`;
    if (Math.abs(ts) > MAX_DATE_MS) return `timestamp ${ts} is outside the range of dates (±${MAX_DATE_MS} ms)`;
    if (typeof batch.values[i] !== 'number') return `value at index ${i} is not a number`;
  }
  return undefined;
}

/**
 * The largest |ms| a JavaScript Date holds (ECMA-262 §21.4.1.22, TimeClip): the store refuses
 * samples beyond it whatever MAX_FUTURE_SECONDS and MAX_SAMPLE_AGE_SECONDS allow, so that
 * every stored timestamp can be formatted and compared as a date.
 */
const MAX_DATE_MS = 8.64e15;

/** A timestamp for an error message: ISO 8601 when it is a valid date, else the raw milliseconds. */
function timestampText(ts: number): string {
  return Math.abs(ts) <= MAX_DATE_MS ? new Date(ts).toISOString() : String(ts);
}
