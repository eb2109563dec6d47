import { defineProject } from 'vitest/config';

// The scraper and the metrics Worker under `wrangler dev` (as `npm run dev` runs them), in Node:
// the scrape loop must run by itself at a sub-minute interval once the cron has fired.
export default defineProject({
  test: {
    name: 'scraper-e2e',
    environment: 'node',
    globalSetup: ['./global-setup.ts'],
    include: ['**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
