import type { TestProject } from 'vitest/node';
import { buildCli } from '../../cli/build.mjs';
import { startScriptedOrigin } from '../support/scripted-origin';
import { startEdge } from './edge';

declare module 'vitest' {
  export interface ProvidedContext {
    edgeUrl: string;
    originUrl: string;
  }
}

/** Limits small enough to test at and past their edges quickly. */
export const TEST_VARS = {
  ROUTES: JSON.stringify({ '/only-push/': 'push', '/only-pull/': 'pull' }),
  PUSH_MAX_PATH_BYTES: '200',
  PUSH_MAX_NAME_BYTES: '64',
  PUSH_MAX_BODY_BYTES: String(6 * 1024 * 1024),
  PUSH_PART_BYTES: String(5 * 1024 * 1024),
  PUSH_MAX_BLOB_BYTES: String(32 * 1024 * 1024),
  PUSH_MAX_FILES: '1500',
  PUSH_MAX_HEADER_BYTES: '100',
  KEEP_DEPLOYS: '4',
  PUSH_GC_GRACE_SECONDS: '120',
  PURGE_POLL_MS: '100',
};

/**
 * Builds the `pushpull` bin the CLI tests run (cli/dist/pushpull.mjs, from the current sources),
 * then starts a scripted origin and the edge Worker under `wrangler dev` (port 19400).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await buildCli();
  const origin = await startScriptedOrigin();
  const originUrl = `http://127.0.0.1:${origin.port}`;
  const edge = await startEdge(19400, { ...TEST_VARS, ORIGIN_URL: originUrl });
  project.provide('edgeUrl', edge.url);
  project.provide('originUrl', originUrl);
  return async () => {
    await edge.stop();
    await origin.close();
  };
}
