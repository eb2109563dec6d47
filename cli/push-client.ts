/**
 * The push client (issue 3, "The push client"): syncs a folder to the edge's push API.
 * It hashes every file as a stream, leaves out what `.pushignore` names, creates a deploy
 * from the manifest, uploads only the blobs the edge says are missing (bounded concurrency,
 * retries with backoff, multipart for large files), then activates the deploy. Nothing is
 * activated unless every step succeeded, so a failed run leaves the active deploy untouched.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type {
  ActivatedDeploy,
  CreatedDeploy,
  DeployList,
  FileList,
  Manifest,
  PushedFile,
  StartedUpload,
  UploadedPart,
} from '@pushpull/contracts/push';
import { mapLimited } from '@pushpull/http/concurrency';
import { contentTypeFor } from '@pushpull/http/content-type';
import { compileIgnore } from './push-ignore';
import { isRewritable, rewriteUrls, type Rewrite } from './push-rewrite';

/** Where and how to reach the edge. */
export interface EdgeTarget {
  /** Base URL of the edge Worker, e.g. http://127.0.0.1:8787. */
  edgeUrl: string;
  /** The push token (`PUSHPULL_TOKEN`). */
  token: string;
  /** Replaces `fetch` (tests count requests with it). */
  fetch?: typeof fetch;
  /** Attempts per request on network errors, 429 and 5xx (default 4). */
  retries?: number;
  /** First backoff delay in ms, doubled each retry (default 200). */
  backoffMs?: number;
}

/** Options of {@link pushDir}. */
export interface PushOptions extends EdgeTarget {
  dir: string;
  rewrite?: Rewrite[];
  /** Blob uploads in flight at once (default 4). */
  concurrency?: number;
  /** Cache-Control stored with every file (none by default). */
  cacheControl?: string;
  /** Seconds until every pushed file expires (none by default). */
  ttlSeconds?: number;
  /** Stop after uploading, without activating (default false). */
  noActivate?: boolean;
  /** Called as bytes are uploaded. */
  onProgress?: (p: { uploadedBytes: number; totalBytes: number; blobsDone: number; blobsTotal: number }) => void;
}

/** What a push did. */
export interface PushSummary {
  deployId: string;
  activated: boolean;
  files: number;
  /** Distinct contents uploaded (the edge did not have them). */
  new: number;
  /** Files whose content the edge already had. */
  unchanged: number;
  bytesUploaded: number;
  totalBytes: number;
  requests: number;
  ms: number;
}

/** A failure of one step, with the edge's error code when it sent one. */
export class PushError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'PushError';
  }
}

interface LocalFile {
  path: string;
  abs: string;
  size: number;
  sha256: string;
  contentType: string;
  rewritten: boolean;
}

/** A client for one edge: authenticated JSON requests with retries, counted. */
export class EdgeClient {
  requests = 0;
  private readonly f: typeof fetch;
  constructor(private readonly target: EdgeTarget) {
    this.f = target.fetch ?? fetch;
    if (!target.token) throw new PushError('no token: set PUSHPULL_TOKEN');
  }

  /** One request to the push API, retried with exponential backoff on network errors, 429 and 5xx. */
  async call(method: string, path: string, body?: RequestInit['body'], headers: Record<string, string> = {}): Promise<Response> {
    const retries = this.target.retries ?? 4;
    const url = this.target.edgeUrl.replace(/\/+$/, '') + '/_push' + path;
    let lastError = '';
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        const delay = (this.target.backoffMs ?? 200) * 2 ** (attempt - 1);
        await new Promise((r) => setTimeout(r, delay * (0.75 + Math.random() * 0.5)));
      }
      this.requests++;
      let res: Response;
      try {
        res = await this.f(url, { method, body, headers: { authorization: `Bearer ${this.target.token}`, ...headers } });
      } catch (err) {
        lastError = `${method} ${url}: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`;
        continue;
      }
      if (res.status === 429 || res.status >= 500) {
        lastError = `${method} ${url}: ${res.status} ${(await res.text()).slice(0, 300)}`;
        continue;
      }
      if (!res.ok) {
        const text = await res.text();
        let code: string | undefined;
        let message = text.slice(0, 500);
        try {
          const j = JSON.parse(text) as { error?: string; message?: string };
          code = j.error;
          message = j.message ?? message;
        } catch {
          // not JSON: keep the text
        }
        throw new PushError(`${method} /_push${path}: ${res.status}${code ? ` ${code}` : ''}: ${message}`, res.status, code);
      }
      return res;
    }
    throw new PushError(`gave up after ${retries + 1} attempts: ${lastError}`);
  }

  /** A request whose answer is JSON. */
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.call(
      method,
      path,
      body === undefined ? undefined : JSON.stringify(body),
      body === undefined ? {} : { 'content-type': 'application/json' },
    );
    return (await res.json()) as T;
  }
}

