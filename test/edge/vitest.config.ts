import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineProject } from 'vitest/config';

export default defineProject({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: '../../workers/edge/wrangler.toml' },
      miniflare: {
        bindings: {
          ORIGIN_URL: `http://127.0.0.1:${inject('originPort')}`,
          ORIGIN_TIMEOUT_MS: '3000',
          COALESCE_MAX_BYTES: '65536',
          PUSHPULL_TOKEN: 'test-token',
        },
      },
    })),
  ],
  test: {
    name: 'edge',
    globalSetup: ['./global-setup.ts'],
    include: ['**/*.test.ts'],
  },
});
