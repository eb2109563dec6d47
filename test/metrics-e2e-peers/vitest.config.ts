import { defineProject } from 'vitest/config';

// Real Debian peers against the metrics Worker served by wrangler's dev server (the global setup
// of metrics-e2e): a real Prometheus remote_writing, node_exporter's protobuf page pushed as
// client_golang pushes. Its binaries: peers.json (`npm run test:peers`).
export default defineProject({
  test: {
    name: 'metrics-e2e-peers',
    environment: 'node',
    globalSetup: ['../metrics-e2e/global-setup.ts'],
    include: ['**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
