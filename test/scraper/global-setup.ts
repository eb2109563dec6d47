import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startOrigin } from '../../origin/server';
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

const root = resolve(import.meta.dirname, '../..');

/**
 * Starts the scrape targets and bundles the real metrics Worker (workers/metrics) so the
 * scraper's service binding reaches the real store in these tests.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const outdir = join(root, '.wrangler', 'tmp', `scraper-test-metrics-${process.pid}`);
  mkdirSync(outdir, { recursive: true });
  const r = spawnSync(join(root, 'node_modules', '.bin', 'wrangler'), ['deploy', '--dry-run', '-c', 'workers/metrics/wrangler.toml', '--outdir', outdir], {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`bundling workers/metrics failed: ${r.stderr || r.stdout}`);
  const targets = await startTargets();
  const origin = await startOrigin({ port: 0, dir: join(root, 'origin', 'public') });
  const prometheus = await startPrometheusStack(origin.port, targets.port, targets.toggle2Port);
  project.provide('prometheusUrl', prometheus.prometheusUrl);
  project.provide('parityConfig', JSON.stringify(prometheus.config));
  project.provide('targetsPort', targets.port);
  project.provide('togglePort', targets.togglePort);
  project.provide('metricsScript', join(outdir, 'index.js'));
  return async () => {
    await prometheus.close();
    await origin.close();
    await targets.close();
    rmSync(outdir, { recursive: true, force: true });
  };
}
