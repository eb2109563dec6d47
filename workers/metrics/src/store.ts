/**
 * The store as the Worker sees it: routes validated series to their shards and fans reads
 * out to every shard in parallel, merging the answers.
 */
import type { SeriesBatch, WriteResult } from '@pushpull/contracts/metrics';
import { readLimits, type MetricsLimits } from './limits';
import type { LabelMatcher } from './selector';
import { packShardWrite, prepareSeries, shardOf, type PreparedSeries, type PreparedWrite } from './series';
import type { MetricsShard, ShardSelect } from './shard';

/** The shard stub for index `n`. */
function shard(env: Env, n: number): DurableObjectStub<MetricsShard> {
  return env.SHARDS.get(env.SHARDS.idFromName(`shard-${n}`));
}

/** Result of {@link writeSeries}: the contract's WriteResult plus the refused sample count. */
export interface StoreWriteResult extends WriteResult {
  refusedSamples: number;
}

/**
 * Validates and stores series. Invalid series are refused one by one (listed in `refused`);
 * the valid ones are written, each shard in one transaction. A shard failure throws (the
 * caller answers 5xx, which remote_write clients retry; rewriting the same samples is
 * idempotent since a duplicate (series, ts) keeps the last value).
 */
export async function writeSeries(
  env: Env,
  batches: readonly SeriesBatch[],
  nowMs = Date.now(),
  limits: MetricsLimits = readLimits(env),
): Promise<StoreWriteResult> {
  return storePrepared(env, prepareSeries(batches, limits, nowMs), limits);
}

/**
 * Stores series already validated by {@link prepareSeries}, each shard in parallel, each sent
 * in columns ({@link packShardWrite}) so that the RPC clones a few buffers, not 1 object per series.
 */
export async function storePrepared(env: Env, prepared: PreparedWrite, limits: MetricsLimits): Promise<StoreWriteResult> {
  const perShard = new Map<number, PreparedSeries[]>();
  for (const s of prepared.series) {
    const n = shardOf(s.key, limits.shardCount);
    const list = perShard.get(n);
    if (list) list.push(s);
    else perShard.set(n, [s]);
  }
  const results = await Promise.all([...perShard].map(([n, list]) => shard(env, n).writeColumns(packShardWrite(list))));
  let series = 0;
  let samples = 0;
  for (const r of results) {
    series += r.series;
    samples += r.samples;
  }
  return { series, samples, refused: prepared.refused, refusedSamples: prepared.refusedSamples };
}

/** Thrown when a read would load more than QUERY_MAX_SAMPLES samples. */
export class TooManySamplesError extends Error {
  constructor(readonly limit: number) {
    super('query processing would load too many samples into memory in query execution');
  }
}

/** Samples of the matching series from every shard, merged and sorted by label set. */
export async function selectSeries(env: Env, req: Omit<ShardSelect, 'maxSamples'>): Promise<SeriesBatch[]> {
  const limits = readLimits(env);
  const answers = await Promise.all(
    Array.from({ length: limits.shardCount }, (_, n) => shard(env, n).select({ ...req, maxSamples: limits.queryMaxSamples })),
  );
  let total = 0;
  const out: SeriesBatch[] = [];
  for (const a of answers) {
    total += a.samples;
    if (a.tooMany || total > limits.queryMaxSamples) throw new TooManySamplesError(limits.queryMaxSamples);
    out.push(...a.series);
  }
  return sortedByLabels(out, (s) => s.labels);
}

/** Label sets with samples in [startMs, endMs] matching any of the matcher sets, from every shard. */
export async function selectLabelSets(
  env: Env,
  matcherSets: LabelMatcher[][],
  startMs: number,
  endMs: number,
): Promise<Record<string, string>[]> {
  const limits = readLimits(env);
  const answers = await Promise.all(
    Array.from({ length: limits.shardCount }, (_, n) => shard(env, n).seriesLabels(matcherSets, startMs, endMs)),
  );
  return sortedByLabels(answers.flat(), (labels) => labels);
}

/**
 * `items` ordered as Prometheus orders label sets: by their label pairs sorted by name. Each set's
 * names are sorted once, not on every comparison.
 */
function sortedByLabels<T>(items: T[], labelsOf: (item: T) => Record<string, string>): T[] {
  const keyed = items.map((item) => {
    const labels = labelsOf(item);
    return { item, labels, names: Object.keys(labels).sort() };
  });
  keyed.sort((a, b) => {
    const n = Math.min(a.names.length, b.names.length);
    for (let i = 0; i < n; i++) {
      if (a.names[i] !== b.names[i]) return a.names[i] < b.names[i] ? -1 : 1;
      const va = a.labels[a.names[i]];
      const vb = b.labels[b.names[i]];
      if (va !== vb) return va < vb ? -1 : 1;
    }
    return a.names.length - b.names.length;
  });
  return keyed.map((k) => k.item);
}
