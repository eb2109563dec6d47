/**
 * The scraper's HTTP API: target health like Prometheus's `GET /api/v1/targets`, the scrape
 * configuration (`GET/PUT/DELETE /api/v1/config`, token required) and `POST /api/v1/scrape`
 * (token required) to run a round now.
 */
import { Hono, type Context } from 'hono';
import { requireToken } from '@pushpull/http/auth';
import { ApiError } from '@pushpull/http/errors';
import { formatPromDuration, resolveScrapeConfig, ScrapeConfigError, scrapeLimits, type JobConfig } from './config';
import type { ScrapeConfigStore, SyncResult } from './config-store';
import { scrapePool, type TargetHealth } from './scrape-pool';

type Bindings = { Bindings: Env };

/** The single config object. */
export function configStore(env: Env): DurableObjectStub<ScrapeConfigStore> {
  return env.SCRAPE_CONFIG_STORE.get(env.SCRAPE_CONFIG_STORE.idFromName('config'));
}

/** The jobs currently configured (stored document, else SCRAPE_CONFIG). */
export async function currentJobs(env: Env): Promise<JobConfig[]> {
  const stored = await configStore(env).stored();
  return resolveScrapeConfig(JSON.parse(stored?.document ?? env.SCRAPE_CONFIG) as unknown, scrapeLimits(env));
}

/** Applies the configuration to the pools (cron and PUT). */
export function syncPools(env: Env): Promise<SyncResult> {
  return configStore(env).sync(env.SCRAPE_CONFIG, scrapeLimits(env));
}

/** Prometheus's activeTargets entry. */
export function prometheusTarget(t: TargetHealth): Record<string, unknown> {
  // Path and scheme per target (static labels may override the job's), so from the URL.
  const url = new URL(t.scrapeUrl);
  return {
    discoveredLabels: {
      __address__: t.address,
      __metrics_path__: url.pathname,
      __scheme__: url.protocol.replace(':', ''),
      __scrape_interval__: formatPromDuration(t.scrapeIntervalMs),
      __scrape_timeout__: formatPromDuration(t.scrapeTimeoutMs),
      job: t.scrapePool,
    },
    labels: t.labels,
    scrapePool: t.scrapePool,
    scrapeUrl: t.scrapeUrl,
    globalUrl: t.scrapeUrl,
    lastError: t.lastError,
    lastScrape: t.lastScrapeMs === 0 ? '0001-01-01T00:00:00Z' : new Date(t.lastScrapeMs).toISOString(),
    lastScrapeDuration: t.lastScrapeDuration,
    lastSamples: t.lastSamples,
    health: t.health,
    scrapeInterval: formatPromDuration(t.scrapeIntervalMs),
    scrapeTimeout: formatPromDuration(t.scrapeTimeoutMs),
  };
}

/** Health of every configured target, optionally one pool. */
export async function allTargets(env: Env, pool?: string): Promise<TargetHealth[]> {
  const jobs = (await currentJobs(env)).filter((j) => pool === undefined || j.jobName === pool);
  const lists = await Promise.all(jobs.map((j) => scrapePool(env, j.jobName).health()));
  return lists.flat();
}

const auth = requireToken({ secret: (env) => (env as Env).PUSHPULL_TOKEN });

export const targetsApi = new Hono<Bindings>();

// Prometheus: GET /api/v1/targets?state=active|dropped|any&scrapePool=<job>
targetsApi.get('/targets', async (c) => {
  const state = c.req.query('state') ?? 'any';
  if (!['active', 'dropped', 'any'].includes(state))
    throw new ApiError(400, 'bad_data', `invalid state ${JSON.stringify(state)}: use active, dropped or any`);
  const pool = c.req.query('scrapePool');
  const active = state === 'dropped' ? [] : (await allTargets(c.env, pool)).map(prometheusTarget);
  return c.json({ status: 'success', data: { activeTargets: active, droppedTargets: [] } });
});

targetsApi.get('/config', auth, async (c) => {
  const stored = await configStore(c.env).stored();
  return c.json({
    source: stored === null ? 'default' : 'api',
    updated: stored === null ? null : new Date(stored.updatedMs).toISOString(),
    config: JSON.parse(stored?.document ?? c.env.SCRAPE_CONFIG) as unknown,
  });
});

/** PUT /api/v1/config (also PUT /api/v1/targets): validate, store, reconfigure the pools. */
const putConfig = async (c: Context<Bindings>): Promise<Response> => {
  const max = Number(c.env.MAX_CONFIG_BYTES) || 262_144;
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (declared > max) throw new ApiError(413, 'too_large', `the configuration is larger than MAX_CONFIG_BYTES (${max})`);
  const text = await c.req.text();
  if (new TextEncoder().encode(text).byteLength > max)
    throw new ApiError(413, 'too_large', `the configuration is larger than MAX_CONFIG_BYTES (${max})`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, 'invalid_json', `the body is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    resolveScrapeConfig(doc, scrapeLimits(c.env));
  } catch (err) {
    if (err instanceof ScrapeConfigError) throw new ApiError(400, 'invalid_config', err.message, { problems: err.problems });
    throw err;
  }
  const result = await configStore(c.env).replace(JSON.stringify(doc), c.env.SCRAPE_CONFIG, scrapeLimits(c.env));
  return c.json(result);
};
targetsApi.put('/config', auth, putConfig);
targetsApi.put('/targets', auth, putConfig);

// Back to the SCRAPE_CONFIG var.
targetsApi.delete('/config', auth, async (c) => {
  const result = await configStore(c.env).replace(null, c.env.SCRAPE_CONFIG, scrapeLimits(c.env));
  return c.json(result);
});

// Runs a round of every job (or ?job=) now and answers their targets' health.
targetsApi.post('/scrape', auth, async (c) => {
  const only = c.req.query('job');
  const jobs = (await currentJobs(c.env)).filter((j) => only === undefined || j.jobName === only);
  if (only !== undefined && jobs.length === 0) throw new ApiError(404, 'not_found', `no job named ${JSON.stringify(only)}`);
  await syncPools(c.env);
  const lists = await Promise.all(jobs.map((j) => scrapePool(c.env, j.jobName).scrapeNow()));
  return c.json({ status: 'success', data: { activeTargets: lists.flat().map(prometheusTarget) } });
});
