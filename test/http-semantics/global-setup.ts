/**
 * Starts, on free ports: the Node origin serving the fixtures, a scripted origin, and the edge
 * Worker under `wrangler dev` in front of the scripted origin, then publishes the fixtures to
 * the push store (with the push client, and with single-file PUTs). Everything is stopped and
 * removed on teardown, and on a failed start.
 */
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { pushDir } from '../../cli/push-client';
import { startOrigin, type RunningOrigin } from '../../origin/server';
import { FIXTURES } from '@pushpull/http/semantics/cases';
import { formatHttpDate } from '@pushpull/http/semantics/http-date';
import { root, startWorker, type DevWorker } from '../support/dev-worker';
import { startScriptedOrigin, type ScriptedOrigin } from '../support/scripted-origin';
import { freePort, send } from './http';
import { FIXTURE_LAST_MODIFIED, ROUTES, TOKEN, TYPED_EXTENSIONS } from './servers';

/** Stored-for long enough that no replay sees an entry go stale. */
const PUBLISHED_CACHE_CONTROL = 'public, max-age=600';

async function writeFixtures(dir: string, strongOnly: boolean): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const f of Object.values(FIXTURES)) {
    if (strongOnly && (f.etag !== 'strong' || !f.lastModified)) continue;
    const path = join(dir, f.name);
    await writeFile(path, f.body);
    const at = new Date(FIXTURE_LAST_MODIFIED);
    await utimes(path, at, at);
  }
}

async function writeTyped(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const ext of TYPED_EXTENSIONS) await writeFile(join(dir, `file.${ext}`), 'x');
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: Array<() => Promise<unknown>> = [];
  const teardown = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => console.error('teardown:', err));
  };
  try {
    const base = await mkdtemp(join(tmpdir(), 'pushpull-semantics-'));
    stops.push(() => rm(base, { recursive: true, force: true }));
    // The origin's folder; the push client's folder (paths as the edge serves them).
    await writeFixtures(join(base, 'site', 'semantics'), true);
    await writeTyped(join(base, 'site', 'types'));
    await writeFixtures(join(base, 'push', 'pushed'), true);
    await writeTyped(join(base, 'push', 'types-client'));

    const origin: RunningOrigin = await startOrigin({ port: 0, dir: join(base, 'site'), defaultMetrics: false });
    stops.push(() => origin.close());
    const scripted: ScriptedOrigin = await startScriptedOrigin();
    stops.push(() => scripted.close());
    const scriptedUrl = `http://127.0.0.1:${scripted.port}`;
    for (const f of Object.values(FIXTURES)) {
      const opaque = `"pulled-${f.name}"`;
      await send(`${scriptedUrl}/__script/pulled/${f.name}`, {
        method: 'PUT',
        body: JSON.stringify({
          body: f.body,
          etag: f.etag === 'none' ? undefined : f.etag === 'weak' ? `W/${opaque}` : opaque,
          lastModified: f.lastModified ? formatHttpDate(FIXTURE_LAST_MODIFIED) : undefined,
          headers: { 'content-type': f.contentType, 'cache-control': PUBLISHED_CACHE_CONTROL },
        }),
      });
    }

    // wrangler's dev registry is machine-wide unless pointed at this worktree.
    process.env.WRANGLER_REGISTRY_PATH ??= join(root, '.wrangler', 'registry');
    const [port, inspectorPort] = [await freePort(), await freePort()];
    const edge: DevWorker = await startWorker(
      'workers/edge/wrangler.toml',
      port,
      {
        ORIGIN_URL: scriptedUrl,
        PUSHPULL_TOKEN: TOKEN,
        ROUTES: JSON.stringify(ROUTES),
        ORIGIN_TIMEOUT_MS: '5000',
      },
      '/_push/deploys',
      { readyHeaders: { authorization: `Bearer ${TOKEN}` }, readyStatus: 200, inspectorPort, bundleFirst: true },
    );
    stops.push(() => edge.stop());

    // The push client publishes a folder as one deploy; single-file PUTs then add to it.
    await pushDir({ edgeUrl: edge.url, token: TOKEN, dir: join(base, 'push'), cacheControl: PUBLISHED_CACHE_CONTROL });
    for (const ext of TYPED_EXTENSIONS) {
      // No Content-Type: the push API picks one by extension.
      const put = await send(`${edge.url}/_push/files/types-api/file.${ext}`, {
        method: 'PUT',
        body: 'x',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-length': '1' },
      });
      if (put.status >= 300) throw new Error(`PUT types-api/file.${ext}: ${put.status} ${new TextDecoder().decode(put.body)}`);
    }

    project.provide('originUrl', origin.url);
    project.provide('edgeUrl', edge.url);
    project.provide('scriptedUrl', scriptedUrl);
    return teardown;
  } catch (err) {
    await teardown();
    throw err;
  }
}
