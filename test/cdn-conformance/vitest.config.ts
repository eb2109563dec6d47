import { defineProject } from 'vitest/config';

// Node project: pushpull's edge under `wrangler dev`, nginx and Varnish (Debian packages),
// all in front of one scripted origin on 127.0.0.1.
export default defineProject({
  test: {
    name: 'cdn-conformance',
    environment: 'node',
    include: ['**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
