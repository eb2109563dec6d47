/**
 * Mapping of InfluxDB points onto Prometheus series, VictoriaMetrics style
 * (docs.victoriametrics.com/victoriametrics/integrations/influxdb/#data-transformations):
 *
 * - every numeric or boolean field becomes one sample of the series `<measurement>_<field>{<tags>}`;
 *   a field named `value` becomes `<measurement>{<tags>}` (the convention of Telegraf's Prometheus output,
 *   which VictoriaMetrics offers as `-influxSkipSingleField` for single-field lines);
 * - tags become labels; the `db` (v1) or `bucket` (v2) query parameter becomes the label `db`, unless the
 *   point already has a `db` tag (VictoriaMetrics: "unless db tag exists in the InfluxDB line");
 * - floats, integers and unsigned integers are stored as float64, booleans as 1 (true) / 0 (false);
 * - string fields are not stored (VictoriaMetrics stores 0; pushpull skips them and counts them);
 * - names are made Prometheus-valid the way VictoriaMetrics's `-usePromCompatibleNaming` does: each
 *   character outside `[a-zA-Z0-9_]` (label names) or `[a-zA-Z0-9_:]` (metric names) becomes `_`; in
 *   addition a leading digit gets a `_` prefix (Prometheus forbids it; VictoriaMetrics leaves it);
 * - a tag whose name sanitises to `__name__` is renamed `exported___name__` (Prometheus's
 *   `honor_labels: false` rule); when two tags sanitise to the same label name, the later tag wins.
 */
import type { SeriesBatch } from '../../shared/metrics-contract';
import type { Point } from './line-protocol';

/** Options of {@link pointsToSeries}. */
export interface MappingOptions {
  /** v1 `/write?db=`: stored as the label `db`. */
  db?: string;
  /** v2 `/api/v2/write?bucket=`: stored as the label `db` (when `db` is not given). */
  bucket?: string;
  /** v2 `/api/v2/write?org=`: accepted for the API's sake; not stored (pushpull has one tenant). */
  org?: string;
}

/** Result of {@link pointsToSeries}. */
export interface MappingResult {
  /** One batch per distinct series, samples in input order. */
  series: SeriesBatch[];
  /** Number of samples in `series`. */
  samples: number;
  /** Number of string field values that were not stored. */
  skippedStrings: number;
}

const LABEL_NAME_OK = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME_OK = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Make a label name match `[a-zA-Z_][a-zA-Z0-9_]*` (each invalid code point → `_`, leading digit → `_` prefix). */
export function sanitizeLabelName(name: string): string {
  if (LABEL_NAME_OK.test(name)) return name;
  return sanitize(name, false);
}

/** Make a metric name match `[a-zA-Z_:][a-zA-Z0-9_:]*` (each invalid code point → `_`, leading digit → `_` prefix). */
export function sanitizeMetricName(name: string): string {
  if (METRIC_NAME_OK.test(name)) return name;
  return sanitize(name, true);
}

function sanitize(name: string, colon: boolean): string {
  let out = '';
  // for..of walks code points, so a character outside the BMP becomes one `_`, as in Go's regexp.
  for (const ch of name) {
    const c = ch.charCodeAt(0);
    const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || (colon && c === 58);
    out += ok ? ch : '_';
  }
  if (out === '') return '_';
  const first = out.charCodeAt(0);
  return first >= 48 && first <= 57 ? `_${out}` : out;
}

/**
 * Turn parsed points into series batches for the store: one batch per distinct label set, with all of
 * its samples (timestamps in milliseconds; the sub-millisecond part is dropped because the store keeps
 * milliseconds, so two points in the same millisecond become two samples with one timestamp and the
 * store keeps the last).
 */
export function pointsToSeries(points: readonly Point[], opts: MappingOptions = {}): MappingResult {
  const db = opts.db !== undefined && opts.db !== '' ? opts.db : opts.bucket !== undefined && opts.bucket !== '' ? opts.bucket : '';
  const bySeries = new Map<string, SeriesBatch>();
  const nameCache = new Map<string, string>();
  let samples = 0;
  let skippedStrings = 0;

  for (const p of points) {
    // Labels from tags (sorted by label name so that the series key is canonical).
    const labels: Record<string, string> = {};
    let hasDb = false;
    for (let i = 0; i < p.tags.length; i += 2) {
      let name = cachedLabelName(p.tags[i], nameCache);
      if (name === '__name__') name = 'exported___name__';
      if (name === 'db') hasDb = true;
      labels[name] = p.tags[i + 1];
    }
    if (!hasDb && db !== '') labels.db = db;
    const labelNames = Object.keys(labels).sort();
    let tagKey = '';
    for (const name of labelNames) tagKey += `\u0000${name}\u0001${labels[name]}`;

    const measurement = sanitizeMetricName(p.measurement);
    for (let f = 0; f < p.fieldKeys.length; f++) {
      const type = p.fieldTypes[f];
      if (type === 'string') {
        skippedStrings++;
        continue;
      }
      const value = p.fieldValues[f];
      const field = p.fieldKeys[f];
      const metric = field === 'value' ? measurement : `${measurement}_${sanitizeMetricName(field)}`;
      const key = metric + tagKey;
      let batch = bySeries.get(key);
      if (batch === undefined) {
        const all: Record<string, string> = { __name__: metric };
        for (const name of labelNames) all[name] = labels[name];
        batch = { labels: all, timestamps: [], values: [] };
        bySeries.set(key, batch);
      }
      batch.timestamps.push(p.timestampMs);
      batch.values.push(value);
      samples++;
    }
  }
  return { series: [...bySeries.values()], samples, skippedStrings };
}

function cachedLabelName(tag: string, cache: Map<string, string>): string {
  let name = cache.get(tag);
  if (name === undefined) {
    name = sanitizeLabelName(tag);
    cache.set(tag, name);
  }
  return name;
}
