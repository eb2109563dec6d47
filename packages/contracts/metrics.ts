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

/** A batch the store refused (label limits, invalid labels, timestamps out of bounds). */
export interface SeriesRefusal {
  /**
   * Position of the refused batch in the `batches` given to `write`: how a caller that sends
   * several sources' series in one call tells whose it was.
   */
  index: number;
  /**
   * The problem, naming the series (its label text cut at 200 characters):
   * `series up{job="x"}: timestamp … is more than MAX_FUTURE_SECONDS (600) in the future`.
   */
  message: string;
}

/** What a write did. A batch is stored whole or listed in `refused`. */
export interface WriteResult {
  /** Series accepted. */
  series: number;
  /** Samples stored. */
  samples: number;
  /** One entry per refused batch, in batch order. */
  refused: SeriesRefusal[];
  /** Set when the whole write was refused and nothing was written (more than MAX_SERIES_PER_REQUEST batches, or not an array). */
  rejected?: string;
}

/** The RPC surface of `MetricsRpc` (workers/metrics), for callers that bind it. */
export interface MetricsWriter {
  write(batches: SeriesBatch[]): Promise<WriteResult>;
}
