import { defineProject } from 'vitest/config';

// The `pushpull` client's pure modules and its packaging (the compiled bin from a packed tarball),
// in Node. Against a real edge it is tested in the push project (test/push/client.test.ts).
export default defineProject({
  test: {
    name: 'cli',
    environment: 'node',
    include: ['**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
    testTimeout: 120_000,
  },
});
