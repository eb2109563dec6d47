import { defineProject } from 'vitest/config';

// The differential test: the same samples in a real Prometheus 2.42 and in the metrics Worker under
// wrangler dev (global-setup.ts), the queries of corpus.txt sent to both, the answers compared.
export default defineProject({
  test: {
    name: 'promql-oracle',
    environment: 'node',
    globalSetup: ['./global-setup.ts'],
    include: ['**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 180_000,
  },
});
