import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startOrigin, type RunningOrigin } from '../../origin/server';
import { root, startWorker, type DevWorker } from '../support/dev-worker';
import { peerBinary } from '../support/process';

declare module 'vitest' {
  export interface ProvidedContext {
    metricsUrl: string;
    scraperPort: number;
    scraperInspectorPort: number;
    originAddress: string;
    registryPath: string;
  }
}

/** The browser the tests drive: Debian's chromium on PATH (never a downloaded one), or an error naming the package. */
export const chromium = (): string => peerBinary('chromium', 'chromium');

/** The token the Workers get in these tests. */
export const TOKEN = 'ui-token';

/** A port nothing listens on now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The metrics Worker under `wrangler dev` (its pages built by its [build] step, as `npm run dev`
 * runs it) on a free port with an empty store and a private dev registry, and the local origin
 * in this process (the scraper, started by the dashboard tests, scrapes it). Everything is
 * stopped by the returned teardown, and at once if a later step of the setup fails.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  chromium();
  const registry = mkdtempSync(join(tmpdir(), 'pushpull-ui-registry-'));
  let origin: RunningOrigin | undefined;
  let metrics: DevWorker | undefined;
  const teardown = async (): Promise<void> => {
    await metrics?.stop();
    await origin?.close();
    rmSync(registry, { recursive: true, force: true });
  };
  const before = process.env.WRANGLER_REGISTRY_PATH;
  try {
    origin = await startOrigin({ port: 0, dir: join(root, 'origin', 'public') });
    process.env.WRANGLER_REGISTRY_PATH = registry;
    const port = await freePort();
    const scraperPort = await freePort();
    metrics = await startWorker(
      'workers/metrics/wrangler.toml',
      port,
      {
        PUSHPULL_TOKEN: TOKEN,
        // The empty-store notice needs an empty store: the Worker's own metrics stay out.
        TELEMETRY: 'off',
        SCRAPER_URL: `http://127.0.0.1:${scraperPort}`,
      },
      '/api/v1/query?query=1',
      { inspectorPort: await freePort(), readyStatus: 200 },
    );
    project.provide('metricsUrl', metrics.url);
    project.provide('scraperPort', scraperPort);
    project.provide('scraperInspectorPort', await freePort());
    project.provide('originAddress', `127.0.0.1:${origin.port}`);
    project.provide('registryPath', registry);
  } catch (err) {
    await teardown();
    throw err;
  } finally {
    if (before === undefined) delete process.env.WRANGLER_REGISTRY_PATH;
    else process.env.WRANGLER_REGISTRY_PATH = before;
  }
  return teardown;
}
