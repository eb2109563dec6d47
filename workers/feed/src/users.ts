import { Hono } from 'hono';
import { ApiError } from '@pushpull/http/errors';
import { type FeedEnv, ids, pathId, readJsonObject, requireOwner } from './context';
import { inboxInsertFor } from './fanout-plan';
import { findUser, isFollowing, recentPostsOf, recountStatements, type UserRow } from './store';
import { hashToken, newToken } from './tokens';

/** `/users`: accounts and the follow graph. */
export const users = new Hono<FeedEnv>();

/** The public view of a user. */
export function userJson(user: UserRow): Record<string, unknown> {
  return {
    id: user.id,
    handle: user.handle,
    created_at: new Date(user.created_at).toISOString(),
    follower_count: user.follower_count,
    following_count: user.following_count,
  };
}

/** Validates a handle: 1..MAX_HANDLE_LENGTH of [a-z0-9_]. Returns the problem, or undefined. */
export function handleProblem(handle: unknown, maxLength: number): string | undefined {
  if (typeof handle !== 'string') return 'handle must be a string';
  if (!/^[a-z0-9_]+$/.test(handle)) return 'handle must be 1 or more of a-z, 0-9 and _';
  if (handle.length > maxLength) return `handle must be at most ${maxLength} characters`;
  return undefined;
}

// Create a user; the token is shown once, only its SHA-256 is stored.
users.post('/', async (c) => {
  const settings = c.var.settings;
  const body = await readJsonObject(c, settings.maxBodyBytes);
  const problem = handleProblem(body.handle, settings.maxHandleLength);
  if (problem) throw new ApiError(400, 'invalid_handle', problem, { limit: settings.maxHandleLength });
  const handle = body.handle as string;
  const token = newToken();
  const now = Date.now();
  const id = ids.next(now);
  try {
    await c.env.DB.prepare('INSERT INTO users (id, handle, token_hash, created_at, last_active_at) VALUES (?, ?, ?, ?, ?)')
      .bind(id, handle, await hashToken(token), now, now)
      .run();
  } catch (err) {
    if (String(err).includes('UNIQUE') && String(err).includes('handle')) {
      throw new ApiError(409, 'handle_taken', `the handle ${handle} is taken`);
    }
    throw err;
  }
  const user = await findUser(c.env.DB, id);
  if (!user) throw new Error('user vanished after insert');
  return c.json({ ...userJson(user), token }, 201);
});

users.get('/:id', async (c) => {
  const user = await findUser(c.env.DB, pathId(c, 'id'));
  if (!user) throw new ApiError(404, 'user_not_found', 'no such user');
  return c.json(userJson(user));
});

// Follow: copies up to FOLLOW_BACKFILL recent posts of the followee into the follower's
// pushed timelines before answering, so the next read already shows them.
users.put('/:id/following/:target', requireOwner, async (c) => {
  const settings = c.var.settings;
  const viewer = c.var.viewer;
  const target = pathId(c, 'target');
  if (target === viewer.id) throw new ApiError(400, 'self_follow', 'a user cannot follow themselves');
  const followee = await findUser(c.env.DB, target);
  if (!followee) throw new ApiError(404, 'user_not_found', 'the user to follow does not exist');
  if (await isFollowing(c.env.DB, viewer.id, target)) {
    throw new ApiError(409, 'already_following', `already following ${followee.handle}`);
  }
  try {
    await c.env.DB.batch([
      c.env.DB.prepare('INSERT INTO follows (follower_id, followee_id, created_at) VALUES (?, ?, ?)').bind(viewer.id, target, Date.now()),
      ...recountStatements(c.env.DB, [viewer.id, target]),
    ]);
  } catch (err) {
    if (String(err).includes('UNIQUE')) throw new ApiError(409, 'already_following', `already following ${followee.handle}`);
    throw err;
  }
  const recent = await recentPostsOf(c.env.DB, target, settings.followBackfill);
  if (recent.length > 0) {
    const entries = inboxInsertFor(
      settings.fanoutModes,
      recent.map((p) => ({ postId: p.id, authorId: target, hybrid: p.hybrid_pushed === 1 })),
    );
    await c.env.INBOX.getByName(viewer.id).insert(entries, settings.timelineCap);
  }
  return c.json({ follower_id: viewer.id, followee_id: target, backfilled: recent.length }, 201);
});

// Unfollow: removes the author's posts from the pushed timelines unless keep_history=true
// (GetStream's keep_history); done before answering so the next read no longer shows them.
users.delete('/:id/following/:target', requireOwner, async (c) => {
  const viewer = c.var.viewer;
  const target = pathId(c, 'target');
  const keepRaw = c.req.query('keep_history');
  if (keepRaw !== undefined && keepRaw !== 'true' && keepRaw !== 'false') {
    throw new ApiError(400, 'invalid_parameter', 'keep_history must be true or false', { param: 'keep_history' });
  }
  if (!(await isFollowing(c.env.DB, viewer.id, target))) {
    throw new ApiError(404, 'not_following', 'this user does not follow that user');
  }
  await c.env.DB.batch([
    c.env.DB.prepare('DELETE FROM follows WHERE follower_id = ? AND followee_id = ?').bind(viewer.id, target),
    ...recountStatements(c.env.DB, [viewer.id, target]),
  ]);
  const inbox = c.env.INBOX.getByName(viewer.id);
  if (keepRaw === 'true') {
    const kept = await inbox.keepAuthor(target);
    return c.json({ follower_id: viewer.id, followee_id: target, removed_entries: 0, kept_entries: kept });
  }
  const removed = await inbox.removeAuthor(target);
  return c.json({ follower_id: viewer.id, followee_id: target, removed_entries: removed, kept_entries: 0 });
});
