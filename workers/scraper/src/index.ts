/**
 * The scraper Worker: the pull model for metrics. Routes and the cron only; scraping lives
 * in scrape-pool.ts (one Durable Object per job), the configuration in config.ts.
 */
import { Hono } from 'hono';
import { jsonErrorHandler, jsonNotFound } from '@pushpull/http/errors';
import { allTargets, syncPools, targetsApi } from './targets-api';
import { scraperSettings } from './settings';
import { renderTargetsPage } from './targets-page';

export { ScrapePool } from './scrape-pool';
export { ScrapeConfigStore } from './config-store';

const app = new Hono<{ Bindings: Env }>();
app.onError(jsonErrorHandler);
app.route('/api/v1', targetsApi);
app.get('/targets', async (c) => c.html(renderTargetsPage(await allTargets(c.env), Date.now(), scraperSettings(c.env).metricsUrl)));
app.get('/', (c) => c.redirect('/targets'));
app.notFound(jsonNotFound);

export default {
  fetch: app.fetch,
  /** Every minute: (re)configure each job's pool so its alarm loop runs. */
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(
      syncPools(env).then(
        (r) => console.log(`scrape config synced: ${r.jobs.length} jobs, ${r.targets} targets (${r.source})`),
        (err: unknown) => console.error('scrape config sync failed:', err),
      ),
    );
  },
} satisfies ExportedHandler<Env>;
