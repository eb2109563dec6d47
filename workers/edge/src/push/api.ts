/**
 * The push API, mounted by the edge Worker at `/_push` (docs/push.md, "Endpoints", lists
 * every endpoint). Every route needs `Authorization: Bearer`.
 * Handlers stay thin: validation is in manifest.ts, storage in store.ts / upload.ts.
 */
import { Hono, type Context } from 'hono';
import { ApiError, jsonErrorHandler, jsonNotFound } from '@pushpull/http/errors';
import { requireToken } from '@pushpull/http/auth';
import type {
  ActivatedDeploy,
  CreatedDeploy,
  DeployList,
  FileEntry,
  FileList,
  PushedFile,
  StartedUpload,
  UploadedPart,
} from '@pushpull/contracts/push';
import { pathOfName } from '../cache-key';
import { purge } from '../purge';
import { contentTypeFor } from '@pushpull/http/content-type';
import { collectGarbage } from './gc';
import { fetchPushed } from './serve';
import { pushSettings, type PushLimits } from './settings';
import {
  changedPaths,
  expiryFromHeaders,
  isDeployId,
  newDeployId,
  parseManifest,
  topLevelKeys,
  parseSha256,
  servesSame,
  validateHeaderValue,
  validatePath,
  withModifiedTimes,
  type Deploy,
} from './manifest';
import { activate, existingBlobs, getDeploy, listDeploys, putDeploy, readActive, readActiveDeploy, type Activation } from './store';
import { abortUpload, completeUpload, createUpload, storeBlobHashing, storeBlobVerified, uploadPart } from './upload';

type PushContext = Context<{ Bindings: Env }>;

/** The push API as a Hono sub-app, for `app.route('/_push', pushApi)`. */
export const pushApi = new Hono<{ Bindings: Env }>();
pushApi.onError(jsonErrorHandler);
pushApi.use('*', requireToken({ secret: (env) => (env as Env).PUSHPULL_TOKEN }));

const limitsOf = (c: PushContext): PushLimits => pushSettings(c.env);

/** The pushed path named by a `/files/<path>` URL, decoded and validated. */
function pathFromUrl(c: PushContext, limits: PushLimits): string {
  const pathname = new URL(c.req.url).pathname;
  const at = pathname.indexOf('/files/');
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname.slice(at + '/files'.length));
  } catch {
    throw new ApiError(400, 'invalid_path', 'the path is not valid percent-encoding');
  }
  return validatePath(decoded, limits);
}

/** The declared body length; refuses a missing one (411) or one above `limit` (413). */
function bodyLength(c: PushContext, limit: number, what: string): number {
  const raw = c.req.header('content-length');
  if (raw === undefined || !/^\d+$/.test(raw)) throw new ApiError(411, 'length_required', 'Content-Length is required');
  const n = Number(raw);
  if (n > limit) {
    throw new ApiError(
      413,
      'payload_too_large',
      `${what} is ${n} bytes, more than PUSH_MAX_BODY_BYTES (${limit}); larger files go through POST /_push/uploads (multipart)`,
      { limit },
    );
  }
  return n;
}

function emptyBody(): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.close();
    },
  });
}

async function readJson(c: PushContext, limit: number): Promise<unknown> {
  return parseJson(await readJsonText(c, limit));
}

/** The text of a JSON body of at most `limit` bytes (413 past it). */
async function readJsonText(c: PushContext, limit: number): Promise<string> {
  const raw = c.req.header('content-length');
  if (raw !== undefined && Number(raw) > limit) {
    throw new ApiError(413, 'payload_too_large', `the JSON body is ${raw} bytes, more than PUSH_MAX_MANIFEST_BYTES (${limit})`, { limit });
  }
  const text = await c.req.text();
  if (new TextEncoder().encode(text).length > limit) {
    throw new ApiError(413, 'payload_too_large', `the JSON body is more than PUSH_MAX_MANIFEST_BYTES (${limit})`, { limit });
  }
  return text;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(400, 'invalid_json', 'the body is not valid JSON');
  }
}

/**
 * Invalidates what the pull cache holds for the paths an activation changed, so the next
 * request on this edge gets the new version (docs/push.md, "Consistency": a push or an
 * activation takes effect at once). A directory index also purges its directory URL.
 */
async function purgeChanged(env: Env, paths: string[]): Promise<void> {
  if (paths.length === 0) return;
  if (paths.length > 1000) {
    await purge(env, { prefixes: ['/'] });
    return;
  }
  // Each file's one URL (a name with `?`, `#` or `%` is not its own URL).
  const urls = new Set<string>();
  for (const p of paths) {
    urls.add(pathOfName(p));
    if (p.endsWith('/index.html')) urls.add(pathOfName(p.slice(0, -'index.html'.length)));
  }
  await purge(env, { urls: [...urls] });
}

