import { fileURLToPath } from 'node:url';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineProject } from 'vitest/config';

const migrationsDir = fileURLToPath(new URL('../../workers/feed/migrations', import.meta.url));

// Small limits so every edge is reachable quickly; each is tested at and past its value.
export const TEST_VARS = {
  TIMELINE_CAP: '30',
  FOLLOW_BACKFILL: '5',
  HYBRID_THRESHOLD: '2',
  FANOUT_CHUNK: '2',
  FANOUT_CONCURRENCY: '2',
  BULK_MAX_ITEMS: '50',
  BULK_MAX_BODY_BYTES: '8192',
  ADMIN_REBUILD_MAX: '3',
  PUSHPULL_TOKEN: 'test-token',
};

export default defineProject(async () => ({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: '../../workers/feed/wrangler.toml' },
      miniflare: {
        bindings: { ...TEST_VARS, TEST_MIGRATIONS: await readD1Migrations(migrationsDir) },
      },
    }),
  ],
  test: {
    name: 'feed',
    include: ['**/*.test.ts'],
    setupFiles: ['./apply-migrations.ts'],
    testTimeout: 30_000,
  },
}));
