import { Hono } from 'hono';
import { requireToken } from '@pushpull/http/auth';
import { ApiError } from '@pushpull/http/errors';
import { type FeedEnv, ids, readJsonObject } from './context';
import { parseId } from './snowflake';
import { ID_CHUNK, recountStatements } from './store';
import { hashToken } from './tokens';
import { rebuildTimelines } from './fanout';
import { settleWithConcurrency } from '@pushpull/http/concurrency';
import { writtenRows } from './fanout-plan';
import { postBodyProblem } from './posts';
import { handleProblem } from './users';

/**
 * `/admin`: bulk loading for benchmarks and seeding, behind the operator token
 * (`Authorization: Bearer $PUSHPULL_TOKEN`). Bulk follows do not backfill timelines: load the
 * graph before the posts.
 */
export const admin = new Hono<FeedEnv>();

admin.use('*', requireToken({ secret: (env) => (env as Env).PUSHPULL_TOKEN }));

/** Rows per multi-row INSERT, keeping bound parameters under D1's 100. */
const USER_ROWS = 16; // 6 parameters each
const FOLLOW_ROWS = 33; // 3 parameters each
const MIN_TOKEN_LENGTH = 16;
const MAX_TOKEN_LENGTH = 256;

// Bulk load: { users?: [{handle, token}], follows?: [[followerId, followeeId]],
// posts?: [{author, body}] }. All or nothing. Posts are history: stored in D1 (flagged for
// hybrid by the author's follower count as usual) but not fanned out; rebuild the readers'
// timelines with /admin/rebuild to put them in their pushed timelines.
admin.post('/bulk', async (c) => {
  const settings = c.var.settings;
  const body = await readJsonObject(c, settings.bulkMaxBodyBytes);
  const userList = body.users ?? [];
  const followList = body.follows ?? [];
  const postList = body.posts ?? [];
  if (!Array.isArray(userList) || !Array.isArray(followList) || !Array.isArray(postList)) {
    throw new ApiError(400, 'invalid_bulk', 'users, follows and posts must be arrays');
  }
  if (userList.length + followList.length + postList.length > settings.bulkMaxItems) {
    throw new ApiError(400, 'too_many_items', `at most ${settings.bulkMaxItems} users + follows + posts per request`, {
      limit: settings.bulkMaxItems,
    });
  }
  const now = Date.now();
  const newUsers: { id: string; handle: string; tokenHash: string }[] = [];
  const handles = new Set<string>();
  for (const [i, item] of userList.entries()) {
    const u = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    const problem = handleProblem(u.handle, settings.maxHandleLength);
    if (problem) throw new ApiError(400, 'invalid_handle', `users[${i}]: ${problem}`);
    const handle = u.handle as string;
    if (handles.has(handle)) throw new ApiError(400, 'invalid_bulk', `users[${i}]: duplicate handle ${handle}`);
    handles.add(handle);
    if (typeof u.token !== 'string' || u.token.length < MIN_TOKEN_LENGTH || u.token.length > MAX_TOKEN_LENGTH) {
      throw new ApiError(
        400,
        'invalid_token',
        `users[${i}]: token must be a string of ${MIN_TOKEN_LENGTH}..${MAX_TOKEN_LENGTH} characters`,
      );
    }
    newUsers.push({ id: ids.next(now), handle, tokenHash: await hashToken(u.token) });
  }
  const follows: [string, string][] = [];
  const referenced = new Set<string>();
  for (const [i, item] of followList.entries()) {
    const pair = Array.isArray(item) && item.length === 2 ? item.map((v) => parseId(String(v))) : [];
    const [a, b] = pair;
    if (a === undefined || b === undefined) throw new ApiError(400, 'invalid_bulk', `follows[${i}] must be [followerId, followeeId]`);
    if (a === b) throw new ApiError(400, 'self_follow', `follows[${i}]: a user cannot follow themselves`);
    follows.push([a.toString(), b.toString()]);
    referenced.add(a.toString());
    referenced.add(b.toString());
  }
  const posts: { author: string; body: string }[] = [];
  for (const [i, item] of postList.entries()) {
    const p = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    const author = parseId(typeof p.author === 'string' ? p.author : undefined);
    if (author === undefined) throw new ApiError(400, 'invalid_bulk', `posts[${i}].author must be a user id string`);
    const problem = postBodyProblem(p.body, settings.maxPostLength);
    if (problem) throw new ApiError(400, problem.code, `posts[${i}]: ${problem.message}`, { limit: settings.maxPostLength });
    posts.push({ author: author.toString(), body: p.body as string });
    referenced.add(author.toString());
  }
  const refs = [...referenced];
  for (let i = 0; i < refs.length; i += ID_CHUNK) {
    const chunk = refs.slice(i, i + ID_CHUNK);
    const row = await c.env.DB.prepare(`SELECT COUNT(*) AS n FROM users WHERE id IN (${chunk.map(() => '?').join(',')})`)
      .bind(...chunk)
      .first<{ n: number }>();
    if ((row?.n ?? 0) !== chunk.length) throw new ApiError(400, 'user_not_found', 'follows or posts name users that do not exist');
  }
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < newUsers.length; i += USER_ROWS) {
    const rows = newUsers.slice(i, i + USER_ROWS);
    statements.push(
      c.env.DB.prepare(
        `INSERT INTO users (id, handle, token_hash, created_at, last_active_at, follower_count) VALUES ${rows.map(() => '(?, ?, ?, ?, ?, 0)').join(',')}`,
      ).bind(...rows.flatMap((u) => [u.id, u.handle, u.tokenHash, now, now])),
    );
  }
  for (let i = 0; i < follows.length; i += FOLLOW_ROWS) {
    const rows = follows.slice(i, i + FOLLOW_ROWS);
    statements.push(
      c.env.DB.prepare(
        `INSERT OR IGNORE INTO follows (follower_id, followee_id, created_at) VALUES ${rows.map(() => '(?, ?, ?)').join(',')}`,
      ).bind(...rows.flatMap(([a, b]) => [a, b, now])),
    );
  }
  statements.push(...recountStatements(c.env.DB, refs));
  // After the recount, so each post's hybrid flag sees the graph this request loaded.
  for (const p of posts) {
    statements.push(
      c.env.DB.prepare(
        `INSERT INTO posts (id, author_id, body, created_at, hybrid_pushed)
       SELECT ?, id, ?, ?, (follower_count <= ?) FROM users WHERE id = ?`,
      ).bind(ids.next(now), p.body, now, settings.hybridThreshold, p.author),
    );
  }
  try {
    if (statements.length > 0) await c.env.DB.batch(statements);
  } catch (err) {
    if (String(err).includes('UNIQUE')) throw new ApiError(409, 'handle_taken', 'a handle in users is taken');
    throw err;
  }
  return c.json({ users: newUsers.map((u) => ({ id: u.id, handle: u.handle })), follows: follows.length, posts: posts.length }, 201);
});

