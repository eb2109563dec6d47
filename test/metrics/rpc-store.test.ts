import { exports } from 'cloudflare:workers';
import type { SeriesBatch } from '@pushpull/contracts/metrics';
import { describe, expect, it } from 'vitest';
import { readLimits } from '../../workers/metrics/src/limits';
import { prepareSeries } from '../../workers/metrics/src/series';
import { env, instant, uniqueName, call } from './metrics-client';

const rpc = exports.MetricsRpc;

describe('MetricsRpc.write and the store', () => {
  it('stores batches and reads them back through /api/v1/query', async () => {
    const name = uniqueName('rpc_up');
    const now = Date.now();
    const result = await rpc.write([
      { labels: { __name__: name, job: 'a' }, timestamps: [now - 2000, now - 1000], values: [1, 2] },
      { labels: { __name__: name, job: 'b' }, timestamps: [now - 1000], values: [5] },
    ]);
    expect(result).toEqual({ series: 2, samples: 3, refused: [] });
    const rows = await instant(name, now / 1000);
    expect(rows.map((r) => [r.metric.job, r.value[1]])).toEqual([
      ['a', '2'],
      ['b', '5'],
    ]);
    expect(rows[0].metric.__name__).toBe(name);
  });

  it('keeps NaN, +Inf, -Inf and -0 exactly, and a staleness marker ends the series', async () => {
    const name = uniqueName('rpc_special');
    const t = Date.now() - 60_000;
    await rpc.write([
      { labels: { __name__: name, v: 'nan' }, timestamps: [t], values: [NaN] },
      { labels: { __name__: name, v: 'pinf' }, timestamps: [t], values: [Infinity] },
      { labels: { __name__: name, v: 'ninf' }, timestamps: [t], values: [-Infinity] },
      { labels: { __name__: name, v: 'stale' }, timestamps: [t, t + 1000], values: [7, NaN], staleAt: [1] },
    ]);
    const at = (t + 500) / 1000;
    const before = await instant(name, at);
    expect(Object.fromEntries(before.map((r) => [r.metric.v, r.value[1]]))).toEqual({ nan: 'NaN', pinf: '+Inf', ninf: '-Inf', stale: '7' });
    const after = await instant(name, (t + 2000) / 1000);
    expect(after.map((r) => r.metric.v).sort()).toEqual(['nan', 'ninf', 'pinf']);
  });

  it('accepts out-of-order samples and keeps the last value of a duplicate (series, ts)', async () => {
    const name = uniqueName('rpc_dup');
    const t = Date.now() - 120_000;
    await rpc.write([{ labels: { __name__: name }, timestamps: [t + 2000, t, t + 1000], values: [3, 1, 2] }]);
    await rpc.write([{ labels: { __name__: name }, timestamps: [t + 1000, t + 1000], values: [20, 21] }]);
    const r = await call(`/api/v1/query?query=${name}[10s]&time=${(t + 2000) / 1000}`);
    expect(r.status).toBe(200);
    const body = r.json() as { data: { resultType: string; result: { values: [number, string][] }[] } };
    expect(body.data.resultType).toBe('matrix');
    expect(body.data.result[0].values).toEqual([
      [t / 1000, '1'],
      [(t + 1000) / 1000, '21'],
      [(t + 2000) / 1000, '3'],
    ]);
  });

  it('writes more samples than one 100-parameter statement holds, in one request', async () => {
    const name = uniqueName('rpc_many');
    const t0 = Date.now() - 3_600_000;
    const timestamps = Array.from({ length: 1000 }, (_, i) => t0 + i * 1000);
    const result = await rpc.write([{ labels: { __name__: name }, timestamps, values: timestamps.map((_, i) => i) }]);
    expect(result.samples).toBe(1000);
    const r = await call(`/api/v1/query?query=${name}[1h]&time=${(t0 + 999_000) / 1000}`);
    const body = r.json() as { data: { result: { values: [number, string][] }[] } };
    expect(body.data.result[0].values).toHaveLength(1000);
    expect(body.data.result[0].values[999]).toEqual([(t0 + 999_000) / 1000, '999']);
  });

  it('refuses invalid series one by one and names them, storing the rest', async () => {
    const name = uniqueName('rpc_bad');
    const now = Date.now();
    const longValue = 'x'.repeat(Number(env.MAX_LABEL_VALUE_LENGTH) + 1);
    const result = await rpc.write([
      { labels: { __name__: name, ok: 'yes' }, timestamps: [now], values: [1] },
      { labels: { __name__: name, big: longValue }, timestamps: [now], values: [1] },
      { labels: { __name__: name, 'bad-name': 'v' }, timestamps: [now], values: [1] },
      { labels: { job: 'no name' }, timestamps: [now], values: [1] },
      { labels: { __name__: name, when: 'future' }, timestamps: [now + 3_600_000], values: [1] },
      { labels: { __name__: name, when: 'old' }, timestamps: [now - 2 * 86_400_000], values: [1] },
      { labels: { __name__: name, misaligned: 'y' }, timestamps: [now, now + 1], values: [1] },
    ]);
    expect(result.series).toBe(1);
    expect(result.samples).toBe(1);
    expect(result.refused).toEqual([
      { index: 1, message: expect.stringMatching(/MAX_LABEL_VALUE_LENGTH/) },
      { index: 2, message: expect.stringMatching(/invalid label name "bad-name"/) },
      { index: 3, message: expect.stringMatching(/missing metric name/) },
      { index: 4, message: expect.stringMatching(/MAX_FUTURE_SECONDS/) },
      { index: 5, message: expect.stringMatching(/MAX_SAMPLE_AGE_SECONDS/) },
      { index: 6, message: expect.stringMatching(/2 timestamps but 1 values/) },
    ]);
    expect(result.rejected).toBeUndefined();
    const rows = await instant(name);
    expect(rows.map((r) => r.metric.ok)).toEqual(['yes']);
  });

  it('refuses malformed batches alone (none, no labels, staleAt not an array) and never rejects the call', async () => {
    const name = uniqueName('rpc_malformed');
    const now = Date.now();
    const result = await rpc.write([
      undefined,
      null,
      { labels: { __name__: name, staleAt: 'object' }, timestamps: [now], values: [1], staleAt: { length: 1 } },
      { labels: { __name__: name, staleAt: 'null' }, timestamps: [now], values: [2], staleAt: null },
      { timestamps: [now], values: [3] },
    ] as unknown as SeriesBatch[]);
    expect(result.series).toBe(1);
    expect(result.refused).toEqual([
      { index: 0, message: 'series {}: labels missing' },
      { index: 1, message: 'series {}: labels missing' },
      { index: 2, message: `series ${name}{staleAt="object"}: staleAt must be an array of sample indexes` },
      { index: 4, message: 'series {}: labels missing' },
    ]);
    expect((await instant(name)).map((r) => [r.metric.staleAt, r.value[1]])).toEqual([['null', '2']]);
  });

  it('applies the label count and name length limits at and past their edge', async () => {
    const name = uniqueName('rpc_edges');
    const now = Date.now();
    const maxLabels = Number(env.MAX_LABELS_PER_SERIES);
    const maxName = Number(env.MAX_LABEL_NAME_LENGTH);
    const labelsAt: Record<string, string> = { __name__: name };
    for (let i = 1; i < maxLabels; i++) labelsAt[`l${i}`] = 'v';
    const labelsOver = { ...labelsAt, extra: 'v' };
    const result = await rpc.write([
      { labels: labelsAt, timestamps: [now], values: [1] },
      { labels: labelsOver, timestamps: [now], values: [1] },
      { labels: { __name__: name, ['n'.repeat(maxName)]: 'at' }, timestamps: [now], values: [1] },
      { labels: { __name__: name, ['n'.repeat(maxName + 1)]: 'over' }, timestamps: [now], values: [1] },
      { labels: { __name__: name, edge: 'v'.repeat(Number(env.MAX_LABEL_VALUE_LENGTH)) }, timestamps: [now], values: [1] },
    ]);
    expect(result.series).toBe(3);
    expect(result.refused).toEqual([
      { index: 1, message: expect.stringMatching(/MAX_LABELS_PER_SERIES/) },
      { index: 3, message: expect.stringMatching(/MAX_LABEL_NAME_LENGTH/) },
    ]);
  });

  it('applies MAX_FUTURE_SECONDS and MAX_SAMPLE_AGE_SECONDS just inside and just past their edges', async () => {
    const name = uniqueName('rpc_time_edges');
    const now = Date.now();
    const future = Number(env.MAX_FUTURE_SECONDS) * 1000;
    const age = Number(env.MAX_SAMPLE_AGE_SECONDS) * 1000;
    // 5 s of slack either side absorbs the clock difference between this test and the Worker.
    const result = await rpc.write([
      { labels: { __name__: name, at: 'future-inside' }, timestamps: [now + future - 5000], values: [1] },
      { labels: { __name__: name, at: 'future-past' }, timestamps: [now + future + 5000], values: [1] },
      { labels: { __name__: name, at: 'old-inside' }, timestamps: [now - age + 5000], values: [1] },
      { labels: { __name__: name, at: 'old-past' }, timestamps: [now - age - 5000], values: [1] },
    ]);
    expect(result.series).toBe(2);
    expect(result.refused.map((e) => [e.index, /at="([a-z-]+)"/.exec(e.message)?.[1]])).toEqual([
      [1, 'future-past'],
      [3, 'old-past'],
    ]);
  });

  it('refuses a series stamped beyond the largest JavaScript date alone, whatever the limits allow', async () => {
    const name = uniqueName('rpc_far');
    const now = Date.now();
    const result = await rpc.write([
      { labels: { __name__: name, ok: 'yes' }, timestamps: [now], values: [1] },
      { labels: { __name__: name, at: 'far' }, timestamps: [now, 9e15], values: [1, 2] },
    ]);
    expect(result.series).toBe(1);
    expect(result.refused).toEqual([
      { index: 1, message: `series ${name}{at="far"}: timestamp 9000000000000000 is more than MAX_FUTURE_SECONDS (600) in the future` },
    ]);
    expect((await instant(name)).map((r) => r.metric.ok)).toEqual(['yes']);
    // Even when the limits reach past it (MAX_FUTURE_SECONDS and MAX_SAMPLE_AGE_SECONDS of 10^13 s).
    const wide = { ...readLimits(env), maxFutureSeconds: 1e13, maxSampleAgeSeconds: 1e13 };
    const prepared = prepareSeries(
      [
        { labels: { __name__: name, at: 'max-date' }, timestamps: [8.64e15, -8.64e15], values: [1, 2] },
        { labels: { __name__: name, at: 'past-max-date' }, timestamps: [8.64e15 + 1], values: [1] },
        { labels: { __name__: name, at: 'before-min-date' }, timestamps: [-8.64e15 - 1], values: [1] },
      ],
      wide,
      now,
    );
    expect(prepared.series.map((s) => s.labels)).toEqual([
      [
        ['__name__', name],
        ['at', 'max-date'],
      ],
    ]);
    expect(prepared.refused).toEqual([
      {
        index: 1,
        message: `series ${name}{at="past-max-date"}: timestamp 8640000000000001 is outside the range of dates (±8640000000000000 ms)`,
      },
      {
        index: 2,
        message: `series ${name}{at="before-min-date"}: timestamp -8640000000000001 is outside the range of dates (±8640000000000000 ms)`,
      },
    ]);
  });

  it('refuses a request over MAX_SERIES_PER_REQUEST whole and writes nothing', async () => {
    const name = uniqueName('rpc_toomany');
    const now = Date.now();
    const max = Number(env.MAX_SERIES_PER_REQUEST);
    const batch = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ labels: { __name__: name, i: String(i) }, timestamps: [now], values: [i] }));
    const over = await rpc.write(batch(max + 1));
    expect(over.series).toBe(0);
    expect(over.refused).toEqual([]);
    expect(over.rejected).toMatch(/MAX_SERIES_PER_REQUEST/);
    expect(await instant(name)).toEqual([]);
    const at = await rpc.write(batch(max));
    expect(at.series).toBe(max);
    expect(await instant(name)).toHaveLength(max);
  });
});
