import { defineProject } from 'vitest/config';

// Real clients in Node from npm (InfluxDB client, prom-client's Pushgateway) against the metrics
// Worker served by wrangler's dev server (global-setup.ts). The Debian peers: metrics-e2e-peers.
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
