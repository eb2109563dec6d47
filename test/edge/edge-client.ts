// How the edge tests talk to the edge Worker (in workerd) and script its origin: requests, Cache-Status, origin hits, purges.
import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import type { Hono } from 'hono';
import app from '../../workers/edge/src/index';
import { edgeApp } from '../../workers/edge/src/app';
import type { Clock } from '../../workers/edge/src/cache';
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

/** The result of one request through the edge: the response, and its body as text. */
export interface EdgeResult {
  res: Response;
  body: string;
}

/** One request through an edge Worker app, its body read, and all its background work settled. */
async function through(worker: Hono<{ Bindings: Env }>, path: string, init?: RequestInit): Promise<EdgeResult> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://edge.test${path}`, init), env, ctx);
  const body = await res.text();
  await waitOnExecutionContext(ctx);
  return { res, body };
}

/** One request through the edge Worker as deployed (system clock), its body read, and all its background work settled. */
export function edge(path: string, init?: RequestInit): Promise<EdgeResult> {
  return through(app, path, init);
}

/**
 * A clock the test sets: it stands still until the test moves it, so that freshness, age and
 * staleness are decided at exact instants. It starts at the current whole second, so that the
 * origin's `Date` (whole seconds; or scripted with {@link TestClock.httpDate}) adds no apparent
 * age. Purges are stamped by the purge log on real time: tests that purge use {@link edge} (and a
 * purge of everything within the second before a TestClock starts would cover what it stores).
 */
export class TestClock implements Clock {
  private instant = Math.floor(Date.now() / 1000) * 1000;

  now(): number {
    return this.instant;
  }

  /** Moves the clock forward by `ms`. */
  advance(ms: number): void {
    this.instant += ms;
  }

  /** The current instant as an HTTP-date: the `Date` an origin whose clock agrees with the edge's sends. */
  httpDate(): string {
    return new Date(this.instant).toUTCString();
  }
}

/**
 * An edge Worker whose cache reads the time from a {@link TestClock} (everything else, the Cache
 * API and the origin included, is real): `edge` as above, `app` for concurrent requests.
 */
export function edgeWithClock(): {
  clock: TestClock;
  app: Hono<{ Bindings: Env }>;
  edge: (path: string, init?: RequestInit) => Promise<EdgeResult>;
} {
  const clock = new TestClock();
  const worker = edgeApp(clock);
  return { clock, app: worker, edge: (path, init) => through(worker, path, init) };
}

/** The Cache-Status of a response, or '' */
export function cacheStatus(res: Response): string {
  return res.headers.get('cache-status') ?? '';
}

/** A real wait: for what runs on real time (the origin's timeout timer, concurrency, the purge log), never for freshness. */
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