/** Automatic collections run at most this often per isolate (a run lists every blob). */
const AUTO_GC_INTERVAL_MS = 60_000;
let lastAutoGc = 0;

async function afterActivation(c: PushContext, result: Activation): Promise<void> {
  await purgeChanged(c.env, changedPaths(result.previous?.files, result.deploy.files));
  const now = Date.now();
  if (now - lastAutoGc >= AUTO_GC_INTERVAL_MS) {
    lastAutoGc = now;
    c.executionCtx.waitUntil(collectGarbage(c.env, limitsOf(c)).catch((err: unknown) => console.error('push gc failed', err)));
  }
}

// ---- single files ----------------------------------------------------------------

pushApi.put('/files/*', async (c) => {
  const limits = limitsOf(c);
  const path = pathFromUrl(c, limits);
  const now = Date.now();
  const contentType = validateHeaderValue('Content-Type', c.req.header('content-type') || contentTypeFor(path), limits);
  const cc = c.req.header('cache-control');
  const cacheControl = cc !== undefined && cc !== '' ? validateHeaderValue('Cache-Control', cc, limits) : undefined;
  const expiresAt = expiryFromHeaders(c.req.header('x-ttl'), c.req.header('x-expires-at'), now);
  const declared = c.req.header('x-content-sha256');
  const sha = declared !== undefined ? parseSha256(declared, 'X-Content-SHA256') : undefined;
  const size = bodyLength(c, limits.maxBodyBytes, 'the body');
  const body = c.req.raw.body ?? emptyBody();
  const stored = sha !== undefined ? await storeBlobVerified(c.env, sha, body, size) : await storeBlobHashing(c.env, body, size);

  let entry: FileEntry | undefined;
  const result = await activate(c.env, async (current) => {
    const before = current?.files[path];
    entry = {
      sha256: stored.sha256,
      size: stored.size,
      contentType,
      modifiedAt: before && before.sha256 === stored.sha256 ? before.modifiedAt : now,
    };
    if (cacheControl !== undefined) entry.cacheControl = cacheControl;
    if (expiresAt !== undefined) entry.expiresAt = expiresAt;
    if (servesSame(before, entry)) return null;
    const deploy: Deploy = {
      id: newDeployId(Date.now()),
      createdAt: Date.now(),
      kind: 'file',
      files: { ...current?.files, [path]: entry },
      missing: [],
    };
    return { deploy, fresh: true };
  });
  if (result) await afterActivation(c, result);
  return c.json(
    { path, ...entry, created: stored.created, changed: result !== null, deployId: result?.deploy.id ?? null },
    result ? 201 : 200,
  );
});

pushApi.delete('/files/*', async (c) => {
  const path = pathFromUrl(c, limitsOf(c));
  const result = await activate(c.env, async (current) => {
    if (!current || !(path in current.files)) throw new ApiError(404, 'not_found', `${path} is not pushed`);
    const files = { ...current.files };
    delete files[path];
    const deploy: Deploy = { id: newDeployId(Date.now()), createdAt: Date.now(), kind: 'file', files, missing: [] };
    return { deploy, fresh: true };
  });
  if (result) await afterActivation(c, result);
  return c.json({ path, deleted: true, deployId: result?.deploy.id ?? null });
});

pushApi.get('/files', async (c) => {
  const prefix = c.req.query('prefix') ?? '';
  const cursor = c.req.query('cursor') ?? '';
  const limitRaw = c.req.query('limit') ?? '1000';
  if (!/^\d{1,4}$/.test(limitRaw) || Number(limitRaw) < 1 || Number(limitRaw) > 1000) {
    throw new ApiError(400, 'invalid_limit', 'limit must be an integer from 1 to 1000');
  }
  const limit = Number(limitRaw);
  const deploy = await readActiveDeploy(c.env);
  const now = Date.now();
  const wanted = prefix === '' || prefix.startsWith('/') ? prefix : '/' + prefix;
  const active = deploy?.files ?? {};
  const paths = Object.keys(active)
    .filter((p) => p.startsWith(wanted) && p > cursor)
    .sort();
  const page = paths.slice(0, limit);
  const files = page.map((path) => {
    const f = active[path];
    return { path, ...f, expired: f.expiresAt !== undefined && f.expiresAt <= now } satisfies PushedFile;
  });
  const next = paths.length > limit ? page[page.length - 1] : null;
  return c.json({ deployId: deploy?.id ?? null, files, cursor: next } satisfies FileList);
});

pushApi.get('/files/*', async (c) => {
  const path = pathFromUrl(c, limitsOf(c));
  const deploy = await readActiveDeploy(c.env);
  const f = deploy?.files[path];
  if (!f) throw new ApiError(404, 'not_found', `${path} is not pushed`);
  return c.json({ path, ...f, expired: f.expiresAt !== undefined && f.expiresAt <= Date.now() } satisfies PushedFile);
});

