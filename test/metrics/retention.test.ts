import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { MetricsShard } from '../../workers/metrics/src/shard';
import { canonicalKey, shardOf, sortedLabelPairs } from '../../workers/metrics/src/series';
import { env, instant, uniqueName } from './metrics-client';

describe('sample storage', () => {
  it('stores the staleness marker, NaN, -0 and ±Inf as their exact 8 bytes', async () => {
    const name = uniqueName('bits');
    const labels = { __name__: name };
    const t = Date.now() - 10_000;
    await exports.MetricsRpc.write([
      { labels, timestamps: [t, t + 1, t + 2, t + 3, t + 4], values: [NaN, NaN, -0, Infinity, -Infinity], staleAt: [0] },
    ]);
    const n = shardOf(canonicalKey(sortedLabelPairs(labels)), Number(env.SHARD_COUNT));
    const stub = env.SHARDS.get(env.SHARDS.idFromName(`shard-${n}`));
    const key = canonicalKey(sortedLabelPairs(labels));
    const stored = (state: DurableObjectState, table: string): string[] =>
      state.storage.sql
        .exec<{ h: string }>(
          `SELECT hex(value) AS h FROM ${table} WHERE series_id = (SELECT id FROM series WHERE labels = ?) ORDER BY ts`,
          key,
        )
        .toArray()
        .map((r) => r.h);
    // Written to the log first, then merged into samples: both keep the bytes.
    const logged = await runInDurableObject(stub, (_o: MetricsShard, state) => stored(state, 'samples_log'));
    const merged = await runInDurableObject(stub, (shard: MetricsShard, state) => {
      shard.mergeLog();
      return [stored(state, 'samples'), stored(state, 'samples_log')];
    });
    // Little-endian IEEE-754: stale marker, V8's NaN, -0, +Inf, -Inf.
    const expected = ['020000000000F07F', '000000000000F87F', '0000000000000080', '000000000000F07F', '000000000000F0FF'];
    expect(logged).toEqual(expected);
    expect(merged).toEqual([expected, []]);
  });
});

describe('retention', () => {
  it('schedules an alarm on first write; a pass deletes samples older than RETENTION_DAYS and empty series', async () => {
    const name = uniqueName('ret');
    const now = Date.now();
    const labels = { __name__: name };
    await exports.MetricsRpc.write([{ labels, timestamps: [now - 60_000, now - 1000], values: [1, 2] }]);
    const n = shardOf(canonicalKey(sortedLabelPairs(labels)), Number(env.SHARD_COUNT));
    const stub = env.SHARDS.get(env.SHARDS.idFromName(`shard-${n}`));
    const alarm = await runInDurableObject(stub, (_o: MetricsShard, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThan(now);
    const retentionMs = Number(env.RETENTION_DAYS) * 86_400_000;
    // A pass "30 s into the future past retention of the older sample" removes just that one.
    const first = await runInDurableObject(stub, (shard: MetricsShard) => shard.applyRetention(now - 60_000 + retentionMs + 30_000));
    expect(first.samples).toBeGreaterThanOrEqual(1);
    const r = await exports.default.fetch(`http://m/api/v1/query?query=${name}[5m]`);
    const body = await r.json<{ data: { result: { values: [number, string][] }[] } }>();
    expect(body.data.result[0].values.map((v) => v[1])).toEqual(['2']);
    const second = await runInDurableObject(stub, (shard: MetricsShard) => shard.applyRetention(now + retentionMs + 1));
    expect(second.series).toBeGreaterThanOrEqual(1);
    expect(await instant(name)).toEqual([]);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const next = await runInDurableObject(stub, (_o: MetricsShard, state) => state.storage.getAlarm());
    expect(next).toBeGreaterThan(Date.now());
  });
});
