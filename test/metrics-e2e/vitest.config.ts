import { defineProject } from 'vitest/config';

// Real clients in Node (InfluxDB client, prom-client's Pushgateway, a real Prometheus) against
// the metrics Worker served by wrangler's dev server (global-setup.ts).
export default defineProject({
  test: {
    name: 'metrics-e2e',
    environment: 'node',
    globalSetup: ['./global-setup.ts'],
    include: ['**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
