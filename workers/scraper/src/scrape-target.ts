/**
 * One scrape of one target, end to end but without storage: fetch the page, parse it,
 * build its series, and decide what to write — the page's series, staleness markers for
 * series that vanished (or for all of them when the scrape fails) and the report series.
 * Mirrors `scrapeLoop.scrapeAndReport` in Prometheus 2.x `scrape/scrape.go`: a failed
 * scrape writes no sample of the page (never a partial scrape), only `up` 0 and the rest
 * of the report, plus staleness markers.
 */
import type { SeriesBatch } from '@pushpull/contracts/metrics';
import { ExpositionError, parseExposition } from '@pushpull/wire/prometheus-text/exposition';
import type { JobConfig, TargetConfig } from './config';
import { fetchPage, ScrapeError } from './fetch-page';
import { PageRefused, pageSeries, reportSeries, staleMarkers, type TrackedSeries } from './scrape-series';

/** What one scrape did. */
export interface TargetOutcome {
  health: 'up' | 'down';
  /** Empty when the scrape succeeded. */
  lastError: string;
  /** Scrape start (the timestamp of samples without their own), ms. */
  scrapeTimeMs: number;
  durationSeconds: number;
  samplesScraped: number;
  seriesAdded: number;
  /** Everything to write, in one call. */
  batches: SeriesBatch[];
  /** Series to remember for the next scrape's staleness. */
  tracked: TrackedSeries[];
}

/** Scrapes `target` of `job`; never throws for a target's fault. */
export async function scrapeTarget(
  job: JobConfig,
  target: TargetConfig,
  previous: ReadonlyMap<string, TrackedSeries>,
  fetcher?: (req: Request) => Promise<Response>,
): Promise<TargetOutcome> {
  const start = Date.now();
  let durationSeconds = 0;
  try {
    const page = await fetchPage(target.scrapeUrl, {
      timeoutMs: job.scrapeTimeoutMs,
      bodySizeLimit: job.bodySizeLimit,
      followRedirects: job.followRedirects,
      fetcher,
    });
    durationSeconds = (Date.now() - start) / 1000;
    let parsed;
    try {
      parsed = parseExposition(page.text, { format: page.format, sampleLimit: job.sampleLimit });
    } catch (err) {
      if (err instanceof ExpositionError) {
        throw new PageRefused(err.code === 'sample_limit' ? 'sample limit exceeded' : err.message);
      }
      throw err;
    }
    const built = pageSeries(parsed, {
      targetLabels: target.labels,
      honorLabels: job.honorLabels,
      honorTimestamps: job.honorTimestamps,
      scrapeTimeMs: start,
    });
    const current = new Set<string>();
    let seriesAdded = 0;
    for (const t of built.tracked) {
      current.add(t.key);
      if (!previous.has(t.key)) seriesAdded++;
    }
    const batches = built.batches;
    for (const b of staleMarkers(previous.values(), current, start)) batches.push(b);
    for (const b of reportSeries(target.labels, { up: true, durationSeconds, samplesScraped: built.samplesScraped, seriesAdded }, start))
      batches.push(b);
    return {
      health: 'up',
      lastError: '',
      scrapeTimeMs: start,
      durationSeconds,
      samplesScraped: built.samplesScraped,
      seriesAdded,
      batches,
      tracked: built.tracked,
    };
  } catch (err) {
    if (!(err instanceof ScrapeError) && !(err instanceof PageRefused)) throw err;
    if (durationSeconds === 0) durationSeconds = (Date.now() - start) / 1000;
    const batches = staleMarkers(previous.values(), new Set(), start);
    for (const b of reportSeries(target.labels, { up: false, durationSeconds, samplesScraped: 0, seriesAdded: 0 }, start)) batches.push(b);
    return {
      health: 'down',
      lastError: err.message,
      scrapeTimeMs: start,
      durationSeconds,
      samplesScraped: 0,
      seriesAdded: 0,
      batches,
      tracked: [],
    };
  }
}
