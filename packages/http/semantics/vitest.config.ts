import { defineProject } from 'vitest/config';

// The RFC 9110 semantics module: pure, so its tests (beside each file, and the cases table)
// run in Node. (packages/http may later hold one project for the whole package.)
export default defineProject({
  test: {
    name: 'http-semantics',
    environment: 'node',
    include: ['**/*.test.ts'],
  },
});
