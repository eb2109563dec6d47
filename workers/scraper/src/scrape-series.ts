/**
 * Turning a scraped page into series exactly as Prometheus 2.x's scrape loop does
 * (`scrape/scrape.go`): target labels attached (`job`, `instance`, static labels), sample
 * labels that collide renamed `exported_<name>` unless `honor_labels`, empty label values
 * dropped, timestamps honoured or replaced by the scrape time, `sample_limit`, duplicate
 * series refused, the report series (`up`, `scrape_duration_seconds`,
 * `scrape_samples_scraped`, `scrape_samples_post_metric_relabeling`, `scrape_series_added`)
 * and staleness markers for series that vanished. Pure: no bindings, no I/O.
 */
import type { SeriesBatch } from '@pushpull/contracts/metrics';
import type { ParsedExposition } from '@pushpull/wire/prometheus-text/exposition';

/** The five series Prometheus writes for every scrape (`scrape.go` `report`). */
export const REPORT_SERIES = [
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
] as const;

/** A series seen in the last scrape, kept for staleness. */
export interface TrackedSeries {
  key: string;
  labels: Record<string, string>;
}

/** What one page became. */
export interface PageSeries {
  /** One batch per sample. */
  batches: SeriesBatch[];
  /** Series to track for staleness (samples without their own timestamp, as Prometheus tracks). */
  tracked: TrackedSeries[];
  /** Samples on the page (`scrape_samples_scraped`). */
  samplesScraped: number;
}

/** A page refused after parsing (the scrape fails as a whole). */
export class PageRefused extends Error {
  override readonly name = 'PageRefused';
}

/** Options of {@link pageSeries}. */
export interface PageSeriesOptions {
  targetLabels: Record<string, string>;
  honorLabels: boolean;
  honorTimestamps: boolean;
  scrapeTimeMs: number;
}

/** The canonical identity of a label set (sorted names; separators no label can contain unescaped). */
export function seriesKey(labels: Record<string, string>): string {
  const names = Object.keys(labels).sort();
  let key = '';
  for (const n of names) key += `${n}\u0000${labels[n]}\u0001`;
  return key;
}

/**
 * Applies target labels to one sample's labels (Prometheus `mutateSampleLabels`):
 * with honor_labels the page's value wins; otherwise the target's does and the page's
 * value moves to `exported_<name>` (prefixed again while that name is taken).
 */
export function applyTargetLabels(
  sample: Record<string, string>,
  target: Record<string, string>,
  honorLabels: boolean,
): Record<string, string> {
  const out: Record<string, string> = { ...sample };
  if (honorLabels) {
    for (const [k, v] of Object.entries(target)) if (out[k] === undefined || out[k] === '') out[k] = v;
  } else {
    const conflicts: [string, string][] = [];
    for (const [k, v] of Object.entries(target)) {
      const existing = out[k];
      if (existing !== undefined && existing !== '') conflicts.push([k, existing]);
      out[k] = v;
    }
    for (const [k, v] of conflicts) {
      let name = `exported_${k}`;
      while (out[name] !== undefined && out[name] !== '') name = `exported_${name}`;
      out[name] = v;
    }
  }
  for (const k of Object.keys(out)) if (out[k] === '') delete out[k];
  return out;
}

/**
 * Builds the series of a successfully parsed page (the parser already enforced
 * `sample_limit`). Throws {@link PageRefused} for duplicate series, so nothing of the page
 * is written.
 */
export function pageSeries(page: ParsedExposition, opts: PageSeriesOptions): PageSeries {
  const batches: SeriesBatch[] = [];
  const tracked: TrackedSeries[] = [];
  const seen = new Set<string>();
  const target = opts.targetLabels;
  for (const family of page.families) {
    for (const s of family.samples) {
      const own: Record<string, string> = { __name__: s.name };
      const flat = s.labels;
      for (let k = 0; k < flat.length; k += 2) own[flat[k]] = flat[k + 1];
      const labels = applyTargetLabels(own, target, opts.honorLabels);
      const key = seriesKey(labels);
      if (seen.has(key)) throw new PageRefused(`duplicate series ${formatLabels(labels)} in one scrape`);
      seen.add(key);
      const own_ts = opts.honorTimestamps && s.hasTimestamp && s.timestampMs !== undefined;
      batches.push({ labels, timestamps: [own_ts ? (s.timestampMs as number) : opts.scrapeTimeMs], values: [s.value] });
      if (!own_ts) tracked.push({ key, labels });
    }
  }
  return { batches, tracked, samplesScraped: page.samples };
}

/** Staleness markers for tracked series absent from `current` (all of them if current is empty). */
export function staleMarkers(previous: Iterable<TrackedSeries>, current: ReadonlySet<string>, atMs: number): SeriesBatch[] {
  const out: SeriesBatch[] = [];
  for (const p of previous) {
    if (!current.has(p.key)) out.push({ labels: p.labels, timestamps: [atMs], values: [NaN], staleAt: [0] });
  }
  return out;
}

/** Inputs of {@link reportSeries}. */
export interface ScrapeReport {
  up: boolean;
  durationSeconds: number;
  samplesScraped: number;
  seriesAdded: number;
}

/** The report series of one scrape, stamped with the scrape time (Prometheus `report`). */
export function reportSeries(targetLabels: Record<string, string>, r: ScrapeReport, atMs: number): SeriesBatch[] {
  const values = [r.up ? 1 : 0, r.durationSeconds, r.samplesScraped, r.samplesScraped, r.seriesAdded];
  return REPORT_SERIES.map((name, k) => ({
    labels: { ...targetLabels, __name__: name },
    timestamps: [atMs],
    values: [values[k]],
  }));
}

/** Staleness markers for the report series (a target removed from the configuration). */
export function staleReportSeries(targetLabels: Record<string, string>, atMs: number): SeriesBatch[] {
  const report = REPORT_SERIES.map((name) => ({ key: name, labels: { ...targetLabels, __name__: name } }));
  return staleMarkers(report, new Set(), atMs);
}

/** `name{a="b",...}` for messages. */
export function formatLabels(labels: Record<string, string>): string {
  const name = labels.__name__ ?? '';
  const rest = Object.keys(labels)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ');
  return `${name}{${rest}}`;
}
