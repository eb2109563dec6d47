import { fileURLToPath } from 'node:url';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineProject } from 'vitest/config';

const migrationsDir = fileURLToPath(new URL('../../workers/feed/migrations', import.meta.url));

// The feed with FANOUT_MODES=hybrid: only hybrid timelines are maintained.
export default defineProject(async () => ({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: '../../workers/feed/wrangler.toml' },
      miniflare: {
        bindings: {
          FANOUT_MODES: 'hybrid',
          HYBRID_THRESHOLD: '1',
          PUSHPULL_TOKEN: 'test-token',
          TEST_MIGRATIONS: await readD1Migrations(migrationsDir),
        },
      },
    }),
  ],
  test: {
    name: 'feed-hybrid-only',
    include: ['**/*.test.ts'],
    setupFiles: ['../feed/apply-migrations.ts'],
    testTimeout: 30_000,
  },
}));
