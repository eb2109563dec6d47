import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, uniqueName } from './metrics-client';

interface StoreStatus {
  status: string;
  data: { series: number; samples: number; writeCalls: number; samplesWritten: number; shards: { shard: number; writeCalls: number }[] };
}

async function status(): Promise<StoreStatus> {
  const res = await call('/api/v1/status/store');
  expect(res.status).toBe(200);
  return res.json() as StoreStatus;
}

describe('GET /api/v1/status/store', () => {
  it('counts the write calls and samples that reached the shards, and what they hold', async () => {
    const before = await status();
    expect(before.status).toBe('success');
    expect(before.data.shards.map((s) => s.shard)).toEqual(before.data.shards.map((_, i) => i));
    const name = uniqueName('status_probe');
    const now = Date.now();
    // Two series, one write call: each shard that takes a share counts one call.
    await exports.MetricsRpc.write([
      { labels: { __name__: name, i: '1' }, timestamps: [now - 1000, now], values: [1, 2] },
      { labels: { __name__: name, i: '2' }, timestamps: [now], values: [3] },
    ]);
    const after = await status();
    expect(after.data.samplesWritten - before.data.samplesWritten).toBe(3);
    expect(after.data.writeCalls - before.data.writeCalls).toBeGreaterThanOrEqual(1);
    expect(after.data.writeCalls - before.data.writeCalls).toBeLessThanOrEqual(2);
    expect(after.data.samples - before.data.samples).toBe(3);
    expect(after.data.series - before.data.series).toBe(2);
  });
});
