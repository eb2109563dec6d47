import { Hono } from 'hono';
import { ApiError } from '@pushpull/http/errors';
import { authenticateOwner, type FeedContext, type FeedEnv, pathId, requestPageWindow } from './context';
import type { InboxPage } from './inbox';
import type { RebuildMessage } from './messages';
import { linkHeader, mergePage, type PageWindow } from './page-window';
import { postJson } from './posts';
import { type PushedMode, parseMode, type TimelineMode } from './settings';
import { type Counted, followedPosts, type PostRow, postsByIds } from './store';

/** `/users/:id/timeline`: the home timeline in push, pull or hybrid mode. */
export const timeline = new Hono<FeedEnv>();

/** Inbox pages read per request when deleted posts leave a page short. */
const MAX_FILL_ROUNDS = 3;
/** A rebuild still pending after this long is enqueued again (its first message may be lost). */
const REBUILD_RETRY_MS = 60_000;
/** Extra ids asked of the inbox per round, so a few deleted posts do not cost a second round. */
const FILL_SLACK = 5;

/** A timeline page and how it was produced. */
interface TimelinePage {
  posts: PostRow[];
  rowsRead: number;
  /** True when a returning user's pushed timeline is still being rebuilt (answered 206). */
  rebuilding: boolean;
  /** True when the inbox could not be read and the page was merged from D1 instead (pull). */
  fallback?: boolean;
}

/** Reads that do not depend on who asks, started while the token is being checked. */
interface Prefetch {
  inbox?: Promise<InboxPage>;
  /** The pull page (pull reads). */
  pull?: Promise<Counted<PostRow[]>>;
  /** Posts not fanned out to hybrid timelines (hybrid reads). */
  unpushed?: Promise<Counted<PostRow[]>>;
}

timeline.get('/', async (c) => {
  const settings = c.var.settings;
  const userId = pathId(c, 'id');
  // Validate first but report after authentication, so a stranger learns nothing but 401/403.
  let parsed: { mode: TimelineMode; window: PageWindow } | ApiError;
  try {
    const mode = parseMode(c.req.query('mode') ?? 'hybrid');
    if (!mode) throw new ApiError(400, 'invalid_mode', 'mode must be push, pull or hybrid', { param: 'mode' });
    if (mode !== 'pull' && !settings.fanoutModes.includes(mode)) {
      throw new ApiError(409, 'mode_disabled', `mode ${mode} is not maintained here (FANOUT_MODES)`, { mode });
    }
    parsed = { mode, window: requestPageWindow(c) };
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    parsed = err;
  }
  // The first inbox page and the D1 merge only read, and only `userId`'s data: start them
  // alongside the token check (one round trip less) and drop them if the check fails.
  const prefetch: Prefetch = {};
  if (!(parsed instanceof ApiError)) {
    const { mode, window } = parsed;
    if (mode !== 'pull')
      prefetch.inbox = handled(c.env.INBOX.getByName(userId).page(mode, { ...window, limit: window.limit + FILL_SLACK }));
    if (mode === 'pull') prefetch.pull = handled(followedPosts(c.env.DB, userId, window, false));
    if (mode === 'hybrid') prefetch.unpushed = handled(followedPosts(c.env.DB, userId, window, true));
  }
  const owner = await authenticateOwner(c);
  if (parsed instanceof ApiError) throw parsed;
  const { mode, window } = parsed;
  const page = owner.returning
    ? { ...(await readPull(c, window, 0, prefetch.pull)), rebuilding: true }
    : await readTimeline(c, mode, window, prefetch);
  const link = linkHeader(c.req.url, page.posts);
  if (link) c.header('Link', link);
  c.header('X-Feed-Mode', mode);
  c.header('X-Feed-Rows-Read', String(page.rowsRead));
  c.header('Cache-Control', 'private, no-store');
  // Mastodon answers 206 Partial Content while a returning user's home feed regenerates.
  if (page.rebuilding) c.header('X-Feed-Rebuilding', 'true');
  if (page.fallback) c.header('X-Feed-Fallback', 'pull');
  return c.json(page.posts.map(postJson), page.rebuilding ? 206 : 200);
});

/** Marks a promise's rejection as handled (it is still awaited, or deliberately dropped). */
function handled<T>(promise: Promise<T>): Promise<T> {
  void promise.catch(() => undefined);
  return promise;
}

