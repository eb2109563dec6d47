import { defineConfig } from 'vitest/config';
import { peerProjects } from './scripts/peers.mjs';

// One project per package (pure code, tests beside each file, in Node), one per Worker (run
// inside workerd) plus Node projects (origin, CLI, end-to-end). `npm test` sets
// PUSHPULL_TEST_PROJECTS=own: every project but the peer projects (a peers.json beside the
// config: scripts/peers.mjs), which `npm run test:peers` runs. Unset, every project is listed,
// so `npx vitest run --project <any>` finds each one.
const peers = process.env.PUSHPULL_TEST_PROJECTS === 'own' ? peerProjects().map((p) => `!${p.dir}/vitest.config.ts`) : [];

export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'cli/vitest.config.ts', 'test/*/vitest.config.ts', ...peers],
  },
});
