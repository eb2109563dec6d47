import { defineProject } from 'vitest/config';

// A wire format decoder against the real peer that speaks it (the Debian prometheus binary remote_writing), in Node.
export default defineProject({
  test: {
    name: 'wire-peers',
    environment: 'node',
    include: ['**/*.test.ts'],
  },
});
