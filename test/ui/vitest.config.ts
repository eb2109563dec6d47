import { defineProject } from 'vitest/config';

// The pages' pure parts in Node: dashboard files, the metric catalogue, the Grafana export,
// URL state, formatting, chart data.
export default defineProject({
  test: {
    name: 'ui',
    environment: 'node',
    include: ['**/*.test.ts'],
  },
});
