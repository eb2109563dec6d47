import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startOrigin } from '../../origin/server';
import { startWorker } from '../support/dev-worker';

declare module 'vitest' {
  export interface ProvidedContext {
    edgeUrl: string;
    metricsUrl: string;
  }
}

const METRICS_PORT = 19180;
const EDGE_PORT = 19182;

/** How often the edge flushes in this project: short, so the test waits little. */
export const FLUSH_MS = 300;

/**
 * An origin serving two small files, pushpull-metrics and pushpull-edge under wrangler dev
 * with a private dev registry (the edge's METRICS binding reaches this metrics Worker and no
 * other session's).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const registry = mkdtempSync(join(tmpdir(), 'pushpull-registry-'));
  const dir = mkdtempSync(join(tmpdir(), 'pushpull-selfmetrics-'));
  writeFileSync(join(dir, 'a.txt'), 'a'.repeat(1000));
  writeFileSync(join(dir, 'b.txt'), 'b'.repeat(500));
  const origin = await startOrigin({ port: 0, dir, cacheControl: { rules: [], defaultCacheControl: 'public, max-age=3600' } });
  const before = process.env.WRANGLER_REGISTRY_PATH;
  process.env.WRANGLER_REGISTRY_PATH = registry;
  let metrics, edge;
  try {
    metrics = await startWorker('workers/metrics/wrangler.toml', METRICS_PORT, { PUSHPULL_TOKEN: 'e2e-token' }, '/api/v1/query?query=up');
    edge = await startWorker(
      'workers/edge/wrangler.toml',
      EDGE_PORT,
      { PUSHPULL_TOKEN: 'e2e-token', ORIGIN_URL: origin.url, TELEMETRY_FLUSH_MS: String(FLUSH_MS) },
      '/_cache/purge',
    );
  } finally {
    if (before === undefined) delete process.env.WRANGLER_REGISTRY_PATH;
    else process.env.WRANGLER_REGISTRY_PATH = before;
  }
  project.provide('edgeUrl', edge.url);
  project.provide('metricsUrl', metrics.url);
  return async () => {
    await edge.stop();
    await metrics.stop();
    await origin.close();
    rmSync(registry, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  };
}
