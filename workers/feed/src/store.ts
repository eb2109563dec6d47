import type { PageWindow } from './page-window';
import { MAX_ID } from './snowflake';

/**
 * D1 queries over the feed's source of truth (migrations/0001_init.sql). Ids are bound as
 * decimal strings (INTEGER column affinity turns them back into integers) and read back with
 * CAST(... AS TEXT): D1 returns INTEGER columns as JS numbers, which cannot hold 64-bit ids.
 * No statement binds more than 100 parameters (the D1 limit): id lists go in chunks of
 * {@link ID_CHUNK}, and follow lists are joined in SQL rather than bound.
 */

/** Ids bound per `IN (...)` list, under D1's 100 bound parameters per statement. */
export const ID_CHUNK = 90;

/** A user row as the API needs it. */
export interface UserRow {
  id: string;
  handle: string;
  created_at: number;
  last_active_at: number;
  follower_count: number;
  following_count: number;
}

/** A post with its author's handle, as timelines return it. */
export interface PostRow {
  id: string;
  author_id: string;
  handle: string;
  body: string;
  created_at: number;
  hybrid_pushed: number;
}

const USER_COLUMNS = `CAST(id AS TEXT) AS id, handle, created_at, last_active_at, follower_count, following_count`;
const POST_COLUMNS = `CAST(p.id AS TEXT) AS id, CAST(p.author_id AS TEXT) AS author_id, u.handle AS handle,
  p.body AS body, p.created_at AS created_at, p.hybrid_pushed AS hybrid_pushed`;

/** A result and the rows D1 reports it read (for the X-Feed-Rows-Read header and the bench). */
export interface Counted<T> {
  value: T;
  rowsRead: number;
}

/** Finds a user by id. */
export async function findUser(db: D1Database, id: string): Promise<UserRow | null> {
  return db.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`).bind(id).first<UserRow>();
}

/** A post with its fan-out counters (`GET /posts/:id`). */
export type PostWithCounts = PostRow & { push_rows: number; hybrid_rows: number };

/** Finds a post by id, with its author's handle and fan-out counters. */
export async function findPost(db: D1Database, id: string): Promise<PostWithCounts | null> {
  return db
    .prepare(
      `SELECT ${POST_COLUMNS}, p.push_rows AS push_rows, p.hybrid_rows AS hybrid_rows
     FROM posts p JOIN users u ON u.id = p.author_id WHERE p.id = ?`,
    )
    .bind(id)
    .first<PostWithCounts>();
}

/** Finds the user owning a token hash. */
export async function findUserByTokenHash(db: D1Database, tokenHash: string): Promise<UserRow | null> {
  return db.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE token_hash = ?`).bind(tokenHash).first<UserRow>();
}

/** Whether `followerId` follows `followeeId`. */
export async function isFollowing(db: D1Database, followerId: string, followeeId: string): Promise<boolean> {
  const row = await db.prepare('SELECT 1 AS x FROM follows WHERE follower_id = ? AND followee_id = ?').bind(followerId, followeeId).first();
  return row !== null;
}

/** Statements that recompute users' follower and following counts from `follows` ({@link ID_CHUNK} users each). */
export function recountStatements(db: D1Database, userIds: readonly string[]): D1PreparedStatement[] {
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < userIds.length; i += ID_CHUNK) {
    const chunk = userIds.slice(i, i + ID_CHUNK);
    statements.push(
      db
        .prepare(
          `UPDATE users SET
         follower_count = (SELECT COUNT(*) FROM follows WHERE followee_id = users.id),
         following_count = (SELECT COUNT(*) FROM follows WHERE follower_id = users.id)
       WHERE id IN (${chunk.map(() => '?').join(',')})`,
        )
        .bind(...chunk),
    );
  }
  return statements;
}

/** The newest `limit` posts of one author inside the window (the author's own posts list). */
export async function authorPosts(db: D1Database, authorId: string, window: PageWindow): Promise<Counted<PostRow[]>> {
  const result = await db
    .prepare(
      `SELECT ${POST_COLUMNS} FROM posts p JOIN users u ON u.id = p.author_id
     WHERE p.author_id = ? AND p.id > ? AND p.id < ?
     ORDER BY p.id ${window.ascending ? 'ASC' : 'DESC'} LIMIT ?`,
    )
    .bind(authorId, bound(window.after, 0n), bound(window.before, MAX_ID), window.limit)
    .all<PostRow>();
  return { value: newestFirst(result.results, window), rowsRead: result.meta.rows_read };
}