/** Every file of a folder not left out by its `.pushignore`, as sorted relative paths. */
export async function listFolder(dir: string): Promise<Array<{ rel: string; abs: string }>> {
  let ignoreText = '';
  try {
    ignoreText = await readFile(join(dir, '.pushignore'), 'utf8');
  } catch {
    // no .pushignore
  }
  const ignored = compileIgnore(ignoreText);
  const out: Array<{ rel: string; abs: string }> = [];
  async function walk(abs: string): Promise<void> {
    const entries = await readdir(abs, { withFileTypes: true });
    for (const e of entries) {
      const child = join(abs, e.name);
      const rel = relative(dir, child).split(sep).join('/');
      if (e.isDirectory()) {
        if (e.name === '.git' || ignored(rel, true)) continue;
        await walk(child);
      } else if (e.isFile()) {
        if (rel === '.pushignore' || ignored(rel, false)) continue;
        out.push({ rel, abs: child });
      }
    }
  }
  await walk(dir);
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/** The bytes a file is pushed with: rewritten HTML/CSS, else the file itself (null = stream it). */
async function rewrittenBytes(abs: string, rel: string, rules: readonly Rewrite[]): Promise<Buffer | null> {
  if (rules.length === 0 || !isRewritable(rel)) return null;
  const text = await readFile(abs, 'utf8');
  const out = rewriteUrls(text, rules);
  return out === text ? null : Buffer.from(out, 'utf8');
}

async function hashFile(abs: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(abs, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** Hashes the folder's files (streamed; rewritten ones from memory), a few at a time. */
export async function scanFolder(dir: string, rules: readonly Rewrite[] = []): Promise<LocalFile[]> {
  const entries = await listFolder(dir);
  return mapLimited(entries, 8, async ({ rel, abs }): Promise<LocalFile> => {
    const rewritten = await rewrittenBytes(abs, rel, rules);
    const h = rewritten ? { sha256: createHash('sha256').update(rewritten).digest('hex'), size: rewritten.length } : await hashFile(abs);
    return { path: '/' + rel, abs, size: h.size, sha256: h.sha256, contentType: contentTypeFor(rel), rewritten: rewritten !== null };
  });
}

async function readRange(abs: string, offset: number, length: number): Promise<Buffer> {
  const fh = await open(abs, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, offset);
    if (bytesRead !== length) throw new PushError(`${abs} changed while pushing (read ${bytesRead} of ${length} bytes)`);
    return buf;
  } finally {
    await fh.close();
  }
}

/** The bytes of a file for upload, checked against the hash taken when scanning. */
async function contentOf(file: LocalFile, rules: readonly Rewrite[]): Promise<Buffer> {
  const bytes = file.rewritten
    ? ((await rewrittenBytes(file.abs, file.path.slice(1), rules)) ?? (await readFile(file.abs)))
    : await readFile(file.abs);
  if (createHash('sha256').update(bytes).digest('hex') !== file.sha256)
    throw new PushError(`${file.path} changed while pushing; run the push again`);
  return bytes;
}

async function uploadMultipart(client: EdgeClient, file: LocalFile, partBytes: number, progress: (n: number) => void): Promise<void> {
  const started = await client.json<StartedUpload>('POST', '/uploads', { sha256: file.sha256, size: file.size });
  if (started.exists) return;
  const parts: UploadedPart[] = [];
  for (let n = 1, offset = 0; offset < file.size; n++, offset += partBytes) {
    const chunk = await readRange(file.abs, offset, Math.min(partBytes, file.size - offset));
    const res = await client.call(
      'PUT',
      `/uploads/${started.uploadId}/parts/${n}`,
      new Uint8Array(chunk.buffer as ArrayBuffer, chunk.byteOffset, chunk.byteLength),
    );
    parts.push((await res.json()) as UploadedPart);
    progress(chunk.length);
  }
  await client.json('POST', `/uploads/${started.uploadId}/complete`, { parts });
}

/** Pushes a folder: manifest, missing blobs only, activation. Throws {@link PushError} naming the failed step. */
export async function pushDir(options: PushOptions): Promise<PushSummary> {
  const started = Date.now();
  const client = new EdgeClient(options);
  const rules = options.rewrite ?? [];
  const files = await scanFolder(options.dir, rules);
  if (files.length === 0) throw new PushError(`${options.dir} has no files to push`);
  const expiresAt = options.ttlSeconds ? Date.now() + options.ttlSeconds * 1000 : undefined;
  const manifest: Manifest = {};
  for (const f of files) {
    manifest[f.path] = { sha256: f.sha256, size: f.size, contentType: f.contentType };
    if (options.cacheControl) manifest[f.path].cacheControl = options.cacheControl;
    if (expiresAt) manifest[f.path].expiresAt = expiresAt;
  }
  const created = await client.json<CreatedDeploy>('POST', '/deploys', manifest);
  const byHash = new Map<string, LocalFile>();
  for (const f of files) if (!byHash.has(f.sha256)) byHash.set(f.sha256, f);
  const todo = created.missing.map((h) => {
    const f = byHash.get(h);
    if (!f) throw new PushError(`the edge asked for ${h}, which is not in this folder`);
    return f;
  });
  const totalBytes = todo.reduce((n, f) => n + f.size, 0);
  let uploadedBytes = 0;
  let blobsDone = 0;
  const progress = (n: number): void => {
    uploadedBytes += n;
    options.onProgress?.({ uploadedBytes, totalBytes, blobsDone, blobsTotal: todo.length });
  };

  // The first failure stops new uploads; those in flight finish before it is thrown.
  await mapLimited(todo, Math.max(1, options.concurrency ?? 4), async (f) => {
    try {
      if (f.size > created.limits.partBytes || f.size > created.limits.maxBodyBytes) {
        if (f.rewritten) throw new PushError(`${f.path}: rewritten files larger than ${created.limits.partBytes} bytes are not supported`);
        await uploadMultipart(client, f, Math.min(created.limits.partBytes, created.limits.maxBodyBytes), progress);
        blobsDone++;
      } else {
        const bytes = await contentOf(f, rules);
        await client.call('PUT', `/blobs/${f.sha256}`, new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength), {
          'content-type': 'application/octet-stream',
        });
        blobsDone++;
        progress(bytes.length);
      }
    } catch (err) {
      throw err instanceof PushError ? new PushError(`uploading ${f.path}: ${err.message}`, err.status, err.code) : err;
    }
  });

  let activated = false;
  if (!options.noActivate) {
    await client.json('POST', `/deploys/${created.id}/activate`);
    activated = true;
  }
  const missing = new Set(created.missing);
  return {
    deployId: created.id,
    activated,
    files: files.length,
    new: missing.size,
    unchanged: files.filter((f) => !missing.has(f.sha256)).length,
    bytesUploaded: uploadedBytes,
    totalBytes: files.reduce((n, f) => n + f.size, 0),
    requests: client.requests,
    ms: Date.now() - started,
  };
}

/** Lists deploys, newest first, and the active one. */
export async function listDeploys(target: EdgeTarget): Promise<DeployList> {
  return new EdgeClient(target).json('GET', '/deploys');
}

/** Activates `deployId`, or (without one) the deploy that was active before the current one. */
export async function rollback(target: EdgeTarget, deployId?: string): Promise<ActivatedDeploy> {
  const client = new EdgeClient(target);
  let id = deployId;
  if (!id) {
    const { active, history } = await client.json<DeployList>('GET', '/deploys');
    id = history.find((h) => h.deployId !== active)?.deployId;
    if (!id) throw new PushError('nothing to roll back to: no earlier activation is recorded');
  }
  return client.json<ActivatedDeploy>('POST', `/deploys/${id}/activate`);
}

/** Every pushed file under a prefix (follows the cursor, at most 1000 pages). */
export async function listFiles(target: EdgeTarget, prefix = ''): Promise<PushedFile[]> {
  const client = new EdgeClient(target);
  const out: PushedFile[] = [];
  let cursor = '';
  for (let page = 0; page < 1000; page++) {
    const q = new URLSearchParams({ prefix, limit: '1000' });
    if (cursor) q.set('cursor', cursor);
    const res = await client.json<FileList>('GET', `/files?${q.toString()}`);
    out.push(...res.files);
    if (!res.cursor) break;
    cursor = res.cursor;
  }
  return out;
}
