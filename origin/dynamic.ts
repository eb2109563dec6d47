/**
 * Dynamic endpoints for demos, tests and benchmarks, mounted under `/api`:
 * `/api/time` (short-lived cacheable JSON), `/api/slow` (a slow origin on demand),
 * `/api/echo` (any method, for pass-through and invalidation demos) and `/api/hits`
 * (how many requests reached the origin per path).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Hono } from 'hono';
import { ApiError } from '@pushpull/http/errors';

/** Longest `/api/slow` delay, in milliseconds. */
export const MAX_SLOW_MS = 30_000;
/** Largest `/api/echo` request body, in bytes. */
export const MAX_ECHO_BYTES = 1024 * 1024;
/** Paths tracked by the hit counter; requests for further new paths are only counted in total. */
export const MAX_TRACKED_PATHS = 10_000;

/** Counts requests per path (bounded), for end-to-end tests that assert origin hits. */
export interface HitCounter {
  record(path: string, status: number): void;
  get(path: string): { requests: number; notModified: number };
  reset(): void;
}

/** Creates a bounded per-path hit counter. */
export function createHitCounter(): HitCounter {
  const counts = new Map<string, { requests: number; notModified: number }>();
  return {
    record(path, status) {
      let entry = counts.get(path);
      if (!entry) {
        if (counts.size >= MAX_TRACKED_PATHS) return;
        entry = { requests: 0, notModified: 0 };
        counts.set(path, entry);
      }
      entry.requests++;
      if (status === 304) entry.notModified++;
    },
    get(path) {
      const entry = counts.get(path);
      return entry ? { ...entry } : { requests: 0, notModified: 0 };
    },
    reset() {
      counts.clear();
    },
  };
}

function json(body: unknown, status: number, cacheControl: string): Response {
  const bytes = new TextEncoder().encode(JSON.stringify(body));
  return new Response(bytes, {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(bytes.byteLength),
      'cache-control': cacheControl,
    },
  });
}

function intParam(value: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value))
    throw new ApiError(400, 'bad_request', `"${name}" must be a whole number from ${min} to ${max}`, { param: name });
  const n = Number(value);
  if (n < min || n > max)
    throw new ApiError(400, 'bad_request', `"${name}" must be from ${min} to ${max}, got ${value}`, { param: name, max });
  return n;
}

/** 405 with the `Allow` field RFC 9110 §15.5.6 requires, and a JSON body naming the problem. */
export function methodNotAllowed(method: string, what: string, allow: string): Response {
  const res = json({ error: 'method_not_allowed', message: `${method} is not allowed on ${what}; allowed: ${allow}` }, 405, 'no-store');
  res.headers.set('allow', allow);
  return res;
}

/** The `/api` sub-app. */
export function dynamicRoutes(hits: HitCounter): Hono {
  const api = new Hono();

  // RFC 5861: fresh for 5 s, then served stale while revalidating for 30 s, or for 300 s on errors.
  api.get('/time', () => {
    const now = Date.now();
    return json(
      { now: new Date(now).toISOString(), epochMs: now },
      200,
      'public, max-age=5, stale-while-revalidate=30, stale-if-error=300',
    );
  });

  api.get('/slow', async (c) => {
    const ms = intParam(c.req.query('ms'), 'ms', 0, MAX_SLOW_MS, 1000);
    const maxAge = intParam(c.req.query('maxAge'), 'maxAge', 0, 31_536_000, 60);
    const started = Date.now();
    try {
      await sleep(ms, undefined, { signal: c.req.raw.signal });
    } catch {
      // The client went away: nobody reads the answer.
      return json({ error: 'aborted', message: 'the client closed the connection' }, 499, 'no-store');
    }
    return json({ sleptMs: Date.now() - started, requestedMs: ms, at: new Date().toISOString() }, 200, `public, max-age=${maxAge}`);
  });

  api.all('/echo', async (c) => {
    const declared = c.req.header('content-length');
    if (declared !== undefined && Number(declared) > MAX_ECHO_BYTES) {
      throw new ApiError(413, 'payload_too_large', `the body may be at most ${MAX_ECHO_BYTES} bytes`, { limit: MAX_ECHO_BYTES });
    }
    let bodyBytes = 0;
    if (c.req.raw.body) {
      for await (const chunk of c.req.raw.body) {
        bodyBytes += chunk.byteLength;
        if (bodyBytes > MAX_ECHO_BYTES) {
          throw new ApiError(413, 'payload_too_large', `the body may be at most ${MAX_ECHO_BYTES} bytes`, { limit: MAX_ECHO_BYTES });
        }
      }
    }
    const url = new URL(c.req.url);
    return json({ method: c.req.method, path: url.pathname, query: url.search, headers: c.req.header(), bodyBytes }, 200, 'no-store');
  });

  api.get('/hits', (c) => {
    const path = c.req.query('path');
    if (path === undefined || !path.startsWith('/')) {
      throw new ApiError(400, 'bad_request', '"path" is required and must start with "/"', { param: 'path' });
    }
    return json({ path, ...hits.get(path) }, 200, 'no-store');
  });

  api.post('/hits/reset', () => {
    hits.reset();
    return json({ reset: true }, 200, 'no-store');
  });

  // Known paths answer other methods with 405 and Allow (HEAD is served wherever GET is).
  for (const [path, allow] of [
    ['/time', 'GET, HEAD'],
    ['/slow', 'GET, HEAD'],
    ['/hits', 'GET, HEAD'],
    ['/hits/reset', 'POST'],
  ] as const) {
    api.all(path, (c) => methodNotAllowed(c.req.method, `/api${path}`, allow));
  }

  api.all('*', (c) => {
    throw new ApiError(404, 'not_found', `no API endpoint ${c.req.method} ${c.req.path}`);
  });

  return api;
}
