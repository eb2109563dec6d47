/**
 * The RPC entrypoint other Workers bind (the scraper):
 *   [[services]] binding = "METRICS" service = "pushpull-metrics" entrypoint = "MetricsRpc"
 * `write` applies the same limits as the HTTP ingest routes.
 */
import { WorkerEntrypoint } from 'cloudflare:workers';
import type { MetricsWriter, SeriesBatch, WriteResult } from '@pushpull/contracts/metrics';
import { readLimits } from './limits';
import { recordIngested, recordRpcWrite } from './self-metrics';
import { writeSeries } from './store';

/** `MetricsRpc.write(batches)`: validated, sharded, stored; see the contract in packages/contracts/metrics.ts. */
export class MetricsRpc extends WorkerEntrypoint<Env> implements MetricsWriter {
  /**
   * Stores the batches. A request with more than MAX_SERIES_PER_REQUEST batches is refused
   * whole (nothing written, `rejected` names the limit); otherwise each invalid series is
   * refused alone and listed in `refused` by its index, and the rest is stored.
   */
  async write(batches: SeriesBatch[]): Promise<WriteResult> {
    const limits = readLimits(this.env);
    if (!Array.isArray(batches)) return { series: 0, samples: 0, refused: [], rejected: 'write expects an array of SeriesBatch' };
    if (batches.length > limits.maxSeriesPerRequest) {
      recordRpcWrite(this.env, 413, (p) => this.ctx.waitUntil(p));
      return {
        series: 0,
        samples: 0,
        refused: [],
        rejected: `request has ${batches.length} series, over MAX_SERIES_PER_REQUEST (${limits.maxSeriesPerRequest}): nothing written`,
      };
    }
    const result = await writeSeries(this.env, batches, Date.now(), limits);
    recordIngested(this.env, 'rpc', result.samples);
    recordRpcWrite(this.env, 200, (p) => this.ctx.waitUntil(p));
    return { series: result.series, samples: result.samples, refused: result.refused };
  }
}
