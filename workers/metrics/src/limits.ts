/**
 * Every limit and setting of the metrics Worker, read from its wrangler vars (all strings).
 * Pure: takes the env object, so tests and the RPC entrypoint read the same values.
 */

/** The resolved settings, as numbers. */
export interface MetricsLimits {
  shardCount: number;
  retentionDays: number;
  maxBodyBytes: number;
  maxDecompressedBytes: number;
  maxLinesPerRequest: number;
  maxSeriesPerRequest: number;
  maxLabelsPerSeries: number;
  maxLabelNameLength: number;
  maxLabelValueLength: number;
  maxFutureSeconds: number;
  maxSampleAgeSeconds: number;
  queryMaxSamples: number;
  pushIntervalSeconds: number;
  sampleLogMergeSamples: number;
  sampleLogIdleSeconds: number;
}

/** Defaults, identical to workers/metrics/wrangler.toml. */
export const DEFAULT_LIMITS: MetricsLimits = {
  shardCount: 8,
  retentionDays: 15,
  maxBodyBytes: 10 * 1024 * 1024,
  maxDecompressedBytes: 32 * 1024 * 1024,
  maxLinesPerRequest: 200_000,
  maxSeriesPerRequest: 50_000,
  maxLabelsPerSeries: 40,
  maxLabelNameLength: 256,
  maxLabelValueLength: 2048,
  maxFutureSeconds: 600,
  maxSampleAgeSeconds: 15 * 86400,
  queryMaxSamples: 5_000_000,
  pushIntervalSeconds: 15,
  sampleLogMergeSamples: 200_000,
  sampleLogIdleSeconds: 2,
};

const VAR_NAMES: Record<keyof MetricsLimits, string> = {
  shardCount: 'SHARD_COUNT',
  retentionDays: 'RETENTION_DAYS',
  maxBodyBytes: 'MAX_BODY_BYTES',
  maxDecompressedBytes: 'MAX_DECOMPRESSED_BYTES',
  maxLinesPerRequest: 'MAX_LINES_PER_REQUEST',
  maxSeriesPerRequest: 'MAX_SERIES_PER_REQUEST',
  maxLabelsPerSeries: 'MAX_LABELS_PER_SERIES',
  maxLabelNameLength: 'MAX_LABEL_NAME_LENGTH',
  maxLabelValueLength: 'MAX_LABEL_VALUE_LENGTH',
  maxFutureSeconds: 'MAX_FUTURE_SECONDS',
  maxSampleAgeSeconds: 'MAX_SAMPLE_AGE_SECONDS',
  queryMaxSamples: 'QUERY_MAX_SAMPLES',
  pushIntervalSeconds: 'PUSH_INTERVAL_SECONDS',
  sampleLogMergeSamples: 'SAMPLE_LOG_MERGE_SAMPLES',
  sampleLogIdleSeconds: 'SAMPLE_LOG_IDLE_SECONDS',
};

/**
 * Reads the limits from the Worker's vars. A var that is missing or not a positive number
 * falls back to its default (a misconfigured limit must never mean "unlimited").
 */
export function readLimits(env: unknown): MetricsLimits {
  const vars = (env ?? {}) as Record<string, unknown>;
  const out = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(VAR_NAMES) as (keyof MetricsLimits)[]) {
    const raw = vars[VAR_NAMES[key]];
    const n = typeof raw === 'string' || typeof raw === 'number' ? Number(raw) : NaN;
    if (Number.isFinite(n) && n > 0) out[key] = key === 'retentionDays' || key === 'sampleLogIdleSeconds' ? n : Math.floor(n);
  }
  return out;
}

/** The wrangler var that sets a limit, for error messages that tell the operator what to raise. */
export function limitVar(key: keyof MetricsLimits): string {
  return VAR_NAMES[key];
}