/**
 * Fan-out on read: the page of posts by everyone `userId` follows, plus their own, merged
 * in SQL. The follow list is a subquery, so a user following thousands binds 4 parameters;
 * each followee contributes at most `limit` rows (a correlated `LIMIT` on the
 * `(author_id, id)` index), so a page reads O(followees + followees' rows in the page),
 * never an author's whole history. With `unpushedOnly`, only posts not fanned out to hybrid
 * timelines (hybrid reads).
 */
export async function followedPosts(
  db: D1Database,
  userId: string,
  window: PageWindow,
  unpushedOnly: boolean,
): Promise<Counted<PostRow[]>> {
  const order = window.ascending ? 'ASC' : 'DESC';
  const result = await db
    .prepare(
      `SELECT ${POST_COLUMNS}
     FROM (SELECT followee_id AS id FROM follows WHERE follower_id = ?1 UNION SELECT ?1) AS fe
     JOIN posts p ON p.id IN (
       SELECT q.id FROM posts q
       WHERE q.author_id = fe.id ${unpushedOnly ? 'AND q.hybrid_pushed = 0' : ''} AND q.id > ?2 AND q.id < ?3
       ORDER BY q.id ${order} LIMIT ?4)
     JOIN users u ON u.id = p.author_id
     ORDER BY p.id ${order} LIMIT ?4`,
    )
    .bind(userId, bound(window.after, 0n), bound(window.before, MAX_ID), window.limit)
    .all<PostRow>();
  return { value: newestFirst(result.results, window), rowsRead: result.meta.rows_read };
}

/** A filled-in post and whether the reader follows (or is) its author right now. */
export type FilledPost = PostRow & { followed: number };

/**
 * Fills post ids in from D1 for `readerId`; ids of deleted posts are absent from the result.
 * `followed` lets the reader drop entries of authors unfollowed since they were pushed.
 */
export async function postsByIds(db: D1Database, readerId: string, ids: string[]): Promise<Counted<Map<string, FilledPost>>> {
  const found = new Map<string, FilledPost>();
  let rowsRead = 0;
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    const chunk = ids.slice(i, i + ID_CHUNK);
    const result = await db
      .prepare(
        `SELECT ${POST_COLUMNS}, (p.author_id = ?1 OR EXISTS (SELECT 1 FROM follows f
         WHERE f.follower_id = ?1 AND f.followee_id = p.author_id)) AS followed
       FROM posts p JOIN users u ON u.id = p.author_id
       WHERE p.id IN (${chunk.map((_, j) => `?${j + 2}`).join(',')})`,
      )
      .bind(readerId, ...chunk)
      .all<FilledPost>();
    rowsRead += result.meta.rows_read;
    for (const row of result.results) found.set(row.id, row);
  }
  return { value: found, rowsRead };
}

/**
 * The newest `limit` posts to (re)build a pushed timeline from: followees' posts (for the
 * hybrid timeline only those fanned out to it) and the user's own posts.
 */
export async function timelineSeed(
  db: D1Database,
  userId: string,
  limit: number,
  hybrid: boolean,
): Promise<{ id: string; author_id: string }[]> {
  const result = await db
    .prepare(
      `SELECT CAST(p.id AS TEXT) AS id, CAST(p.author_id AS TEXT) AS author_id FROM posts p
     WHERE (p.author_id IN (SELECT followee_id FROM follows WHERE follower_id = ?1)
            ${hybrid ? 'AND p.hybrid_pushed = 1' : ''})
        OR p.author_id = ?1
     ORDER BY p.id DESC LIMIT ?2`,
    )
    .bind(userId, limit)
    .all<{ id: string; author_id: string }>();
  return result.results;
}

/** The newest `limit` posts of an author, for a follow backfill. */
export async function recentPostsOf(db: D1Database, authorId: string, limit: number): Promise<{ id: string; hybrid_pushed: number }[]> {
  if (limit === 0) return [];
  const result = await db
    .prepare(`SELECT CAST(id AS TEXT) AS id, hybrid_pushed FROM posts WHERE author_id = ? ORDER BY id DESC LIMIT ?`)
    .bind(authorId, limit)
    .all<{ id: string; hybrid_pushed: number }>();
  return result.results;
}

function bound(value: bigint | undefined, fallback: bigint): string {
  return (value ?? fallback).toString();
}

function newestFirst<T>(rows: T[], window: PageWindow): T[] {
  return window.ascending ? rows.reverse() : rows;
}
