import { Hono } from 'hono';
import { requireToken } from '@pushpull/http/auth';
import { ApiError } from '@pushpull/http/errors';
import { deleteLocally } from './cache';
import { normalisedPathPrefix } from './cache-key';
import { cacheSettings } from './settings';
import { purge, purgeKeyOf, type PurgeRequest } from './purge';

/** Most URLs + prefixes + tags one purge request may name. */
const MAX_PURGE_ITEMS = 1000;
/** Longest URL, prefix or tag accepted. */
const MAX_PURGE_ITEM_LENGTH = 2048;
/** The base paths are resolved against (as purgeKeyOf does); only the path and query are kept. */
const PURGE_BASE = 'http://purge.invalid';

/** Checks a purge body and returns it typed, or throws a 400 naming the problem. */
function parsePurgeBody(body: unknown): PurgeRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'invalid_body', 'expected a JSON object {urls?, prefixes?, tags?, everything?}');
  }
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) {
    if (!['urls', 'prefixes', 'tags', 'everything'].includes(k)) throw new ApiError(400, 'invalid_body', `unknown field "${k}"`);
  }
  const list = (name: 'urls' | 'prefixes' | 'tags'): string[] => {
    const v = b[name];
    if (v === undefined) return [];
    if (!Array.isArray(v) || !v.every((s): s is string => typeof s === 'string' && s.length > 0)) {
      throw new ApiError(400, 'invalid_body', `"${name}" must be an array of non-empty strings`);
    }
    for (const s of v) {
      if (s.length > MAX_PURGE_ITEM_LENGTH)
        throw new ApiError(400, 'invalid_body', `an entry of "${name}" is longer than ${MAX_PURGE_ITEM_LENGTH} characters`);
      if (name !== 'tags' && !s.startsWith('/') && !/^https?:\/\//i.test(s)) {
        throw new ApiError(400, 'invalid_body', `"${name}" entries must be absolute URLs or paths starting with "/": ${JSON.stringify(s)}`);
      }
      // Checked here, as the purge and the local deletion parse them later (WHATWG URL: "http://[bad/x" has no valid host).
      if (name !== 'tags' && !URL.canParse(s, PURGE_BASE)) {
        throw new ApiError(400, 'invalid_body', `an entry of "${name}" is not a valid URL: ${JSON.stringify(s)}`);
      }
    }
    return v;
  };
  const urls = list('urls');
  // Prefixes are compared with cache keys: paths as the URL parser writes them, in their normal form.
  const prefixes = list('prefixes').map((p) => normalisedPathPrefix(new URL(p, PURGE_BASE).pathname));
  const tags = list('tags');
  const everything = b.everything === true;
  if (b.everything !== undefined && typeof b.everything !== 'boolean')
    throw new ApiError(400, 'invalid_body', '"everything" must be a boolean');
  if (urls.length + prefixes.length + tags.length > MAX_PURGE_ITEMS) {
    throw new ApiError(413, 'too_many_items', `at most ${MAX_PURGE_ITEMS} urls + prefixes + tags per purge`);
  }
  if (!everything && urls.length + prefixes.length + tags.length === 0) {
    throw new ApiError(400, 'invalid_body', 'nothing to purge: give urls, prefixes, tags or everything: true');
  }
  return { urls, prefixes, tags, everything };
}

/** `/_cache/*`: the edge's own cache API (authenticated). */
export const cacheApi = new Hono<{ Bindings: Env }>();

cacheApi.use('*', requireToken({ secret: (env) => (env as Env).PUSHPULL_TOKEN }));

cacheApi.post('/purge', async (c) => {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new ApiError(400, 'invalid_json', 'the body is not valid JSON');
  }
  const parsed = parsePurgeBody(body);
  const settings = cacheSettings(c.env);
  // URL purges name the cached URL as the cache key does (ignored query parameters removed).
  const request = { ...parsed, urls: (parsed.urls ?? []).map((u) => purgeKeyOf(u, settings.isIgnored)) };
  const snapshot = await purge(c.env, request);
  // This location drops the URLs at once; others follow through the purge log.
  const here = new URL(c.req.url);
  await deleteLocally(
    (parsed.urls ?? []).map((u) => new URL(u, here)),
    settings,
  );
  return c.json({
    purged: {
      urls: request.urls?.length ?? 0,
      prefixes: request.prefixes?.length ?? 0,
      tags: request.tags?.length ?? 0,
      everything: request.everything ?? false,
    },
    version: snapshot.version,
    // Applied on this edge now; elsewhere once KV has propagated the snapshot (up to ~60 s) plus PURGE_POLL_MS.
    propagation: 'immediate on this location; other locations within ~60 s (KV propagation) + PURGE_POLL_MS',
  });
});
