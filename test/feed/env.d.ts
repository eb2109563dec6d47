declare namespace Cloudflare {
  interface Env {
    /** workers/feed/migrations, read in vitest.config.ts. */
    TEST_MIGRATIONS: import('cloudflare:test').D1Migration[];
  }
}
