// How the edge tests talk to the edge Worker (in workerd) and script its origin: requests, Cache-Status, origin hits, purges.
import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import app from '../../workers/edge/src/index';
import type { OriginScript } from '../support/scripted-origin';

/** A unique path per test, so tests never see each other's cache entries. */
export function uniquePath(name: string): string {
  return `/t/${name}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Sets what the scripted origin answers for a path. */
export async function script(path: string, s: OriginScript): Promise<void> {
  const res = await fetch(`${env.ORIGIN_URL}/__script${path}`, { method: 'PUT', body: JSON.stringify(s) });
  if (!res.ok) throw new Error(`scripting ${path} failed: ${res.status}`);
  await res.text();
}

/** What reached the origin for a path. */
export async function originHits(
  path: string,
): Promise<{ count: number; notModified: number; requests: Array<{ method: string; url: string; headers: Record<string, string> }> }> {
  const res = await fetch(`${env.ORIGIN_URL}/__hits${path}`);
  return res.json();
}

/** One request through the edge Worker, its body read, and all its background work settled. */
export async function edge(path: string, init?: RequestInit): Promise<{ res: Response; body: string }> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`http://edge.test${path}`, init), env, ctx);
  const body = await res.text();
  await waitOnExecutionContext(ctx);
  return { res, body };
}

/** The Cache-Status of a response, or '' */
export function cacheStatus(res: Response): string {
  return res.headers.get('cache-status') ?? '';
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const AUTH = { authorization: 'Bearer test-token' };

/** A purge through the edge's own API, with the test token (body as `POST /_cache/purge` takes it). */
export function purgeEdge(request: {
  urls?: string[];
  prefixes?: string[];
  tags?: string[];
  everything?: boolean;
}): Promise<{ res: Response; body: string }> {
  return edge('/_cache/purge', { method: 'POST', headers: AUTH, body: JSON.stringify(request) });
}
