/**
 * Metric metadata (TYPE, HELP, UNIT) as seen at push time (remote_write `MetricMetadata`, which a Prometheus
 * sends for what it scraped, and the Pushgateway pages' TYPE/HELP/UNIT lines), for `/api/v1/metadata`.
 * Each family's entries live in the shard its name hashes to, in one table:
 *
 *   metadata(metric TEXT, type TEXT, help TEXT, unit TEXT, seen INTEGER, PRIMARY KEY (metric, type, help, unit))
 *
 * Like Prometheus, distinct (type, help, unit) triples of one family are kept side by side; a family keeps at
 * most METADATA_PER_METRIC of them, the most recently seen (a HELP that changes on every push cannot grow it).
 */
import type { WireMetricMetadata } from '@pushpull/wire/remote-write/protobuf';
import { readLimits } from './limits';
import type { MetricsShard } from './shard';
import { shardOf } from './series';

/** One family's TYPE/HELP/UNIT (remote_write's MetricMetadata shape). */
export type MetricMetadata = WireMetricMetadata;

/** Distinct (type, help, unit) entries kept per metric family. */
const METADATA_PER_METRIC = 10;

/** Creates the shard's metadata table (idempotent). */
export function createMetadataTable(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS metadata (
    metric TEXT NOT NULL,
    type TEXT NOT NULL,
    help TEXT NOT NULL,
    unit TEXT NOT NULL,
    seen INTEGER NOT NULL,
    PRIMARY KEY (metric, type, help, unit)
  ) WITHOUT ROWID`);
}

/** Stores entries seen at `nowMs` and trims each touched family to its METADATA_PER_METRIC newest. */
export function storeMetadata(sql: SqlStorage, entries: readonly MetricMetadata[], nowMs: number): void {
  const touched = new Set<string>();
  for (const m of entries) {
    sql.exec(
      'INSERT INTO metadata (metric, type, help, unit, seen) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET seen = excluded.seen',
      m.metric,
      m.type,
      m.help,
      m.unit,
      nowMs,
    );
    touched.add(m.metric);
  }
  for (const metric of touched) {
    sql.exec(
      `DELETE FROM metadata WHERE metric = ?1 AND (type, help, unit) NOT IN
        (SELECT type, help, unit FROM metadata WHERE metric = ?1 ORDER BY seen DESC, type, help, unit LIMIT ?2)`,
      metric,
      METADATA_PER_METRIC,
    );
  }
}

/** The shard's entries (of one family when `metric` is given), newest first within a family. */
export function loadMetadata(sql: SqlStorage, metric?: string): MetricMetadata[] {
  const rows =
    metric === undefined
      ? sql.exec<Record<keyof MetricMetadata, string>>('SELECT metric, type, help, unit FROM metadata ORDER BY metric, seen DESC, help')
      : sql.exec<Record<keyof MetricMetadata, string>>(
          'SELECT metric, type, help, unit FROM metadata WHERE metric = ? ORDER BY seen DESC, help',
          metric,
        );
  return rows.toArray().map((r) => ({ metric: r.metric, type: r.type, help: r.help, unit: r.unit }));
}

function shard(env: Env, n: number): DurableObjectStub<MetricsShard> {
  return env.SHARDS.get(env.SHARDS.idFromName(`shard-${n}`));
}

/** Writes entries (duplicates and nameless ones dropped) to the shards their family names hash to. */
export async function recordMetadata(env: Env, entries: readonly MetricMetadata[]): Promise<void> {
  const { shardCount } = readLimits(env);
  const perShard = new Map<number, Map<string, MetricMetadata>>();
  for (const m of entries) {
    if (m.metric === '') continue;
    const n = shardOf(m.metric, shardCount);
    let list = perShard.get(n);
    if (!list) perShard.set(n, (list = new Map()));
    list.set(JSON.stringify([m.metric, m.type, m.help, m.unit]), m);
  }
  await Promise.all([...perShard].map(([n, list]) => shard(env, n).writeMetadata([...list.values()])));
}

/** What `/api/v1/metadata` answers: family → its entries, at most `limit` families of at most `limitPerMetric` entries. */
export async function listMetadata(
  env: Env,
  options: { metric?: string; limit?: number; limitPerMetric?: number },
): Promise<Record<string, { type: string; help: string; unit: string }[]>> {
  const { shardCount } = readLimits(env);
  const shards = options.metric === undefined ? Array.from({ length: shardCount }, (_, n) => n) : [shardOf(options.metric, shardCount)];
  const answers = await Promise.all(shards.map((n) => shard(env, n).metadata(options.metric)));
  const out: Record<string, { type: string; help: string; unit: string }[]> = {};
  const all = answers.flat().sort((a, b) => (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0));
  let families = 0;
  for (const m of all) {
    let list = out[m.metric];
    if (!list) {
      // Prometheus 2.42: a negative limit is no limit, 0 answers no family.
      if (options.limit !== undefined && options.limit >= 0 && families >= options.limit) break;
      out[m.metric] = list = [];
      families++;
    }
    if (options.limitPerMetric !== undefined && options.limitPerMetric > 0 && list.length >= options.limitPerMetric) continue;
    list.push({ type: m.type, help: m.help, unit: m.unit });
  }
  return out;
}
