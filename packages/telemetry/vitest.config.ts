import { defineProject } from 'vitest/config';

// Pure, runtime-neutral modules: their tests sit beside each file and run in Node.
export default defineProject({
  test: {
    name: 'telemetry',
    environment: 'node',
    include: ['**/*.test.ts'],
  },
});
