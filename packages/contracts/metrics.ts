/**
 * The contract between the metrics store (workers/metrics) and the Workers that write into
 * it over a service binding (the scraper). The metrics Worker exports a `WorkerEntrypoint`
 * named `MetricsRpc` whose `write(batches)` takes these batches and answers a {@link WriteResult}.
 */

/** One series and its samples, columnar (cheap to structured-clone over RPC). */
export interface SeriesBatch {
  /** The full label set, including `__name__`. */
  labels: Record<string, string>;
  /** Milliseconds since the Unix epoch, integers, one per value. */
  timestamps: number[];
  /** Float64 values; NaN and ±Infinity allowed. */
  values: number[];
  /**
   * Indexes into timestamps/values whose sample is a Prometheus staleness marker
   * (the NaN with bits 0x7ff0000000000002). Sent as indexes because NaN payloads are not
   * guaranteed to survive structured cloning; the store keeps the exact bits.
   */
  staleAt?: number[];
}

/** What a write did. A batch is accepted whole or its series is listed in `errors`. */
export interface WriteResult {
  /** Series accepted. */
  series: number;
  /** Samples stored. */
  samples: number;
  /** One entry per refused series (limits, invalid labels), naming the problem. */
  errors: string[];
}

/** The RPC surface of `MetricsRpc` (workers/metrics), for callers that bind it. */
export interface MetricsWriter {
  write(batches: SeriesBatch[]): Promise<WriteResult>;
}
