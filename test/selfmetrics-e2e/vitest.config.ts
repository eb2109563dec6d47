import { defineProject } from 'vitest/config';

// The stack measuring itself (issue 11): the edge and the metrics Worker under `wrangler dev`
// (as `npm run dev` runs them, one dev registry), the edge pushing its own metrics over its
// METRICS service binding, read back through the query API.
export default defineProject({
  test: {
    name: 'selfmetrics-e2e',
    environment: 'node',
    globalSetup: ['./global-setup.ts'],
    include: ['**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
