import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startOrigin } from '../../origin/server';
import { bundleWorker, root } from '../support/dev-worker';
import { startPrometheusStack } from './prometheus-stack';
import { startTargets } from './targets';

declare module 'vitest' {
  export interface ProvidedContext {
    targetsPort: number;
    togglePort: number;
    metricsScript: string;
    prometheusUrl: string;
    parityConfig: string;
  }
}

/**
 * Starts the scrape targets and bundles the real metrics Worker (workers/metrics) so the
 * scraper's service binding reaches the real store in these tests.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const outdir = join(root, '.wrangler', 'tmp', `scraper-test-metrics-${process.pid}`);
  const metricsScript = bundleWorker('workers/metrics/wrangler.toml', outdir);
  const targets = await startTargets();
  const origin = await startOrigin({ port: 0, dir: join(root, 'origin', 'public') });
  const prometheus = await startPrometheusStack(origin.port, targets.port, targets.toggle2Port);
  project.provide('prometheusUrl', prometheus.prometheusUrl);
  project.provide('parityConfig', JSON.stringify(prometheus.config));
  project.provide('targetsPort', targets.port);
  project.provide('togglePort', targets.togglePort);
  project.provide('metricsScript', metricsScript);
  return async () => {
    await prometheus.close();
    await origin.close();
    await targets.close();
    rmSync(outdir, { recursive: true, force: true });
  };
}
