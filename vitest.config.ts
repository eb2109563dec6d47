import { defineConfig } from 'vitest/config';

// One project per Worker (run inside workerd) plus Node projects (origin, end-to-end).
export default defineConfig({
  test: {
    projects: ['test/*/vitest.config.ts', 'packages/http/semantics/vitest.config.ts'],
  },
});
