import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { unstable_startWorker } from 'wrangler';
import { freePort } from '../http-semantics/http';

declare module 'vitest' {
  export interface ProvidedContext {
    metricsUrl: string;
    metricsToken: string;
  }
}

const TOKEN = 'e2e-token';

/**
 * Starts the real metrics Worker (wrangler's dev server: workerd, local Durable Objects with
 * SQLite) on a free port of 127.0.0.1, with a fresh state directory, for clients running in Node
 * (the tests of metrics-e2e and of metrics-e2e-peers, each project its own Worker).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env.WRANGLER_SEND_METRICS = 'false';
  const state = mkdtempSync(join(tmpdir(), 'pushpull-metrics-e2e-'));
  const worker = await unstable_startWorker({
    config: resolve(import.meta.dirname, '../../workers/metrics/wrangler.toml'),
    bindings: { PUSHPULL_TOKEN: { type: 'plain_text', value: TOKEN }, TELEMETRY: { type: 'plain_text', value: 'off' } },
    dev: { server: { hostname: '127.0.0.1', port: await freePort() }, persist: state, inspector: false, logLevel: 'warn' },
  });
  const url = (await worker.url).toString().replace(/\/$/, '');
  project.provide('metricsUrl', url);
  project.provide('metricsToken', TOKEN);
  return async () => {
    await worker.dispose();
    rmSync(state, { recursive: true, force: true });
  };
}
