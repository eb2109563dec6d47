/**
 * Where the push CDN keeps things (docs/push.md, "Storage"):
 *
 *   R2 `push/blobs/<sha256>`        one object per distinct content (content-addressed)
 *   R2 `push/staging/<uuid>`        uploads whose hash is not yet verified (never served)
 *   R2 `push/deploys/<id>.json`     a deploy: the complete, immutable path → file map
 *   R2 `push/active.json`           the active-deploy pointer, the authority (changed by compare-and-swap)
 *   KV `push:active`                copy of the pointer, read on the serving path
 *   KV `push:deploy:<id>`           copy of a deploy, read on the serving path
 *
 * An activation is one conditional write of one small object, so every path switches at
 * once and two racing activations each stay whole (the last one wins). R2 is strongly
 * consistent and its conditional put (`onlyIf.etagMatches`) serialises read-modify-write
 * (single-file pushes) without a coordinator; KV is only the read-side cache.
 */
import { mapLimited } from '@pushpull/http/concurrency';
import { ApiError } from '@pushpull/http/errors';
import type { DeploySummary } from '@pushpull/contracts/push';
import type { ActivePointer, Deploy } from './manifest';
import { HISTORY_LENGTH } from './manifest';

/** The bindings the push store uses. */
export interface PushEnv {
  PUSH_BUCKET: R2Bucket;
  EDGE_KV: KVNamespace;
}

export const BLOB_PREFIX = 'push/blobs/';
export const STAGING_PREFIX = 'push/staging/';
export const DEPLOY_PREFIX = 'push/deploys/';
export const ACTIVE_KEY = 'push/active.json';
export const KV_ACTIVE = 'push:active';
export const KV_DEPLOY_PREFIX = 'push:deploy:';

/** R2 key of a blob. */
export const blobKey = (sha256: string): string => BLOB_PREFIX + sha256;
/** R2 key of a deploy. */
export const deployKey = (id: string): string => `${DEPLOY_PREFIX}${id}.json`;

// Deploys are immutable, so an isolate may keep the last few it read.
const deployMemo = new Map<string, Deploy>();
const DEPLOY_MEMO_SIZE = 4;

function remember(deploy: Deploy): void {
  deployMemo.delete(deploy.id);
  deployMemo.set(deploy.id, deploy);
  while (deployMemo.size > DEPLOY_MEMO_SIZE) {
    const oldest = deployMemo.keys().next();
    if (oldest.done) break;
    deployMemo.delete(oldest.value);
  }
}

/** Stores a deploy (R2 first: the authority; then the KV copy for the serving path). */
export async function putDeploy(env: PushEnv, deploy: Deploy): Promise<void> {
  const json = JSON.stringify(deploy);
  const bytes = Object.values(deploy.files).reduce((n, f) => n + f.size, 0);
  await env.PUSH_BUCKET.put(deployKey(deploy.id), json, {
    httpMetadata: { contentType: 'application/json' },
    customMetadata: {
      createdAt: String(deploy.createdAt),
      kind: deploy.kind,
      files: String(Object.keys(deploy.files).length),
      bytes: String(bytes),
    },
  });
  await env.EDGE_KV.put(KV_DEPLOY_PREFIX + deploy.id, json);
  remember(deploy);
}

/** Reads a deploy: isolate memory, else KV, else R2 (KV may not have propagated yet). */
export async function getDeploy(env: PushEnv, id: string): Promise<Deploy | null> {
  const memo = deployMemo.get(id);
  if (memo) return memo;
  let deploy = await env.EDGE_KV.get<Deploy>(KV_DEPLOY_PREFIX + id, 'json');
  if (!deploy) {
    const obj = await env.PUSH_BUCKET.get(deployKey(id));
    if (!obj) return null;
    deploy = await obj.json<Deploy>();
  }
  remember(deploy);
  return deploy;
}

/** Deletes a deploy from R2 and KV. */
export async function deleteDeploy(env: PushEnv, id: string): Promise<void> {
  deployMemo.delete(id);
  await env.PUSH_BUCKET.delete(deployKey(id));
  await env.EDGE_KV.delete(KV_DEPLOY_PREFIX + id);
}

/**
 * Every object under a prefix of the push bucket, page by page (R2 lists up to 1000 a page);
 * bounded: stops after `maxPages` pages.
 */
export async function* listObjects(
  env: PushEnv,
  prefix: string,
  maxPages: number,
  include?: R2ListOptions['include'],
): AsyncGenerator<R2Object> {
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const list = await env.PUSH_BUCKET.list({ prefix, cursor, include });
    yield* list.objects;
    if (!list.truncated) return;
    cursor = list.cursor;
  }
}

