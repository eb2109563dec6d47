import { defineProject } from 'vitest/config';

// Node project: the whole stack as `npm run dev` starts it, over real HTTP.
export default defineProject({
  test: {
    name: 'e2e',
    environment: 'node',
    include: ['**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
