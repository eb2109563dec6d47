import { defineProject } from 'vitest/config';

// The origin server runs in Node: tests start it on port 0 and talk to it over real HTTP.
export default defineProject({
  test: {
    name: 'origin',
    environment: 'node',
    include: ['**/*.test.ts'],
  },
});