/** Every stored deploy from R2 custom metadata, without reading them; newest first (bounded: at most 100 pages of 1000). */
export async function listDeploys(env: PushEnv): Promise<DeploySummary[]> {
  const out: DeploySummary[] = [];
  for await (const obj of listObjects(env, DEPLOY_PREFIX, 100, ['customMetadata'])) {
    const m = obj.customMetadata ?? {};
    out.push({
      id: obj.key.slice(DEPLOY_PREFIX.length, -'.json'.length),
      createdAt: Number(m.createdAt ?? obj.uploaded.getTime()),
      kind: m.kind === 'file' ? 'file' : 'site',
      files: Number(m.files ?? 0),
      bytes: Number(m.bytes ?? 0),
    });
  }
  return out.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/** The pointer as the serving path reads it (the KV copy). */
export async function readActiveForServing(env: PushEnv): Promise<ActivePointer | null> {
  return env.EDGE_KV.get<ActivePointer>(KV_ACTIVE, 'json');
}

/** The authoritative pointer (R2) and its etag for a compare-and-swap. */
export async function readActive(env: PushEnv): Promise<{ pointer: ActivePointer | null; etag: string | null }> {
  const obj = await env.PUSH_BUCKET.get(ACTIVE_KEY);
  if (!obj) return { pointer: null, etag: null };
  return { pointer: await obj.json<ActivePointer>(), etag: obj.etag };
}

/** The active deploy as the push API reads it (through the authoritative pointer), or null. */
export async function readActiveDeploy(env: PushEnv): Promise<Deploy | null> {
  const { pointer } = await readActive(env);
  return pointer ? getDeploy(env, pointer.deployId) : null;
}

/** What an activation step decides, given the current pointer and deploy. */
export type ActivationPlan = { deploy: Deploy; fresh: boolean } | null;

/** The outcome of {@link activate}. */
export interface Activation {
  pointer: ActivePointer;
  deploy: Deploy;
  previous: Deploy | null;
}

const MAX_CAS_ATTEMPTS = 10;

/**
 * Switches the active deploy with a compare-and-swap on `push/active.json`, retried when
 * another activation got in first. `plan` sees the current deploy and returns the deploy to
 * activate (`fresh` when it was created by this call and must be stored first; it is deleted
 * again if the swap loses) or null for "nothing to do" (then null is returned).
 */
export async function activate(
  env: PushEnv,
  plan: (current: Deploy | null) => Promise<ActivationPlan>,
  now: () => number = Date.now,
): Promise<Activation | null> {
  for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
    const { pointer, etag } = await readActive(env);
    const current = pointer ? await getDeploy(env, pointer.deployId) : null;
    const next = await plan(current);
    if (!next) return null;
    if (next.fresh) await putDeploy(env, next.deploy);
    const at = now();
    const history = [{ deployId: next.deploy.id, activatedAt: at }, ...(pointer?.history ?? [])].slice(0, HISTORY_LENGTH);
    const nextPointer: ActivePointer = { deployId: next.deploy.id, activatedAt: at, history };
    const written = await env.PUSH_BUCKET.put(ACTIVE_KEY, JSON.stringify(nextPointer), {
      httpMetadata: { contentType: 'application/json' },
      onlyIf: etag ? { etagMatches: etag } : { etagDoesNotMatch: '*' },
    });
    if (written) {
      await publishPointer(env, nextPointer);
      return { pointer: nextPointer, deploy: next.deploy, previous: current };
    }
    if (next.fresh) await deleteDeploy(env, next.deploy.id);
    await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * (attempt + 1)));
  }
  throw new ApiError(503, 'busy', 'too many concurrent activations; retry');
}

/**
 * Copies the pointer to KV for the serving path. KV allows one write per second per key,
 * so a refused write is retried with backoff; the last writer re-reads R2 so KV ends on the
 * authoritative value even when two activations interleave.
 */
export async function publishPointer(env: PushEnv, pointer: ActivePointer): Promise<void> {
  let value = pointer;
  for (let attempt = 0; ; attempt++) {
    try {
      await env.EDGE_KV.put(KV_ACTIVE, JSON.stringify(value));
      const { pointer: authority } = await readActive(env);
      if (!authority || (authority.deployId === value.deployId && authority.activatedAt === value.activatedAt)) return;
      value = authority; // another activation won meanwhile: publish the winner
    } catch (err) {
      if (attempt >= 4) throw err;
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    }
    if (attempt >= 4) return;
  }
}

/** Size of each blob that exists, by hash (absent hashes are not in the map). */
export async function existingBlobs(env: PushEnv, hashes: readonly string[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  const unique = [...new Set(hashes)];
  if (unique.length === 0) return found;
  // Few hashes: one HEAD each. Many: listing the blob prefix costs one call per 1000 blobs.
  if (unique.length <= 100) {
    await mapLimited(unique, 6, async (sha) => {
      const head = await env.PUSH_BUCKET.head(blobKey(sha));
      if (head) found.set(sha, head.size);
    });
    return found;
  }
  const wanted = new Set(unique);
  for await (const obj of listObjects(env, BLOB_PREFIX, 10_000)) {
    const sha = obj.key.slice(BLOB_PREFIX.length);
    if (wanted.has(sha)) found.set(sha, obj.size);
  }
  return found;
}