/**
 * What the push store itself answers for a path, bypassing the edge cache: `fetchPushed`
 * with the request's method, conditionals and Range. For checking a push without the cache.
 */
pushApi.on(['GET', 'HEAD'], '/raw/*', async (c) => {
  const url = new URL(c.req.url);
  const path = url.pathname.slice(url.pathname.indexOf('/raw/') + '/raw'.length);
  const headers = new Headers(c.req.raw.headers);
  headers.delete('authorization');
  const res = await fetchPushed(new Request(new URL(path, url), { method: c.req.method, headers }), c.env);
  if (!res) throw new ApiError(404, 'not_found', `${path} is not pushed (or has expired)`);
  return res;
});

// ---- blobs and multipart -----------------------------------------------------------

pushApi.put('/blobs/:sha', async (c) => {
  const limits = limitsOf(c);
  const sha = parseSha256(c.req.param('sha'), 'the blob hash');
  const size = bodyLength(c, limits.maxBodyBytes, 'the blob');
  const stored = await storeBlobVerified(c.env, sha, c.req.raw.body ?? emptyBody(), size);
  return c.json(stored, stored.created ? 201 : 200);
});

pushApi.post('/uploads', async (c) => {
  const limits = limitsOf(c);
  const body = await readJson(c, 64 * 1024);
  const b = (body ?? {}) as { sha256?: unknown; size?: unknown };
  if (typeof b.sha256 !== 'string') throw new ApiError(400, 'invalid_upload', 'sha256 is required');
  const sha256 = parseSha256(b.sha256);
  if (typeof b.size !== 'number' || !Number.isSafeInteger(b.size) || b.size < 0)
    throw new ApiError(400, 'invalid_upload', 'size must be a non-negative integer');
  if (b.size > limits.maxBlobBytes) {
    throw new ApiError(413, 'payload_too_large', `size ${b.size} is more than PUSH_MAX_BLOB_BYTES (${limits.maxBlobBytes})`, {
      limit: limits.maxBlobBytes,
    });
  }
  const existing = await existingBlobs(c.env, [sha256]);
  if (existing.get(sha256) === b.size) return c.json({ sha256, size: b.size, exists: true } satisfies StartedUpload);
  const id = await createUpload(c.env, sha256, b.size);
  return c.json({ uploadId: id, sha256, size: b.size, partBytes: limits.partBytes, exists: false } satisfies StartedUpload, 201);
});

pushApi.put('/uploads/:id/parts/:n', async (c) => {
  const limits = limitsOf(c);
  const n = Number(c.req.param('n'));
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new ApiError(400, 'invalid_part', 'part number must be 1 to 10000');
  const size = bodyLength(c, limits.maxBodyBytes, 'the part');
  const part = await uploadPart(c.env, c.req.param('id'), n, c.req.raw.body ?? emptyBody(), size);
  return c.json({ partNumber: part.partNumber, etag: part.etag } satisfies UploadedPart);
});

pushApi.post('/uploads/:id/complete', async (c) => {
  const body = await readJson(c, 1024 * 1024);
  const parts = (body as { parts?: unknown } | null)?.parts;
  if (
    !Array.isArray(parts) ||
    parts.length === 0 ||
    !parts.every((p: unknown) => {
      const q = p as { partNumber?: unknown; etag?: unknown } | null;
      return q !== null && typeof q === 'object' && typeof q.partNumber === 'number' && typeof q.etag === 'string';
    })
  ) {
    throw new ApiError(400, 'invalid_parts', 'parts must be a non-empty list of {partNumber, etag}');
  }
  const stored = await completeUpload(c.env, c.req.param('id'), parts as R2UploadedPart[]);
  return c.json(stored, stored.created ? 201 : 200);
});

pushApi.delete('/uploads/:id', async (c) => {
  await abortUpload(c.env, c.req.param('id'));
  return c.json({ aborted: true });
});

// ---- deploys -----------------------------------------------------------------------

pushApi.post('/deploys', async (c) => {
  const limits = limitsOf(c);
  const now = Date.now();
  const text = await readJsonText(c, limits.maxManifestBytes);
  const entries = parseManifest(parseJson(text), limits, now, topLevelKeys(text));
  const hashes = [...new Set([...entries.values()].map((e) => e.sha256))];
  const existing = await existingBlobs(c.env, hashes);
  for (const [path, e] of entries) {
    const size = existing.get(e.sha256);
    if (size !== undefined && size !== e.size) {
      throw new ApiError(400, 'size_mismatch', `${path}: the manifest says ${e.size} bytes but content ${e.sha256} is ${size} bytes`, {
        path,
        expected: size,
        actual: e.size,
      });
    }
  }
  const missing = hashes.filter((h) => !existing.has(h));
  const active = await readActiveDeploy(c.env);
  const deploy: Deploy = {
    id: newDeployId(now),
    createdAt: now,
    kind: 'site',
    files: withModifiedTimes(entries, active?.files, now),
    missing,
  };
  await putDeploy(c.env, deploy);
  const bytes = [...entries.values()].reduce((n, e) => n + e.size, 0);
  return c.json(
    {
      id: deploy.id,
      files: entries.size,
      bytes,
      missing,
      limits: { maxBodyBytes: limits.maxBodyBytes, partBytes: limits.partBytes, maxBlobBytes: limits.maxBlobBytes },
    } satisfies CreatedDeploy,
    201,
  );
});

