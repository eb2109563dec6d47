import { defineProject } from 'vitest/config';

// Node project: the cases table of packages/http/semantics replayed over real HTTP against the
// Node origin, the edge cache (under `wrangler dev`, in front of a scripted origin) and the push
// store, plus the edge cache behaviours of issue 13. global-setup.ts starts all of them on free ports.
export default defineProject({
  test: {
    name: 'http-semantics-servers',
    environment: 'node',
    globalSetup: ['./global-setup.ts'],
    include: ['**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
