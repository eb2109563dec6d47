import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineProject } from 'vitest/config';

// A stand-in for the metrics Worker (the edge pushes its own metrics to it over METRICS):
// `MetricsRpc.write` keeps every batch in memory, `fetch` answers them all as JSON.
const metricsStub = `
import { WorkerEntrypoint } from 'cloudflare:workers';
const writes = [];
export class MetricsRpc extends WorkerEntrypoint {
  async write(batches) {
    writes.push(batches);
    return { series: batches.length, samples: batches.length, refused: [] };
  }
}
export default { fetch: () => Response.json(writes) };
`;

export default defineProject({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: '../../workers/edge/wrangler.toml' },
      miniflare: {
        bindings: {
          ORIGIN_URL: `http://127.0.0.1:${inject('originPort')}`,
          ORIGIN_TIMEOUT_MS: '3000',
          COALESCE_MAX_BYTES: '65536',
          PUSHPULL_TOKEN: 'test-token',
        },
        // METRICS (the edge's self-metrics) reaches a stand-in that keeps what is pushed;
        // METRICS_WRITES reads it back over HTTP.
        workers: [{ name: 'pushpull-metrics', modules: true, script: metricsStub, compatibilityDate: '2026-11-01' }],
        serviceBindings: { METRICS_WRITES: 'pushpull-metrics' },
      },
    })),
  ],
  test: {
    name: 'edge',
    globalSetup: ['./global-setup.ts'],
    include: ['**/*.test.ts'],
  },
});
