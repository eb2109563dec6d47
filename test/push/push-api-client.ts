// The push API and the edge as the push tests call them over HTTP (the edge under wrangler dev).
import { createHash } from 'node:crypto';
import { inject } from 'vitest';
import { TOKEN } from './edge';

export const edge = (): string => inject('edgeUrl');
export const originUrl = (): string => inject('originUrl');

/** SHA-256 of bytes, lowercase hex. */
export const sha = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** A request to the push API with the test token (override `authorization` to test auth). */
export async function api(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has('authorization')) headers.set('authorization', `Bearer ${TOKEN}`);
  return fetch(edge() + '/_push' + path, { ...init, headers });
}

/** A JSON body from a response. */
export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/** GET a public path from the edge; returns status, headers and body text. */
export async function get(
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Headers; body: string }> {
  const res = await fetch(edge() + path, { method, headers });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** The id of the active deploy (GET /_push/deploys), or null. */
export async function activeId(): Promise<string | null> {
  return (await json<{ active: string | null }>(await api('/deploys'))).active;
}

/** Pushes one file with PUT /_push/files/<path>. */
export async function putFile(
  path: string,
  body: string | Uint8Array<ArrayBuffer>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return api('/files' + path, { method: 'PUT', body, headers });
}

/** A manifest entry for some text. */
export function entry(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { sha256: sha(text), size: Buffer.byteLength(text), contentType: 'text/plain; charset=utf-8', ...extra };
}

/** Creates a deploy, uploads what it says is missing, and activates it; returns its id. */
export async function deploy(files: Record<string, string>, extra: Record<string, Record<string, unknown>> = {}): Promise<string> {
  const manifest = Object.fromEntries(Object.entries(files).map(([p, t]) => [p, entry(t, extra[p])]));
  const created = await api('/deploys', {
    method: 'POST',
    body: JSON.stringify(manifest),
    headers: { 'content-type': 'application/json' },
  });
  if (created.status !== 201) throw new Error(`create deploy: ${created.status} ${await created.text()}`);
  const { id, missing } = await json<{ id: string; missing: string[] }>(created);
  const byHash = new Map(Object.values(files).map((t) => [sha(t), t]));
  for (const h of missing) {
    const r = await api('/blobs/' + h, { method: 'PUT', body: byHash.get(h) });
    if (r.status >= 300) throw new Error(`blob: ${r.status} ${await r.text()}`);
  }
  const act = await api(`/deploys/${id}/activate`, { method: 'POST' });
  if (act.status !== 200) throw new Error(`activate: ${act.status} ${await act.text()}`);
  return id;
}

/** A unique path prefix per test, so tests do not see each other's files. */
let counter = 0;
export const unique = (label: string): string => `${label}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
