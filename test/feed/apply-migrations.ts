import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';

// The schema the Worker runs on: workers/feed/migrations, as `wrangler d1 migrations apply` would.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
