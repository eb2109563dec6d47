import { ApiError } from '@pushpull/http/errors';
import { parseId } from './snowflake';

/**
 * Mastodon's pagination (docs.joinmastodon.org/api/guidelines/#pagination): `max_id` pages
 * to older items, `since_id` returns the newest items newer than it, `min_id` returns the
 * items immediately newer than it. When `min_id` is present `since_id` is ignored, as in
 * Mastodon's `paginate_by_id`. Results are always newest first.
 */
export interface PageWindow {
  /** Exclusive lower bound (min_id or since_id). */
  after?: bigint;
  /** Exclusive upper bound (max_id). */
  before?: bigint;
  /** True for min_id: take the `limit` oldest items above `after`. */
  ascending: boolean;
  limit: number;
}

/** The page-size limits a caller enforces (wrangler vars PAGE_LIMIT_DEFAULT / PAGE_LIMIT_MAX). */
export interface PageLimits {
  defaultLimit: number;
  maxLimit: number;
}

/** Parses `limit`, `max_id`, `since_id`, `min_id`; throws a 400 ApiError naming the bad one. */
export function parsePageWindow(params: URLSearchParams, limits: PageLimits): PageWindow {
  const cursor = (name: string): bigint | undefined => {
    const raw = params.get(name);
    if (raw === null || raw === '') return undefined;
    const id = parseId(raw);
    if (id === undefined) {
      throw new ApiError(400, 'invalid_cursor', `${name} must be a decimal id between 1 and 2^63-1`, { param: name });
    }
    return id;
  };
  let limit = limits.defaultLimit;
  const rawLimit = params.get('limit');
  if (rawLimit !== null && rawLimit !== '') {
    if (!/^[0-9]{1,6}$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > limits.maxLimit) {
      throw new ApiError(400, 'invalid_limit', `limit must be an integer from 1 to ${limits.maxLimit}`, {
        param: 'limit',
        max: limits.maxLimit,
      });
    }
    limit = Number(rawLimit);
  }
  const before = cursor('max_id');
  const since = cursor('since_id');
  const min = cursor('min_id');
  if (min !== undefined) return { after: min, before, ascending: true, limit };
  return { after: since, before, ascending: false, limit };
}

/** An item with a time-ordered id. */
export interface HasId {
  id: string;
}

/**
 * Merges candidate lists (each may be in any order, may overlap) into the page the window
 * selects: deduplicated by id, newest first.
 */
export function mergePage<T extends HasId>(window: PageWindow, ...lists: readonly T[][]): T[] {
  const byId = new Map<string, { key: bigint; item: T }>();
  for (const list of lists) {
    for (const item of list) {
      const key = BigInt(item.id);
      if (window.after !== undefined && key <= window.after) continue;
      if (window.before !== undefined && key >= window.before) continue;
      if (!byId.has(item.id)) byId.set(item.id, { key, item });
    }
  }
  const sorted = [...byId.values()].sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
  const page = window.ascending ? sorted.slice(Math.max(0, sorted.length - window.limit)) : sorted.slice(0, window.limit);
  return page.map((entry) => entry.item);
}

/**
 * The `Link` header Mastodon sends: `next` pages to older items (max_id = oldest id shown),
 * `prev` to newer ones (min_id = newest id shown). No header for an empty page.
 */
export function linkHeader(requestUrl: string, page: readonly HasId[]): string | undefined {
  if (page.length === 0) return undefined;
  const newest = page[0].id;
  const oldest = page[page.length - 1].id;
  const make = (param: 'max_id' | 'min_id', id: string): string => {
    const url = new URL(requestUrl);
    for (const name of ['max_id', 'min_id', 'since_id']) url.searchParams.delete(name);
    url.searchParams.set(param, id);
    return url.toString();
  };
  return `<${make('max_id', oldest)}>; rel="next", <${make('min_id', newest)}>; rel="prev"`;
}
