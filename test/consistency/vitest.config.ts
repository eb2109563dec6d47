import { defineProject } from 'vitest/config';

// Node project: the repository agrees with itself (wrangler vars vs the settings schemas, the
// docs' settings tables vs the schemas, every relative link in the README and docs/ resolves).
export default defineProject({
  test: {
    name: 'consistency',
    environment: 'node',
    include: ['**/*.test.ts'],
  },
});