pushApi.get('/deploys', async (c) => {
  const [{ pointer }, deploys] = await Promise.all([readActive(c.env), listDeploys(c.env)]);
  const activatedAt = new Map<string, number>();
  for (const h of [...(pointer?.history ?? [])].reverse()) activatedAt.set(h.deployId, h.activatedAt);
  return c.json({
    active: pointer?.deployId ?? null,
    history: pointer?.history ?? [],
    deploys: deploys.map((d) => ({
      ...d,
      status: d.id === pointer?.deployId ? 'active' : activatedAt.has(d.id) ? 'inactive' : 'pending',
      activatedAt: activatedAt.get(d.id) ?? null,
    })),
  } satisfies DeployList);
});

async function deployOr404(c: PushContext, id: string): Promise<Deploy> {
  if (!isDeployId(id)) throw new ApiError(400, 'invalid_deploy_id', `${JSON.stringify(id.slice(0, 40))} is not a deploy id`);
  const deploy = await getDeploy(c.env, id);
  if (!deploy) throw new ApiError(404, 'not_found', `no deploy ${id} (never created, or collected)`);
  return deploy;
}

/** Hashes of a deploy that are still not stored (or stored with another size). */
async function stillMissing(
  c: PushContext,
  deploy: Deploy,
): Promise<{ missing: string[]; wrongSize: Array<{ path: string; expected: number; actual: number }> }> {
  const found = await existingBlobs(c.env, deploy.missing);
  const missing = deploy.missing.filter((h) => !found.has(h));
  const wrongSize: Array<{ path: string; expected: number; actual: number }> = [];
  for (const [path, f] of Object.entries(deploy.files)) {
    const size = found.get(f.sha256);
    if (size !== undefined && size !== f.size) wrongSize.push({ path, expected: f.size, actual: size });
  }
  return { missing, wrongSize };
}

pushApi.get('/deploys/:id', async (c) => {
  const deploy = await deployOr404(c, c.req.param('id'));
  const { pointer } = await readActive(c.env);
  const { missing } = await stillMissing(c, deploy);
  return c.json({
    id: deploy.id,
    createdAt: deploy.createdAt,
    kind: deploy.kind,
    active: pointer?.deployId === deploy.id,
    files: Object.keys(deploy.files).length,
    missing,
  });
});

pushApi.post('/deploys/:id/activate', async (c) => {
  const deploy = await deployOr404(c, c.req.param('id'));
  const { missing, wrongSize } = await stillMissing(c, deploy);
  if (missing.length > 0) {
    throw new ApiError(
      400,
      'unknown_blobs',
      `${missing.length} content hash(es) of this deploy were never uploaded; upload them with PUT /_push/blobs/<sha256> and activate ` +
        `again`,
      { missing },
    );
  }
  if (wrongSize.length > 0) {
    throw new ApiError(
      400,
      'size_mismatch',
      `${wrongSize[0].path}: the manifest says ${wrongSize[0].expected} bytes but the uploaded content is ${wrongSize[0].actual}`,
      { mismatches: wrongSize },
    );
  }
  const result = await activate(c.env, async () => ({ deploy, fresh: false }));
  if (!result) throw new Error('activation planned nothing');
  await afterActivation(c, result);
  return c.json({
    active: deploy.id,
    previous: result.previous?.id ?? null,
    activatedAt: result.pointer.activatedAt,
    files: Object.keys(deploy.files).length,
  } satisfies ActivatedDeploy);
});

pushApi.post('/gc', async (c) => {
  const limits = limitsOf(c);
  // An operator may shorten the grace period for this run (never lengthen past the setting's purpose).
  const grace = c.req.query('graceSeconds');
  if (grace !== undefined && !/^\d{1,9}$/.test(grace)) {
    throw new ApiError(400, 'invalid_grace', 'graceSeconds must be a non-negative integer');
  }
  const run = grace === undefined ? limits : { ...limits, gcGraceSeconds: Math.min(limits.gcGraceSeconds, Number(grace)) };
  return c.json(await collectGarbage(c.env, run));
});

pushApi.all('*', jsonNotFound);