/** The `users` array of an admin request: 1..`limit` user id strings (400 otherwise). */
function userIdList(body: Record<string, unknown>, limit: number, what: string): string[] {
  const list = body.users;
  if (!Array.isArray(list) || list.length === 0) throw new ApiError(400, 'invalid_bulk', 'users must be a non-empty array of user ids');
  if (list.length > limit) throw new ApiError(400, 'too_many_items', `at most ${limit} users per ${what}`, { limit });
  return list.map((v, i) => {
    const id = parseId(typeof v === 'string' ? v : undefined);
    if (id === undefined) throw new ApiError(400, 'invalid_bulk', `users[${i}] must be a user id string`);
    return id.toString();
  });
}

// Rebuild users' pushed timelines from D1 now: { users: [id, ...] } (at most ADMIN_REBUILD_MAX).
admin.post('/rebuild', async (c) => {
  const settings = c.var.settings;
  const userIds = userIdList(await readJsonObject(c, settings.maxBodyBytes), settings.adminRebuildMax, 'rebuild');
  const results = await settleWithConcurrency(userIds, 10, (id) => rebuildTimelines(c.env, settings, id));
  const failed = results.filter((r) => r.status === 'rejected').length;
  if (failed > 0) throw new Error(`${failed} of ${userIds.length} rebuilds failed`);
  return c.json({ users: userIds.length, written: writtenRows(results) });
});

// The runtime's floor for one fan-out step, for the bench: a no-op call to each named user's
// inbox, { users: [id, ...] } (1..FANOUT_CHUNK), FANOUT_CONCURRENCY in flight: the Durable
// Object calls one `deliver` message makes, without D1, the queue or the SQLite write.
admin.post('/probe', async (c) => {
  const settings = c.var.settings;
  const userIds = userIdList(await readJsonObject(c, settings.maxBodyBytes), settings.fanoutChunk, 'probe');
  const t0 = Date.now();
  const results = await settleWithConcurrency(userIds, settings.fanoutConcurrency, (id) => c.env.INBOX.getByName(id).probe());
  return c.json({ users: userIds.length, failed: results.filter((r) => r.status === 'rejected').length, ms: Date.now() - t0 });
});

// Fan-out backlog: steps not yet done (the bench waits on this).
admin.get('/fanout', async (c) => {
  const row = await c.env.DB.prepare('SELECT COUNT(*) AS n FROM fanout_chunks WHERE done_at IS NULL').first<{ n: number }>();
  return c.json({ pending_steps: row?.n ?? 0 });
});
