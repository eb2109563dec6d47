/**
 * GET /api/v1/status/store (a pushpull extension beside Prometheus's /api/v1/status/*): what
 * each store shard holds and how many writes reached it, so that load on the store can be
 * counted at the store (`npm run compare` reads it). Read-only and open, like the query API.
 */
import { Hono } from 'hono';
import { readLimits } from './limits';

/** One shard's figures. */
interface ShardStatus {
  shard: number;
  series: number;
  samples: number;
  writeCalls: number;
  samplesWritten: number;
  sinceMs: number;
}

export const storeStatusApi = new Hono<{ Bindings: Env }>();

storeStatusApi.get('/', async (c) => {
  const { shardCount } = readLimits(c.env);
  const shards: ShardStatus[] = await Promise.all(
    Array.from({ length: shardCount }, async (_, shard) => {
      const stub = c.env.SHARDS.get(c.env.SHARDS.idFromName(`shard-${shard}`));
      const [held, writes] = await Promise.all([stub.stats(), stub.writeCounts()]);
      return { shard, ...held, ...writes };
    }),
  );
  const sum = (key: 'series' | 'samples' | 'writeCalls' | 'samplesWritten'): number => shards.reduce((n, s) => n + s[key], 0);
  return c.json({
    status: 'success',
    data: { series: sum('series'), samples: sum('samples'), writeCalls: sum('writeCalls'), samplesWritten: sum('samplesWritten'), shards },
  });
});
