/**
 * Self-metrics of a Worker (docs/dashboard.md, "How a Worker pushes"): counters and classic
 * histograms kept per isolate, cumulative since the isolate started (a counter never resets
 * within an isolate), pushed into the metrics store as `SeriesBatch`es every few seconds or N
 * events. Isolates are short-lived and cannot be scraped, so they push; each one labels its
 * series with its own random `instance` so that the totals of two isolates never overwrite
 * each other, and a dashboard sums `instance` away.
 *
 * A metrics write must never slow or fail a user's request: recording is a map update,
 * {@link Recorder.flushIfDue} hands the write to `waitUntil` and returns, and a failed write
 * is swallowed and counted (`pushpull_telemetry_flush_failures_total`, sent with the next flush).
 */
import type { SeriesBatch, WriteResult } from '@pushpull/contracts/metrics';

/** Where a flush writes: the metrics Worker's `MetricsRpc` service binding, or the store itself. */
export interface TelemetrySink {
  write(batches: SeriesBatch[]): Promise<WriteResult>;
}

/** A metric family as the self-metrics catalogue describes it (workers/metrics/src/dashboards/catalogue.ts). */
export interface FamilyDefinition {
  name: string;
  type: string;
  /** The labels beyond job, instance and collection; their order is the order of the values given to `inc`/`observe`. */
  labels: Record<string, string>;
  buckets?: readonly number[];
}

/** When a recorder flushes. */
export interface FlushPolicy {
  /** Flush at most this often, in milliseconds (default 5000). */
  flushIntervalMs?: number;
  /** … or as soon as this many events were recorded since the last flush (default 1000). */
  flushEvents?: number;
}

/** How a recorder pushes. */
export interface RecorderOptions extends FlushPolicy {
  /** The `job` label: the Worker's name (`pushpull-edge`). */
  job: string;
  /** A flush still pending after this long no longer holds the next one back (default 30 s, the `waitUntil` limit). */
  flushTimeoutMs?: number;
  /** The clock, in milliseconds since the epoch (timestamps of the flushed samples). */
  now?: () => number;
  /** The isolate's id (default a random UUID, drawn at first use: Workers refuse randomness at start-up). */
  instanceId?: () => string;
}

/** One label set's value of a counter. */
interface CounterCell {
  values: readonly string[];
  value: number;
}

/** One label set's buckets of a histogram: counts per bucket (not cumulative), the last one +Inf. */
interface HistogramCell {
  values: readonly string[];
  counts: number[];
  sum: number;
  count: number;
}

/** Label values joined into a map key (the separator cannot appear in an HTTP status or a label of ours). */
function cellKey(values: readonly string[]): string {
  return values.length === 1 ? values[0] : values.join('\u0000');
}

/** Prometheus's text for a bucket bound (`le`): `0.005`, `1`, `+Inf`. */
function formatBound(bound: number): string {
  return bound === Infinity ? '+Inf' : String(bound);
}

/** A counter family: one cumulative value per label set. */
export class Counter {
  readonly #cells = new Map<string, CounterCell>();

  constructor(
    readonly name: string,
    readonly labelNames: readonly string[],
    private readonly onEvent: () => void,
  ) {}

  /** Adds `by` (default 1) to the series with these label values (in the order of `labelNames`). */
  inc(values: readonly string[], by = 1): void {
    if (!(by > 0)) return;
    const key = cellKey(values);
    const cell = this.#cells.get(key);
    if (cell) cell.value += by;
    else this.#cells.set(key, { values, value: by });
    this.onEvent();
  }

  /** The current total of a label set (0 if never incremented). */
  value(values: readonly string[]): number {
    return this.#cells.get(cellKey(values))?.value ?? 0;
  }

  /** The family's series, one sample each, at `at`. */
  series(base: Record<string, string>, at: number): SeriesBatch[] {
    const out: SeriesBatch[] = [];
    for (const cell of this.#cells.values()) {
      out.push({ labels: labelSet(base, this.name, this.labelNames, cell.values), timestamps: [at], values: [cell.value] });
    }
    return out;
  }
}

/** A classic histogram family: `_bucket{le}` (cumulative), `_sum` and `_count` per label set. */
export class Histogram {
  readonly #cells = new Map<string, HistogramCell>();
  readonly #bounds: readonly number[];

  constructor(
    readonly name: string,
    readonly labelNames: readonly string[],
    buckets: readonly number[],
    private readonly onEvent: () => void,
  ) {
    for (let i = 1; i < buckets.length; i++) {
      if (!(buckets[i] > buckets[i - 1])) throw new Error(`${name}: buckets must increase (${buckets.join(', ')})`);
    }
    this.#bounds = [...buckets.filter((b) => b !== Infinity), Infinity];
  }