async function readTimeline(c: FeedContext, mode: TimelineMode, window: PageWindow, prefetch: Prefetch): Promise<TimelinePage> {
  const userId = c.var.viewer.id;
  if (mode === 'pull') return readPull(c, window, 0, prefetch.pull);
  let pushed: TimelinePage;
  try {
    pushed = await readPushed(c, mode, window, prefetch.inbox);
  } catch (err) {
    // The inbox object failed (overloaded, reset, or locally out of open files): answer from D1
    // rather than with a 500, and say so. The page is the pull timeline: the same posts once
    // fan-out has settled, except history kept by keep_history unfollows and the TIMELINE_CAP.
    console.warn(`timeline: inbox of user ${userId} unavailable, answering from D1 (pull)`, err);
    return { ...(await readPull(c, window, 0)), fallback: true };
  }
  // While the inbox is rebuilt, a correct page comes from D1 (pull), answered with 206.
  if (pushed.rebuilding) return { ...(await readPull(c, window, pushed.rowsRead)), rebuilding: true };
  if (mode === 'push') return pushed;
  // Hybrid: posts of authors over HYBRID_THRESHOLD were not fanned out; merge them in now.
  const unpushed = await (prefetch.unpushed ?? followedPosts(c.env.DB, userId, window, true));
  return {
    posts: mergePage(window, pushed.posts, unpushed.value),
    rowsRead: pushed.rowsRead + unpushed.rowsRead,
    rebuilding: false,
  };
}

/** The page merged from D1 (fan-out on read), from `prefetched` when a pull read already started it. */
async function readPull(
  c: FeedContext,
  window: PageWindow,
  rowsSoFar: number,
  prefetched?: Promise<Counted<PostRow[]>>,
): Promise<TimelinePage> {
  const merged = await (prefetched ?? followedPosts(c.env.DB, c.var.viewer.id, window, false));
  return { posts: merged.value, rowsRead: rowsSoFar + merged.rowsRead, rebuilding: false };
}

/**
 * Reads post ids from the user's inbox and fills them in from D1 (Bluesky-style hydration).
 * Ids whose post is gone (deleted) or whose author is no longer followed are dropped from
 * the page and purged from the inbox in the background.
 */
async function readPushed(
  c: FeedContext,
  mode: PushedMode,
  window: PageWindow,
  firstPage: Promise<InboxPage> | undefined,
): Promise<TimelinePage> {
  const inbox = c.env.INBOX.getByName(c.var.viewer.id);
  const found: PostRow[] = [];
  const missing: string[] = [];
  let rowsRead = 0;
  let round: PageWindow = window;
  for (let i = 0; i < MAX_FILL_ROUNDS; i++) {
    const asked = window.limit - found.length + FILL_SLACK;
    const page = i === 0 && firstPage ? await firstPage : await inbox.page(mode, { ...round, limit: asked });
    rowsRead += page.rowsRead;
    if (page.rebuilding) {
      if (Date.now() - page.rebuildingSince > REBUILD_RETRY_MS) {
        const retry: RebuildMessage = { kind: 'rebuild', userId: c.var.viewer.id };
        c.executionCtx.waitUntil(inbox.markRebuilding().then(() => c.env.FANOUT_QUEUE.send(retry)));
      }
      return { posts: [], rowsRead, rebuilding: true };
    }
    const ids = page.entries.map((e) => e.postId);
    const filled = await postsByIds(c.env.DB, c.var.viewer.id, ids);
    rowsRead += filled.rowsRead;
    for (const entry of page.entries) {
      const post = filled.value.get(entry.postId);
      // Gone (deleted), or by an author unfollowed after a delivery already in flight wrote
      // it (unless the unfollow kept history): drop it here, purge it below.
      if (post && (post.followed === 1 || entry.kept === true)) found.push(post);
      else missing.push(entry.postId);
    }
    if (found.length >= window.limit || page.entries.length < asked) break;
    // Continue past what this round saw, in the window's direction.
    const edge = BigInt(window.ascending ? ids[0] : ids[ids.length - 1]);
    round = window.ascending ? { ...round, after: edge } : { ...round, before: edge };
  }
  if (missing.length > 0) c.executionCtx.waitUntil(inbox.removePosts(missing).then(() => undefined));
  return { posts: mergePage(window, found), rowsRead, rebuilding: false };
}
