import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startOrigin, type RunningOrigin } from '../../origin/server';
import { bundleWorker, root } from '../support/dev-worker';
import { startTargets, type TargetServers } from './targets';

declare module 'vitest' {
  export interface ProvidedContext {
    targetsPort: number;
    togglePort: number;
    metricsScript: string;
  }
}

/** What the scraper projects' global setups start: the scrape targets and the origin, and how to stop them. */
export interface ScraperFixtures {
  targets: TargetServers;
  origin: RunningOrigin;
  stop(): Promise<void>;
}

/**
 * Starts the scrape targets and the origin and bundles the real metrics Worker (workers/metrics)
 * so the scraper's service binding reaches the real store; provides their ports and the bundle to
 * `project` (scraper, and scraper-parity, whose setup adds a real Prometheus).
 */
export async function startScraperFixtures(project: TestProject): Promise<ScraperFixtures> {
  // One bundle folder per project: both projects may run in one vitest process.
  const outdir = join(root, '.wrangler', 'tmp', `${project.name}-test-metrics-${process.pid}`);
  const metricsScript = bundleWorker('workers/metrics/wrangler.toml', outdir);
  const targets = await startTargets();
  const origin = await startOrigin({ port: 0, dir: join(root, 'origin', 'public') });
  project.provide('targetsPort', targets.port);
  project.provide('togglePort', targets.togglePort);
  project.provide('metricsScript', metricsScript);
  return {
    targets,
    origin,
    stop: async () => {
      await origin.close();
      await targets.close();
      rmSync(outdir, { recursive: true, force: true });
    },
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fixtures = await startScraperFixtures(project);
  return () => fixtures.stop();
}