  /** Records one observation (a NaN is ignored). */
  observe(values: readonly string[], value: number): void {
    if (Number.isNaN(value)) return;
    const key = cellKey(values);
    let cell = this.#cells.get(key);
    if (!cell) {
      cell = { values, counts: new Array<number>(this.#bounds.length).fill(0), sum: 0, count: 0 };
      this.#cells.set(key, cell);
    }
    let i = 0;
    while (value > this.#bounds[i]) i++;
    cell.counts[i]++;
    cell.sum += value;
    cell.count++;
    this.onEvent();
  }

  /** The family's series (`_bucket` per bound, `_sum`, `_count`), one sample each, at `at`. */
  series(base: Record<string, string>, at: number): SeriesBatch[] {
    const out: SeriesBatch[] = [];
    for (const cell of this.#cells.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        cumulative += cell.counts[i];
        const labels = labelSet(base, `${this.name}_bucket`, this.labelNames, cell.values);
        labels.le = formatBound(this.#bounds[i]);
        out.push({ labels, timestamps: [at], values: [cumulative] });
      }
      out.push({ labels: labelSet(base, `${this.name}_sum`, this.labelNames, cell.values), timestamps: [at], values: [cell.sum] });
      out.push({ labels: labelSet(base, `${this.name}_count`, this.labelNames, cell.values), timestamps: [at], values: [cell.count] });
    }
    return out;
  }
}

/** The full label set of a series: name, the recorder's own labels, then the family's. */
function labelSet(base: Record<string, string>, name: string, names: readonly string[], values: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = { __name__: name, ...base };
  for (let i = 0; i < names.length; i++) labels[names[i]] = values[i] ?? '';
  return labels;
}

/** Why a flush failed, as `pushpull_telemetry_flush_failures_total` labels it. */
type FlushFailure = 'error' | 'rejected' | 'refused';

/** The families of one isolate and the state of their pushing. */
export class Recorder {
  readonly #families: Array<Counter | Histogram> = [];
  readonly #job: string;
  readonly #intervalMs: number;
  readonly #flushEvents: number;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #instanceId: () => string;
  readonly #failures: Counter;
  #instance: string | undefined;
  #events = 0;
  #lastFlush = Number.NEGATIVE_INFINITY;
  #pendingSince: number | undefined;

  constructor(options: RecorderOptions) {
    this.#job = options.job;
    this.#intervalMs = options.flushIntervalMs ?? 5000;
    this.#flushEvents = options.flushEvents ?? 1000;
    this.#timeoutMs = options.flushTimeoutMs ?? 30_000;
    this.#now = options.now ?? Date.now;
    this.#instanceId = options.instanceId ?? (() => crypto.randomUUID());
    this.#failures = this.counter('pushpull_telemetry_flush_failures_total', ['reason']);
  }

  /** Declares a counter family with its label names. */
  counter(name: string, labelNames: readonly string[]): Counter {
    const c = new Counter(name, labelNames, this.#countEvent);
    this.#families.push(c);
    return c;
  }

  /** Declares a histogram family with its label names and bucket bounds (`+Inf` implied). */
  histogram(name: string, labelNames: readonly string[], buckets: readonly number[]): Histogram {
    const h = new Histogram(name, labelNames, buckets, this.#countEvent);
    this.#families.push(h);
    return h;
  }

  /** Declares the counter a catalogue entry describes: its name, and its labels in the entry's order. */
  counterOf(definition: FamilyDefinition): Counter {
    if (definition.type !== 'counter') throw new Error(`${definition.name} is a ${definition.type}, not a counter`);
    return this.counter(definition.name, Object.keys(definition.labels));
  }

  /** Declares the histogram a catalogue entry describes: its name, labels and buckets. */
  histogramOf(definition: FamilyDefinition): Histogram {
    if (definition.type !== 'histogram' || !definition.buckets) throw new Error(`${definition.name} is not a histogram with buckets`);
    return this.histogram(definition.name, Object.keys(definition.labels), definition.buckets);
  }

  readonly #countEvent = (): void => {
    this.#events++;
  };

  /** This isolate's `instance` label. */
  get instance(): string {
    this.#instance ??= this.#instanceId();
    return this.#instance;
  }

  /** Failed flushes so far, by reason. */
  failures(reason: FlushFailure): number {
    return this.#failures.value([reason]);
  }

  /** Every series of every family with its current total, stamped `at` (ms since the epoch). */
  snapshot(at: number = this.#now()): SeriesBatch[] {
    const base = { job: this.#job, instance: this.instance, collection: 'push' };
    const stamp = Math.floor(at);
    return this.#families.flatMap((f) => f.series(base, stamp));
  }

  /**
   * Starts a flush through `waitUntil` when one is due (the interval has passed, or N events
   * were recorded since the last one) and none is pending; otherwise does nothing. Never
   * throws and never waits: the request that calls it goes on at once. `policy` overrides the
   * recorder's interval and event count (a Worker's settings, read per request).
   */
  flushIfDue(sink: TelemetrySink | undefined, waitUntil: (p: Promise<unknown>) => void, policy: FlushPolicy = {}): void {
    if (!sink || this.#events === 0) return;
    const now = this.#now();
    if (this.#pendingSince !== undefined && now - this.#pendingSince < this.#timeoutMs) return;
    const intervalMs = policy.flushIntervalMs ?? this.#intervalMs;
    const events = policy.flushEvents ?? this.#flushEvents;
    if (now - this.#lastFlush < intervalMs && this.#events < events) return;
    try {
      waitUntil(this.flush(sink));
    } catch {
      this.#failures.inc(['error']);
    }
  }

  /** Writes every series' current total now; resolves when done, never rejects (a failure is counted). */
  async flush(sink: TelemetrySink): Promise<void> {
    const at = this.#now();
    this.#pendingSince = at;
    this.#lastFlush = at;
    this.#events = 0;
    try {
      const result = await sink.write(this.snapshot(at));
      if (result.rejected) this.#failures.inc(['rejected']);
      else if (result.refused.length > 0) this.#failures.inc(['refused']);
    } catch {
      this.#failures.inc(['error']);
    } finally {
      this.#pendingSince = undefined;
    }
  }
}
