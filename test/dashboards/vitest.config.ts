import { defineProject } from 'vitest/config';

// Dashboard files, the metric catalogue and the Grafana export: pure modules, in Node.
export default defineProject({
  test: {
    name: 'dashboards',
    environment: 'node',
    include: ['**/*.test.ts'],
  },
});
