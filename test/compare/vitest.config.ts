import { defineProject } from 'vitest/config';

// Node project: `npm run compare` at its tiny size against the real stack (wrangler dev Workers,
// the Node origin, the store), then the report it wrote.
export default defineProject({
  test: {
    name: 'compare',
    environment: 'node',
    include: ['**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 400_000,
  },
});
