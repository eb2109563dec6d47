/**
 * The scraper's settings, as a schema read through the one settings reader
 * (@pushpull/http/settings; docs/scraper.md, "Settings", is generated from it). The default
 * scrape configuration is checked against the limits when the settings are read, so a bad
 * SCRAPE_CONFIG fails loudly naming the var instead of at the first cron.
 */
import { custom, httpUrl, integer, settingsSchema } from '@pushpull/http/settings';
import { resolveScrapeConfig, ScrapeConfigError, type ScrapeLimits } from './config';

const doc = 'docs/scraper.md';

/**
 * The configuration a fresh deployment scrapes: the local origin every 15 s, its series labelled
 * collection="pull" (the dashboards tell pulled series from pushed ones by it: docs/dashboard.md).
 */
const DEFAULT_SCRAPE_CONFIG = JSON.stringify({
  global: { scrape_interval: '15s', scrape_timeout: '10s' },
  scrape_configs: [{ job_name: 'origin', static_configs: [{ targets: ['127.0.0.1:8080'], labels: { collection: 'pull' } }] }],
});

/** The scraper's settings schema. */
export const scraperSettingsSchema = settingsSchema(
  {
    scrapeConfig: custom('SCRAPE_CONFIG', DEFAULT_SCRAPE_CONFIG, {
      accepts: "a JSON object in Prometheus's scrape_configs terms",
      parse: (text) => {
        const doc: unknown = JSON.parse(text);
        if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('not a JSON object');
        return text;
      },
      doc,
      meaning:
        'the configuration used until one is PUT (the default scrapes the local origin every 15 s, timeout 10 s, ' +
        'its series labelled `collection="pull"`)',
    }),
    maxConcurrentScrapes: integer('MAX_CONCURRENT_SCRAPES', 6, {
      min: 1,
      doc,
      meaning: 'scrapes in flight at once per job (the Workers limit on open connections is 6)',
    }),
    maxBodySize: integer('MAX_BODY_SIZE', 10 * 1024 * 1024, {
      min: 1,
      doc,
      meaning: "upper bound (bytes, uncompressed) on every job's `body_size_limit`",
    }),
    maxSamplesPerScrape: integer('MAX_SAMPLES_PER_SCRAPE', 20_000, {
      min: 1,
      doc,
      meaning:
        "upper bound on every job's `sample_limit`. Keep 2 × this + 5 within the metrics Worker's `MAX_SERIES_PER_REQUEST`: " +
        "a target's page, its staleness markers and report series always go in one write",
    }),
    writeBatchSeries: integer('WRITE_BATCH_SERIES', 10_000, {
      min: 1,
      doc,
      meaning: 'finished scrapes are grouped into one RPC write until this many series',
    }),
    maxTargets: integer('MAX_TARGETS', 500, { min: 1, doc, meaning: 'targets in the whole configuration' }),
    minScrapeIntervalSeconds: integer('MIN_SCRAPE_INTERVAL_SECONDS', 1, { min: 1, doc, meaning: 'shortest `scrape_interval` accepted' }),
    maxConfigBytes: integer('MAX_CONFIG_BYTES', 262_144, { min: 2, doc, meaning: 'size of a `PUT /api/v1/config` body' }),
    metricsUrl: httpUrl('METRICS_URL', 'http://127.0.0.1:8788', {
      orEmpty: true,
      doc: 'docs/dashboard.md',
      meaning: "the metrics Worker's base URL: the scraper's `/targets` page links to its graph and dashboards (empty: no links)",
    }),
  },
  (s) => {
    try {
      resolveScrapeConfig(JSON.parse(s.scrapeConfig), limitsOf(s));
      return undefined;
    } catch (e) {
      if (!(e instanceof ScrapeConfigError)) throw e;
      return { setting: 'SCRAPE_CONFIG', problem: `is not a usable scrape configuration: ${e.problems.join('; ')}` };
    }
  },
);

/** The scraper's settings. */
export type ScraperSettings = ReturnType<typeof scraperSettingsSchema.read>;

function limitsOf(s: ScraperSettings): ScrapeLimits {
  return {
    maxBodySize: s.maxBodySize,
    maxSamplesPerScrape: s.maxSamplesPerScrape,
    maxTargets: s.maxTargets,
    minScrapeIntervalMs: s.minScrapeIntervalSeconds * 1000,
  };
}

/** Reads the settings (once per env object); a malformed var throws a SettingError naming it. */
export function scraperSettings(env: object): ScraperSettings {
  return scraperSettingsSchema.read(env);
}

/** The limits a scrape configuration is resolved with. */
export function scrapeLimits(env: object): ScrapeLimits {
  return limitsOf(scraperSettings(env));
}
