import { Hono } from 'hono';
import { ApiError } from '@pushpull/http/errors';
import { type FeedEnv, ids, pathId, readJsonObject, requestPageWindow, requireOwner } from './context';
import { firstFanoutStep } from './fanout';
import { inboxInsertFor } from './fanout-plan';
import { linkHeader } from './page-window';
import { authorPosts, findPost, findUser, type PostRow } from './store';

/** `/users/:id/posts` (an author's posts) and `/posts/:id`. */
export const userPosts = new Hono<FeedEnv>();
/** `/posts/:id`: one post and its fan-out status. */
export const posts = new Hono<FeedEnv>();

/** The JSON of a post. Ids are strings: they do not fit in a JS number. */
export function postJson(post: PostRow): Record<string, unknown> {
  return {
    id: post.id,
    author: { id: post.author_id, handle: post.handle },
    body: post.body,
    created_at: new Date(post.created_at).toISOString(),
  };
}

/** A UTF-16 surrogate without its pair: JSON's `\ud800` escapes can spell one, Unicode text cannot hold it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Validates a post body; returns the problem, or undefined. Length counts Unicode code points. */
export function postBodyProblem(body: unknown, maxLength: number): { code: string; message: string } | undefined {
  if (typeof body !== 'string') return { code: 'invalid_post', message: 'body must be a string' };
  // RFC 8259 §8.2: an escaped lone surrogate is not a Unicode string. Stored as UTF-8 it would
  // silently become U+FFFD, so the author would read back something else than they sent.
  const lone = LONE_SURROGATE.exec(body);
  if (lone) {
    const unit = lone[0].charCodeAt(0).toString(16).toUpperCase();
    return { code: 'invalid_post', message: `body holds a lone surrogate (\\u${unit} at index ${lone.index}): not valid Unicode text` };
  }
  if (body.trim().length === 0) return { code: 'empty_post', message: 'body must not be empty' };
  const length = [...body].length;
  if (length > maxLength) {
    return { code: 'post_too_long', message: `body is ${length} characters; the limit is ${maxLength}` };
  }
  return undefined;
}

// Create a post: stored in D1 with its first fan-out step (the outbox row), put into the
// author's own timelines meanwhile (read-after-write), then fanned out to followers through
// the Queue. A kill at any point leaves either no post (an own-timeline entry without its
// post is dropped on read) or the post with a pending step, which the sweep sends again.
userPosts.post('/', requireOwner, async (c) => {
  const settings = c.var.settings;
  const viewer = c.var.viewer;
  const input = await readJsonObject(c, settings.maxBodyBytes);
  const problem = postBodyProblem(input.body, settings.maxPostLength);
  if (problem) throw new ApiError(400, problem.code, problem.message, { limit: settings.maxPostLength });
  const body = input.body as string;
  const now = Date.now();
  const id = ids.next(now);
  const hybrid = viewer.follower_count <= settings.hybridThreshold;
  const step = firstFanoutStep(c.env.DB, settings, 'insert', { id, authorId: viewer.id, hybrid }, viewer.follower_count, now);
  // The author's own post goes into every timeline they keep, whatever its hybrid flag. It
  // runs alongside the D1 commit (one round trip less); the first fan-out step writes it
  // again if this request dies before it lands.
  const inbox = c.env.INBOX.getByName(viewer.id);
  const ownInsert = settled(
    inbox.insert(inboxInsertFor(settings.fanoutModes, [{ postId: id, authorId: viewer.id, hybrid: true }]), settings.timelineCap),
  );
  await c.env.DB.batch([
    c.env.DB.prepare('INSERT INTO posts (id, author_id, body, created_at, hybrid_pushed) VALUES (?, ?, ?, ?, ?)').bind(
      id,
      viewer.id,
      body,
      now,
      hybrid ? 1 : 0,
    ),
    ...step.statements,
  ]);
  if (step.message && !step.doneByRequest) {
    try {
      await c.env.FANOUT_QUEUE.send(step.message);
    } catch (err) {
      // Without its fan-out the post would reach only pull readers: undo it and say so.
      console.error('fan-out enqueue failed, undoing the post', err);
      await c.env.DB.batch([
        c.env.DB.prepare('DELETE FROM posts WHERE id = ?').bind(id),
        c.env.DB.prepare('DELETE FROM fanout_chunks WHERE post_id = ?').bind(id),
      ]);
      await ownInsert;
      await inbox.removePosts([id]);
      throw new ApiError(503, 'fanout_unavailable', 'the fan-out queue is unavailable; the post was not created');
    }
  }
  const own = await ownInsert;
  if (own.status === 'rejected') throw own.reason;
  // No follower to reach: the step was only the author's own insert, which has landed. Closed
  // after the answer; if that is lost, the sweep sends the step and the consumer closes it.
  if (step.doneByRequest) {
    c.executionCtx.waitUntil(
      step.doneByRequest.run().then(
        () => undefined,
        (err: unknown) => {
          console.error('closing an own-timeline step failed; the sweep will send it', err);
        },
      ),
    );
  }
  return c.json(postJson({ id, author_id: viewer.id, handle: viewer.handle, body, created_at: now, hybrid_pushed: hybrid ? 1 : 0 }), 201);
});

