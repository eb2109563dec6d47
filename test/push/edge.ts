/**
 * Starts the edge Worker (workers/edge/wrangler.toml) under `wrangler dev` with fresh local state on
 * a fixed port of the push range (19400-19449), and the settings the push tests rely on.
 */
import { startWorker, type DevWorker } from '../support/dev-worker';

export { root } from '../support/dev-worker';
export const TOKEN = 'test-token';

/** A running edge Worker. */
export type RunningEdge = DevWorker;

/** Starts `wrangler dev` for the edge Worker (token {@link TOKEN}) and waits until its push API answers. */
export async function startEdge(port: number, vars: Record<string, string>): Promise<RunningEdge> {
  return startDev(
    'workers/edge/wrangler.toml',
    port,
    { PUSHPULL_TOKEN: TOKEN, ...vars },
    { path: '/_push/deploys', headers: { authorization: `Bearer ${TOKEN}` } },
  );
}

/** Starts `wrangler dev -c <config>` (bundled once) on `port` (inspector on `port + 1`) and waits for a 200 from `ready`. */
export function startDev(
  config: string,
  port: number,
  vars: Record<string, string>,
  ready: { path: string; headers?: Record<string, string> },
): Promise<RunningEdge> {
  return startWorker(config, port, vars, ready.path, {
    readyHeaders: ready.headers,
    readyStatus: 200,
    inspectorPort: port + 1,
    bundleFirst: true,
  });
}
