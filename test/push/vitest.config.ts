import { defineProject } from 'vitest/config';

// The push CDN, end to end: the edge Worker (workers/edge/wrangler.toml) runs under `wrangler dev`
// started by global-setup.ts, and the tests (and the push client, which runs in Node) talk
// to it over real HTTP. Pure modules (routes, manifest validation, ranges) are unit-tested here too.
export default defineProject({
  test: {
    name: 'push',
    environment: 'node',
    globalSetup: ['./global-setup.ts'],
    include: ['**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 90_000,
    fileParallelism: false,
  },
});
