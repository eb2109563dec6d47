import { dirname, resolve } from 'node:path';
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import type { ProvidedContext } from 'vitest';
import { defineProject } from 'vitest/config';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';

const root = resolve(import.meta.dirname, '../..');

/**
 * The scraper inside workerd, bound over RPC to the real metrics Worker (bundled by the global
 * setup, ./global-setup.ts of the calling project's folder) as an auxiliary Worker; METRICS_HTTP
 * reaches its query API. `bindings` adds the scraper's bindings of a project (scraper-parity: its
 * Prometheus).
 */
export function scraperProject(
  name: string,
  bindings: (inject: <K extends keyof ProvidedContext>(key: K) => ProvidedContext[K]) => Record<string, string> = () => ({}),
) {
  return defineProject({
    plugins: [
      cloudflareTest(({ inject }) => {
        // modulesRules do not convert to Miniflare 5 options; the bundle needs none.
        const metrics = unstable_getMiniflareWorkerOptions(resolve(root, 'workers/metrics/wrangler.toml')).workerOptions;
        return {
          wrangler: { configPath: '../../workers/scraper/wrangler.toml' },
          miniflare: {
            bindings: {
              PUSHPULL_TOKEN: 'test-token',
              // No job by default in tests (the real default scrapes :8080); tests PUT their own.
              SCRAPE_CONFIG: JSON.stringify({ scrape_configs: [] }),
              MAX_BODY_SIZE: String(4 * 1024 * 1024),
              MAX_SAMPLES_PER_SCRAPE: '20000',
              MAX_TARGETS: '50',
              MAX_CONCURRENT_SCRAPES: '3',
              TARGETS_PORT: String(inject('targetsPort')),
              TOGGLE_PORT: String(inject('togglePort')),
              ...bindings(inject),
            },
            serviceBindings: { METRICS_HTTP: 'pushpull-metrics' },
            workers: [
              {
                compatibilityDate: metrics.compatibilityDate as string | undefined,
                compatibilityFlags: metrics.compatibilityFlags as string[] | undefined,
                durableObjects: metrics.durableObjects as Record<string, string | { className: string }> | undefined,
                name: 'pushpull-metrics',
                modules: true,
                scriptPath: inject('metricsScript'),
                modulesRoot: dirname(inject('metricsScript')),
                // MAX_SERIES_PER_REQUEST below two 9000-sample targets together (scrape.test.ts, "the store's refusals").
                bindings: {
                  ...(metrics.bindings as Record<string, string> | undefined),
                  PUSHPULL_TOKEN: 'test-token',
                  TELEMETRY: 'off',
                  SHARD_COUNT: '2',
                  MAX_SERIES_PER_REQUEST: '15000',
                },
              },
            ],
          },
        };
      }),
    ],
    test: {
      name,
      globalSetup: ['./global-setup.ts'],
      include: ['**/*.test.ts'],
      testTimeout: 60_000,
    },
  });
}

export default scraperProject('scraper');
