import { describe, expect, it } from 'vitest';
import type { SeriesBatch } from '@pushpull/contracts/metrics';
import { encodeRemoteWrite } from '@pushpull/wire/remote-write/write-request';
import { auth, call, env, instant, uniqueName } from './metrics-client';

const RW_HEADERS = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' };

function push(series: SeriesBatch[], headers: Record<string, string> = { ...RW_HEADERS, ...auth() }) {
  return call('/api/v1/write', { method: 'POST', body: encodeRemoteWrite(series), headers });
}

describe('remote_write 1.0 POST /api/v1/write', () => {
  it('stores a snappy protobuf WriteRequest and answers 204', async () => {
    const name = uniqueName('rw_up');
    const t = Date.now() - 5000;
    const r = await push([
      { labels: { __name__: name, job: 'prometheus', instance: 'a:9090' }, timestamps: [t - 15_000, t], values: [0, 1] },
      { labels: { __name__: name, job: 'node', instance: 'b:9100' }, timestamps: [t], values: [1] },
    ]);
    expect(r.status).toBe(204);
    const rows = await instant(name);
    expect(rows.map((x) => [x.metric.job, x.metric.instance, x.value[1]])).toEqual([
      ['prometheus', 'a:9090', '1'],
      ['node', 'b:9100', '1'],
    ]);
  });

  it('stores the staleness marker exactly: the series disappears after it', async () => {
    const name = uniqueName('rw_stale');
    const t = Date.now() - 60_000;
    expect((await push([{ labels: { __name__: name }, timestamps: [t, t + 15_000], values: [3, NaN], staleAt: [1] }])).status).toBe(204);
    expect(await instant(name, (t + 10_000) / 1000)).toHaveLength(1);
    expect(await instant(name, (t + 20_000) / 1000)).toEqual([]);
  });

  it('answers 400 for invalid series and keeps the valid ones', async () => {
    const name = uniqueName('rw_mixed');
    const now = Date.now();
    const r = await push([
      { labels: { __name__: name, ok: '1' }, timestamps: [now], values: [1] },
      { labels: { __name__: name, big: 'x'.repeat(Number(env.MAX_LABEL_VALUE_LENGTH) + 1) }, timestamps: [now], values: [2] },
      { labels: { job: 'nameless' }, timestamps: [now], values: [3] },
    ]);
    expect(r.status).toBe(400);
    expect((r.json() as { message: string }).message).toMatch(/2 series refused/);
    expect((await instant(name)).map((x) => x.metric.ok)).toEqual(['1']);
  });

  it('refuses a series stamped beyond the largest JavaScript date (8.64e15 ms) with 400 and keeps the valid ones', async () => {
    const name = uniqueName('rw_far');
    const now = Date.now();
    const r = await push([
      { labels: { __name__: name, ok: '1' }, timestamps: [now], values: [1] },
      { labels: { __name__: name, at: 'past-max-date' }, timestamps: [8.64e15 + 1], values: [2] },
      { labels: { __name__: name, at: 'near-2^53' }, timestamps: [9e15], values: [3] },
      { labels: { __name__: name, at: 'before-min-date' }, timestamps: [-9e15], values: [4] },
    ]);
    expect(r.status).toBe(400);
    const message = (r.json() as { message: string }).message;
    expect(message).toMatch(/^3 series refused \(1 samples of 1 series written\)/);
    expect(message).toContain('timestamp 8640000000000001 is more than MAX_FUTURE_SECONDS (600) in the future');
    expect(message).toContain('timestamp -9000000000000000 is older than MAX_SAMPLE_AGE_SECONDS');
    expect((await instant(name)).map((x) => x.metric.ok)).toEqual(['1']);
  });

  it('refuses a corrupt body with 400, no token with 401, remote write 2.0 with 415', async () => {
    expect(
      (await call('/api/v1/write', { method: 'POST', body: new Uint8Array([200, 1, 2, 3]), headers: { ...RW_HEADERS, ...auth() } })).status,
    ).toBe(400);
    const name = uniqueName('rw_noauth');
    expect((await push([{ labels: { __name__: name }, timestamps: [Date.now()], values: [1] }], RW_HEADERS)).status).toBe(401);
    expect(await instant(name)).toEqual([]);
    const v2 = await push([{ labels: { __name__: name }, timestamps: [Date.now()], values: [1] }], {
      ...RW_HEADERS,
      ...auth(),
      'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request',
    });
    expect(v2.status).toBe(415);
  });

  it('applies MAX_SERIES_PER_REQUEST at and past its edge (413, nothing written)', async () => {
    const max = Number(env.MAX_SERIES_PER_REQUEST);
    const name = uniqueName('rw_many');
    const now = Date.now();
    const batch = (n: number, tag: string) =>
      Array.from({ length: n }, (_, i) => ({ labels: { __name__: name, i: String(i), tag }, timestamps: [now], values: [i] }));
    expect((await push(batch(max + 1, 'over'))).status).toBe(413);
    expect(await instant(`${name}{tag="over"}`)).toEqual([]);
    expect((await push(batch(max, 'at'))).status).toBe(204);
    expect(await instant(`${name}{tag="at"}`)).toHaveLength(max);
  });

  it('applies MAX_DECOMPRESSED_BYTES to the snappy length before inflating (413)', async () => {
    const name = uniqueName('rw_big');
    const now = Date.now();
    const series = Array.from({ length: 40 }, (_, i) => ({
      labels: { __name__: name, i: String(i), pad: 'p'.repeat(60) },
      timestamps: Array.from({ length: 600 }, (_, k) => now - k),
      values: Array(600).fill(1),
    }));
    const body = encodeRemoteWrite(series);
    expect(body.byteLength).toBeLessThan(Number(env.MAX_BODY_BYTES));
    const r = await call('/api/v1/write', { method: 'POST', body, headers: { ...RW_HEADERS, ...auth() } });
    expect(r.status).toBe(413);
    expect(await instant(name)).toEqual([]);
  });
});
