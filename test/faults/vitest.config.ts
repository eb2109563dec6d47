import { defineProject } from 'vitest/config';

// Fault injection (issue 16): each stateful Worker under wrangler dev on persisted state,
// SIGKILLed at seeded random moments and restarted (harness.ts). Node side, one file at a
// time: the cases start real workerd processes and measure recovery, so they do not share
// the two cores with each other. FAULTS_SEED=<n> replays a run's kill moments.
export default defineProject({
  test: {
    name: 'faults',
    environment: 'node',
    include: ['**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
