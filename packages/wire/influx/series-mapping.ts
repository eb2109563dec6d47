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
import type { SeriesBatch } from '@pushpull/contracts/metrics';
import { columnsOf, type Point, type PointColumns, type PointShape } from './line-protocol';

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

/** The labels of one tag array (sorted by label name), shared by the shapes that share the array. */
interface TagSet {
  labelNames: string[];
  labels: Record<string, string>;
  /** Canonical key of the label set (`\0name\1value` per label, sorted). */
  tagKey: string;
}

/**
 * Turn parsed points into series batches for the store: one batch per distinct label set, with all of
 * its samples (timestamps in milliseconds; the sub-millisecond part is dropped because the store keeps
 * milliseconds, so two points in the same millisecond become two samples with one timestamp and the
 * store keeps the last).
 *
 * Takes the parser's columns (or points, which are put in columns first). The parser gives the points
 * of one series key and field layout one shared shape, so the batch of each field is found once per
 * shape (labels built once per tag array, an identity map): a typical point costs one identity check
 * and one push per field. Shapes with equal content (e.g. points built elsewhere) still meet in one
 * batch through the canonical series key.
 */
export function pointsToSeries(input: PointColumns | readonly Point[], opts: MappingOptions = {}): MappingResult {
  const c = isColumns(input) ? input : columnsOf(input);
  const db = opts.db !== undefined && opts.db !== '' ? opts.db : opts.bucket !== undefined && opts.bucket !== '' ? opts.bucket : '';
  const bySeries = new Map<string, SeriesBatch>();
  const byTags = new Map<readonly string[], TagSet>();
  const byShape = new Map<PointShape, (SeriesBatch | null)[]>();
  const nameCache = new Map<string, string>();
  const metricCache = new Map<string, string>();
  const { shapes, valueStart, values, timestampMs } = c;
  let samples = 0;
  let skippedStrings = 0;
  let lastShape: PointShape | undefined;
  let batches: (SeriesBatch | null)[] = [];

  for (let i = 0; i < c.length; i++) {
    const shape = shapes[i];
    if (shape !== lastShape) {
      lastShape = shape;
      let known = byShape.get(shape);
      if (known === undefined) {
        let set = byTags.get(shape.tags);
        if (set === undefined) {
          set = tagSet(shape.tags, db, nameCache);
          byTags.set(shape.tags, set);
        }
        known = shapeBatches(shape, set, bySeries, metricCache);
        byShape.set(shape, known);
      }
      batches = known;
    }
    const ts = timestampMs[i];
    const from = valueStart[i];
    for (let f = 0; f < batches.length; f++) {
      const batch = batches[f];
      if (batch === null) {
        skippedStrings++;
        continue;
      }
      batch.timestamps.push(ts);
      batch.values.push(values[from + f]);
      samples++;
    }
  }
  return { series: [...bySeries.values()], samples, skippedStrings };
}

function isColumns(input: PointColumns | readonly Point[]): input is PointColumns {
  return !Array.isArray(input);
}

/** The batch of each field of a shape (null for string fields), created in `bySeries` when new. */
function shapeBatches(
  shape: PointShape,
  set: TagSet,
  bySeries: Map<string, SeriesBatch>,
  metricCache: Map<string, string>,
): (SeriesBatch | null)[] {
  const measurement = cachedName(shape.measurement, metricCache, sanitizeMetricName);
  return shape.fieldKeys.map((field, f) => {
    if (shape.fieldTypes[f] === 'string') return null;
    const metric = field === 'value' ? measurement : `${measurement}_${cachedName(field, metricCache, sanitizeMetricName)}`;
    const key = metric + set.tagKey;
    let batch = bySeries.get(key);
    if (batch === undefined) {
      const all: Record<string, string> = { __name__: metric };
      for (const name of set.labelNames) all[name] = set.labels[name];
      batch = { labels: all, timestamps: [], values: [] };
      bySeries.set(key, batch);
    }
    return batch;
  });
}

/** Labels from tags (sorted by label name so that the series key is canonical). */
function tagSet(tags: readonly string[], db: string, nameCache: Map<string, string>): TagSet {
  const labels: Record<string, string> = {};
  let hasDb = false;
  for (let i = 0; i < tags.length; i += 2) {
    let name = cachedName(tags[i], nameCache, sanitizeLabelName);
    if (name === '__name__') name = 'exported___name__';
    if (name === 'db') hasDb = true;
    labels[name] = tags[i + 1];
  }
  if (!hasDb && db !== '') labels.db = db;
  const labelNames = Object.keys(labels).sort();
  let tagKey = '';
  for (const name of labelNames) tagKey += `\u0000${name}\u0001${labels[name]}`;
  return { labelNames, labels, tagKey };
}

/** `sanitize(name)`, computed once per distinct name in `cache`. */
function cachedName(name: string, cache: Map<string, string>, sanitize: (name: string) => string): string {
  let out = cache.get(name);
  if (out === undefined) {
    out = sanitize(name);
    cache.set(name, out);
  }
  return out;
}
