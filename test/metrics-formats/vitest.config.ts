import { defineProject } from 'vitest/config';

// The metrics wire formats (line protocol, Influx mapping, remote_write) are pure modules: tested in Node.
export default defineProject({
  test: {
    name: 'metrics-formats',
    environment: 'node',
    include: ['**/*.test.ts'],
  },
});