/** A promise's outcome, never rejecting (so it may wait while other awaits run). */
function settled<T>(promise: Promise<T>): Promise<PromiseSettledResult<T>> {
  return promise.then(
    (value) => ({ status: 'fulfilled', value }),
    (reason: unknown) => ({ status: 'rejected', reason }),
  );
}

// An author's own posts, newest first, with Mastodon's cursors. Public.
userPosts.get('/', async (c) => {
  const authorId = pathId(c, 'id');
  const window = requestPageWindow(c);
  if (!(await findUser(c.env.DB, authorId))) throw new ApiError(404, 'user_not_found', 'no such user');
  const page = await authorPosts(c.env.DB, authorId, window);
  const link = linkHeader(c.req.url, page.value);
  if (link) c.header('Link', link);
  return c.json(page.value.map(postJson));
});

// Delete a post: gone from every timeline on the next read (reads fill posts in from D1),
// purged from followers' timelines asynchronously through the Queue.
userPosts.delete('/:postId', requireOwner, async (c) => {
  const settings = c.var.settings;
  const viewer = c.var.viewer;
  const postId = pathId(c, 'postId');
  const post = await c.env.DB.prepare('SELECT hybrid_pushed FROM posts WHERE id = ? AND author_id = ?')
    .bind(postId, viewer.id)
    .first<{ hybrid_pushed: number }>();
  if (!post) throw new ApiError(404, 'post_not_found', 'this user has no such post');
  const now = Date.now();
  const step = firstFanoutStep(
    c.env.DB,
    settings,
    'remove',
    { id: postId, authorId: viewer.id, hybrid: post.hybrid_pushed === 1 },
    viewer.follower_count,
    now,
  );
  await c.env.DB.batch([c.env.DB.prepare('DELETE FROM posts WHERE id = ?').bind(postId), ...step.statements]);
  await c.env.INBOX.getByName(viewer.id).removePosts([postId]);
  if (step.message) {
    try {
      await c.env.FANOUT_QUEUE.send(step.message);
    } catch (err) {
      // The post is gone from D1, so reads already filter it out; stale ids are purged on read.
      console.error('purge enqueue failed; timelines will drop the id when read', err);
    }
  }
  return c.body(null, 204);
});

posts.get('/:id', async (c) => {
  const id = pathId(c, 'id');
  const post = await findPost(c.env.DB, id);
  if (!post) throw new ApiError(404, 'post_not_found', 'no such post');
  const steps = await c.env.DB.prepare(
    `SELECT COUNT(*) AS total, SUM(done_at IS NULL) AS pending, MAX(done_at) AS last_done
     FROM fanout_chunks WHERE post_id = ? AND action = 'insert'`,
  )
    .bind(id)
    .first<{ total: number; pending: number | null; last_done: number | null }>();
  const pending = steps?.pending ?? 0;
  return c.json({
    ...postJson(post),
    fanout: {
      hybrid_pushed: post.hybrid_pushed === 1,
      steps: steps?.total ?? 0,
      pending_steps: pending,
      settled: pending === 0,
      settled_after_ms: pending === 0 && steps?.last_done ? steps.last_done - post.created_at : 0,
      push_rows: post.push_rows,
      hybrid_rows: post.hybrid_rows,
    },
  });
});
