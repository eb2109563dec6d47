import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startOrigin } from '../../origin/server';
import { root, startWorker } from '../support/dev-worker';

declare module 'vitest' {
  export interface ProvidedContext {
    scraperUrl: string;
    metricsUrl: string;
    originAddress: string;
  }
}

const METRICS_PORT = 19170;
const SCRAPER_PORT = 19172;

/**
 * The local origin (whose /metrics is the default target), pushpull-metrics and
 * pushpull-scraper under wrangler dev, with a private dev registry so that other wrangler
 * dev sessions on the machine cannot take the scraper's service binding.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const registry = mkdtempSync(join(tmpdir(), 'pushpull-registry-'));
  const origin = await startOrigin({ port: 0, dir: join(root, 'origin', 'public') });
  const address = `127.0.0.1:${origin.port}`;
  // startWorker passes process.env to wrangler: set the registry only while our two start
  // (the children keep their copy), so other projects in this vitest process are unaffected.
  const before = process.env.WRANGLER_REGISTRY_PATH;
  process.env.WRANGLER_REGISTRY_PATH = registry;
  let metrics, scraper;
  try {
    metrics = await startWorker(
      'workers/metrics/wrangler.toml',
      METRICS_PORT,
      { PUSHPULL_TOKEN: 'e2e-token', TELEMETRY: 'off' },
      '/api/v1/query?query=up',
    );
    // The default configuration, pointed at this origin and at a 2 s interval.
    scraper = await startWorker(
      'workers/scraper/wrangler.toml',
      SCRAPER_PORT,
      {
        PUSHPULL_TOKEN: 'e2e-token',
        SCRAPE_CONFIG: JSON.stringify({
          global: { scrape_interval: '2s', scrape_timeout: '2s' },
          scrape_configs: [{ job_name: 'origin', static_configs: [{ targets: [address] }] }],
        }),
      },
      '/api/v1/targets',
    );
  } finally {
    if (before === undefined) delete process.env.WRANGLER_REGISTRY_PATH;
    else process.env.WRANGLER_REGISTRY_PATH = before;
  }
  project.provide('scraperUrl', scraper.url);
  project.provide('metricsUrl', metrics.url);
  project.provide('originAddress', address);
  return async () => {
    await scraper.stop();
    await metrics.stop();
    await origin.close();
    rmSync(registry, { recursive: true, force: true });
  };
}
