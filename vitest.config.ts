import { defineConfig } from 'vitest/config';

// One project per package (pure code, tests beside each file, in Node), one per Worker (run
// inside workerd) plus Node projects (origin, CLI, end-to-end).
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'cli/vitest.config.ts', 'test/*/vitest.config.ts'],
  },
});
