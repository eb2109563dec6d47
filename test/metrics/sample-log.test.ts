import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { readLimits } from '../../workers/metrics/src/limits';
import { packShardWrite, prepareSeries, type ShardWrite } from '../../workers/metrics/src/series';
import { MAX_TIME_MS, MIN_TIME_MS, type MetricsShard } from '../../workers/metrics/src/shard';
import { env, uniqueName } from './metrics-client';

/** A shard object of its own (not one the store routes to), so counts are exact. */
function ownShard(): DurableObjectStub<MetricsShard> {
  return env.SHARDS.get(env.SHARDS.idFromName(uniqueName('log-test')));
}

/** One series' samples, validated and packed as the store sends them. */
function columns(name: string, timestamps: number[], values: number[]): ShardWrite {
  const prepared = prepareSeries([{ labels: { __name__: name }, timestamps, values }], readLimits(env), Date.now());
  expect(prepared.refused).toEqual([]);
  return packShardWrite(prepared.series);
}

async function rowCounts(stub: DurableObjectStub<MetricsShard>): Promise<{ log: number; samples: number; series: number }> {
  return runInDurableObject(stub, (_s: MetricsShard, state) => {
    const n = (table: string): number => state.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${table}`).one().n;
    return { log: n('samples_log'), samples: n('samples'), series: n('series') };
  });
}

async function values(stub: DurableObjectStub<MetricsShard>, name: string): Promise<[number, number][]> {
  const r = await stub.select({
    matchers: [{ name: '__name__', type: '=', value: name }],
    afterMs: MIN_TIME_MS,
    untilMs: MAX_TIME_MS,
    maxSamples: 1000,
  });
  return r.series.flatMap((s) => s.timestamps.map((ts, i): [number, number] => [ts, s.values[i]]));
}

describe('the shard sample log', () => {
  it('appends writes to the log and merges it into samples before the write after it reaches logMergeSamples', async () => {
    const stub = ownShard();
    const name = uniqueName('log_edge');
    const t = Date.now() - 60_000;
    await runInDurableObject(stub, (shard: MetricsShard) => {
      shard.logMergeSamples = 4;
    });
    await stub.writeColumns(columns(name, [t, t + 1, t + 2], [1, 2, 3]));
    expect(await rowCounts(stub)).toEqual({ log: 3, samples: 0, series: 1 });
    // At the edge: 4 logged samples; the merge waits for the next write.
    await stub.writeColumns(columns(name, [t + 3], [4]));
    expect(await rowCounts(stub)).toEqual({ log: 4, samples: 0, series: 1 });
    // Past it: the 4 are merged first, then the new 2 are logged.
    await stub.writeColumns(columns(name, [t + 4, t + 5], [5, 6]));
    expect(await rowCounts(stub)).toEqual({ log: 2, samples: 4, series: 1 });
    expect(await values(stub, name)).toEqual([1, 2, 3, 4, 5, 6].map((v, i) => [t + i, v]));
    expect(await rowCounts(stub)).toEqual({ log: 0, samples: 6, series: 1 });
  });

  it('keeps the value written last for a duplicate (series, ts), within the log and across log and samples', async () => {
    const stub = ownShard();
    const name = uniqueName('log_dup');
    const t = Date.now() - 60_000;
    await stub.writeColumns(columns(name, [t, t + 1000, t], [1, 2, 3]));
    await stub.writeColumns(columns(name, [t + 1000], [20]));
    expect(await values(stub, name)).toEqual([
      [t, 3],
      [t + 1000, 20],
    ]);
    // Now merged; a rewrite sits in the log until the next read, which must prefer it.
    await stub.writeColumns(columns(name, [t], [30]));
    expect(await rowCounts(stub)).toMatchObject({ log: 1, samples: 2 });
    expect(await values(stub, name)).toEqual([
      [t, 30],
      [t + 1000, 20],
    ]);
  });

  it('writes nothing of a write whose append fails: its new series and samples roll back together', async () => {
    const stub = ownShard();
    const good = uniqueName('log_good');
    const t = Date.now() - 60_000;
    await stub.writeColumns(columns(good, [t], [1]));
    // A NaN timestamp (never produced by prepareSeries) makes the append's JSON invalid mid-write.
    const limits = readLimits(env);
    const fresh = prepareSeries([{ labels: { __name__: uniqueName('log_new') }, timestamps: [t], values: [1] }], limits, Date.now()).series;
    const known = prepareSeries([{ labels: { __name__: good }, timestamps: [t + 1], values: [2] }], limits, Date.now()).series;
    const bad = packShardWrite([...fresh, { ...known[0], timestamps: new Float64Array([Number.NaN]) }]);
    // Called inside the object: an error thrown across RPC would be reported as unhandled.
    await runInDurableObject(stub, async (shard: MetricsShard) => {
      await expect(shard.writeColumns(bad)).rejects.toThrow(/NOT NULL|JSON/);
    });
    expect(await rowCounts(stub)).toEqual({ log: 1, samples: 0, series: 1 });
    expect(await stub.stats()).toEqual({ series: 1, samples: 1 });
    expect(await values(stub, good)).toEqual([[t, 1]]);
  });

  it('refuses a malformed shard write (counts that do not add up) before touching storage', async () => {
    const stub = ownShard();
    const w = columns(uniqueName('log_malformed'), [Date.now()], [1]);
    await runInDurableObject(stub, async (shard: MetricsShard) => {
      await expect(shard.writeColumns({ ...w, counts: new Uint32Array([2]) })).rejects.toThrow(
        /malformed shard write: 1 keys, 1 counts \(2 samples\), 1 timestamps/,
      );
    });
    expect(await rowCounts(stub)).toEqual({ log: 0, samples: 0, series: 0 });
  });

  it('merges the log on its alarm once writes have paused for SAMPLE_LOG_IDLE_SECONDS, not while they go on', async () => {
    const stub = ownShard();
    const name = uniqueName('log_idle');
    const t = Date.now() - 60_000;
    const before = Date.now();
    await stub.writeColumns(columns(name, [t, t + 1], [1, 2]));
    const idleMs = Number(env.SAMPLE_LOG_IDLE_SECONDS) * 1000;
    const alarm = await runInDurableObject(stub, (_s: MetricsShard, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThanOrEqual(before + idleMs);
    expect(alarm).toBeLessThanOrEqual(Date.now() + idleMs);
    // Writes still recent (the idle time is an hour here): the alarm leaves the log and comes back.
    await runInDurableObject(stub, (shard: MetricsShard) => {
      shard.logIdleMs = 3_600_000;
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await rowCounts(stub)).toMatchObject({ log: 2, samples: 0 });
    expect(await runInDurableObject(stub, (_s: MetricsShard, state) => state.storage.getAlarm())).toBeGreaterThan(Date.now());
    // Idle: the alarm merges.
    await runInDurableObject(stub, (shard: MetricsShard) => {
      shard.logIdleMs = 0;
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await rowCounts(stub)).toMatchObject({ log: 0, samples: 2 });
  });

  it('runs retention from the alarm when its time has come', async () => {
    const stub = ownShard();
    const name = uniqueName('log_retention');
    const retentionMs = Number(env.RETENTION_DAYS) * 86_400_000;
    const now = Date.now();
    await stub.writeColumns(columns(name, [now - 1000], [1]));
    await runDurableObjectAlarm(stub);
    const due = await runInDurableObject(stub, (_s: MetricsShard, state) => state.storage.get<number>('retention_due'));
    expect(due).toBeGreaterThan(now);
    // Retention due now, and the sample older than RETENTION_DAYS by then: the alarm deletes it.
    await runInDurableObject(stub, async (shard: MetricsShard, state) => {
      shard.logIdleMs = 0;
      await state.storage.put('retention_due', Date.now() - 1);
      const realNow = Date.now;
      Date.now = () => realNow() + retentionMs;
      try {
        await shard.alarm();
      } finally {
        Date.now = realNow;
      }
    });
    expect(await rowCounts(stub)).toEqual({ log: 0, samples: 0, series: 0 });
    const next = await runInDurableObject(stub, (_s: MetricsShard, state) => state.storage.get<number>('retention_due'));
    expect(next).toBeGreaterThan(Date.now() + retentionMs);
  });

  it('takes its merge size and idle time from SAMPLE_LOG_MERGE_SAMPLES and SAMPLE_LOG_IDLE_SECONDS (refuses bad values)', async () => {
    const settings = await runInDurableObject(ownShard(), (shard: MetricsShard) => [shard.logMergeSamples, shard.logIdleMs]);
    expect(settings).toEqual([Number(env.SAMPLE_LOG_MERGE_SAMPLES), Number(env.SAMPLE_LOG_IDLE_SECONDS) * 1000]);
    expect(readLimits({ SAMPLE_LOG_MERGE_SAMPLES: '1', SAMPLE_LOG_IDLE_SECONDS: '0.5' })).toMatchObject({
      sampleLogMergeSamples: 1,
      sampleLogIdleSeconds: 0.5,
    });
    expect(readLimits({})).toMatchObject({ sampleLogMergeSamples: 200_000, sampleLogIdleSeconds: 2 });
    for (const bad of ['0', '-3', 'many', '']) {
      expect(() => readLimits({ SAMPLE_LOG_MERGE_SAMPLES: bad })).toThrow(
        `wrangler var SAMPLE_LOG_MERGE_SAMPLES must be an integer >= 1, got ${JSON.stringify(bad)}`,
      );
      expect(() => readLimits({ SAMPLE_LOG_IDLE_SECONDS: bad })).toThrow(
        `wrangler var SAMPLE_LOG_IDLE_SECONDS must be a number > 0, got ${JSON.stringify(bad)}`,
      );
    }
  });
});
