/**
 * Every limit and setting of the metrics Worker, as a schema read through the one settings
 * reader (@pushpull/http/settings; docs/metrics.md, "Settings and limits", is generated from it).
 * Pure: takes the env object, so tests and the RPC entrypoint read the same values. A malformed
 * var throws a SettingError naming it (never a silent default: a typo must not mean another limit).
 */
import { decimal, httpUrl, integer, settingsSchema } from '@pushpull/http/settings';
import { telemetrySettingsSchema } from '@pushpull/telemetry/settings';

const doc = 'docs/metrics.md';
const MiB = 1024 * 1024;

/** The metrics Worker's settings schema. */
/** The metrics Worker's self-metrics settings (TELEMETRY, TELEMETRY_FLUSH_MS, TELEMETRY_FLUSH_EVENTS; src/self-metrics.ts). */
export const metricsTelemetrySettings = telemetrySettingsSchema(doc);

export const metricsSettingsSchema = settingsSchema({
  shardCount: integer('SHARD_COUNT', 8, {
    min: 1,
    doc,
    meaning:
      'store shards; a series lives in shard `fnv1a32(canonical labels) % SHARD_COUNT`. Changing it later strands existing series in ' +
      'their old shard (invisible to queries)',
  }),
  retentionDays: decimal('RETENTION_DAYS', 15, {
    above: 0,
    doc,
    meaning: "samples older than this are deleted by each shard's hourly alarm; series left with no samples are deleted too",
  }),
  maxBodyBytes: integer('MAX_BODY_BYTES', 10 * MiB, {
    min: 1,
    doc,
    meaning: 'request body bytes as sent (compressed or not); checked on `Content-Length` and while streaming → 413, nothing written',
  }),
  maxDecompressedBytes: integer('MAX_DECOMPRESSED_BYTES', 32 * MiB, {
    min: 1,
    doc,
    meaning: 'body bytes after gzip (enforced while inflating) or snappy (checked on the length prefix) → 413, nothing written',
  }),
  maxLinesPerRequest: integer('MAX_LINES_PER_REQUEST', 200_000, {
    min: 1,
    doc,
    meaning: 'line-protocol points per request → 413, nothing written',
  }),
  maxSeriesPerRequest: integer('MAX_SERIES_PER_REQUEST', 50_000, {
    min: 1,
    doc,
    meaning:
      'series per request after mapping (Influx), per WriteRequest (remote_write), samples per push (Pushgateway), batches per RPC ' +
      'call → 413 / RPC error, nothing written',
  }),
  maxLabelsPerSeries: integer('MAX_LABELS_PER_SERIES', 40, {
    min: 1,
    doc,
    meaning: 'labels per series, `__name__` included → that series refused (partial write)',
  }),
  maxLabelNameLength: integer('MAX_LABEL_NAME_LENGTH', 256, {
    min: 1,
    doc,
    meaning: 'UTF-8 bytes of a label name → that series refused (partial write)',
  }),
  maxLabelValueLength: integer('MAX_LABEL_VALUE_LENGTH', 2048, {
    min: 1,
    doc,
    meaning: 'UTF-8 bytes of a label value → that series refused (partial write)',
  }),
  maxFutureSeconds: integer('MAX_FUTURE_SECONDS', 600, {
    min: 1,
    doc,
    meaning: 'a sample stamped later than now + this → its series refused (partial write)',
  }),
  maxSampleAgeSeconds: integer('MAX_SAMPLE_AGE_SECONDS', 15 * 86400, {
    min: 1,
    doc,
    meaning: 'a sample older than now − this (default = retention) → its series refused (partial write)',
  }),
  queryMaxSamples: integer('QUERY_MAX_SAMPLES', 5_000_000, {
    min: 1,
    doc,
    meaning: "samples one query may load (Prometheus's `--query.max-samples`) → 422 `execution`",
  }),
  queryLookbackSeconds: decimal('QUERY_LOOKBACK_DELTA_SECONDS', 300, {
    above: 0,
    doc,
    meaning: "how far back an instant selector looks for a series' newest sample (Prometheus's `--query.lookback-delta`)",
  }),
  queryTimeoutSeconds: decimal('QUERY_TIMEOUT_SECONDS', 120, {
    above: 0,
    doc,
    meaning:
      "longest evaluation of one query (Prometheus's `--query.timeout`; a request's `timeout` may only shorten it) → " + '503 `timeout`',
  }),
  pushIntervalSeconds: integer('PUSH_INTERVAL_SECONDS', 15, {
    min: 1,
    doc,
    meaning: 'seconds between re-emissions of each Pushgateway group',
  }),
  sampleLogMergeSamples: integer('SAMPLE_LOG_MERGE_SAMPLES', 200_000, {
    min: 1,
    doc,
    meaning: "samples a shard's write log holds before the next write merges it into `samples`",
  }),
  sampleLogIdleSeconds: decimal('SAMPLE_LOG_IDLE_SECONDS', 2, {
    above: 0,
    doc,
    meaning: 'a shard merges its write log once no write came for this many seconds (reads merge it first anyway)',
  }),
  scraperUrl: httpUrl('SCRAPER_URL', 'http://127.0.0.1:8789', {
    orEmpty: true,
    doc: 'docs/dashboard.md',
    meaning: "the scraper's base URL: the pages' top bar links to its `/targets` page (empty: no link)",
  }),
});

/** The resolved settings, as numbers. */
export type MetricsLimits = ReturnType<typeof metricsSettingsSchema.read>;

/** Reads the limits from the Worker's vars (once per env object); a malformed var throws a SettingError naming it. */
export function readLimits(env: object): MetricsLimits {
  return metricsSettingsSchema.read(env);
}
