import { defineProject } from 'vitest/config';

// The metrics Worker's pages in Debian's Chromium (puppeteer-core, never a downloaded browser),
// against the Worker under `wrangler dev` and, for the dashboards, the real scraper and origin.
// A peer test: it needs the Debian package chromium (.ci/apt-packages).
export default defineProject({
  test: {
    name: 'ui-browser',
    environment: 'node',
    globalSetup: ['./global-setup.ts'],
    include: ['**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
