import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineProject } from 'vitest/config';

// The metrics Worker inside workerd, with small limits so that every edge is cheap to reach.
export default defineProject({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: '../../workers/metrics/wrangler.toml' },
      miniflare: {
        bindings: {
          PUSHPULL_TOKEN: 'test-token',
          // The store holds only what a test wrote (self-metrics.test.ts turns it on for itself).
          TELEMETRY: 'off',
          SHARD_COUNT: '4',
          MAX_BODY_BYTES: '65536',
          MAX_DECOMPRESSED_BYTES: '262144',
          MAX_LINES_PER_REQUEST: '100',
          MAX_SERIES_PER_REQUEST: '50',
          MAX_LABELS_PER_SERIES: '8',
          MAX_LABEL_NAME_LENGTH: '32',
          MAX_LABEL_VALUE_LENGTH: '64',
          MAX_FUTURE_SECONDS: '600',
          MAX_SAMPLE_AGE_SECONDS: '86400',
          QUERY_MAX_SAMPLES: '5000',
          PUSH_INTERVAL_SECONDS: '15',
          // ingest.fuzz.test.ts: FUZZ_SEED=… FUZZ_RUNS=… npx vitest run test/metrics/ingest.fuzz.test.ts explores further.
          FUZZ_SEED: process.env.FUZZ_SEED ?? '',
          FUZZ_RUNS: process.env.FUZZ_RUNS ?? '',
          FUZZ_BUDGET_MS: process.env.FUZZ_BUDGET_MS ?? '',
        },
      },
    }),
  ],
  test: {
    name: 'metrics',
    include: ['**/*.test.ts'],
  },
});
