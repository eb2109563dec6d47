import { activeSince } from './context';
import { settleWithConcurrency } from '@pushpull/http/concurrency';
import { inboxInsertFor, planFollowerRanges, timelinesFor, writtenRows } from './fanout-plan';
import type { InboxInsert, InboxWriteCounts } from './inbox';
import { type DeliverMessage, type FanoutAction, type FanoutMessage, parseFanoutMessage, type PlanMessage } from './messages';
import { type FeedSettings, readSettings } from './settings';
import { MAX_ID } from './snowflake';
import { timelineSeed } from './store';

/** Followers read per query when planning a fan-out. */
const PLAN_PAGE = 5000;
/** Messages per `sendBatch` (the Queues limit is 100). */
const SEND_BATCH = 100;

/**
 * The Queue consumer. Each message is acked or retried on its own, so one failing message
 * does not redeliver the others; a retried message repeats only idempotent writes.
 */
export async function consumeFanoutBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const settings = readSettings(env as unknown as Record<string, unknown>);
  await Promise.all(
    batch.messages.map(async (message) => {
      const parsed = parseFanoutMessage(message.body);
      if (!parsed) {
        console.warn('fan-out: dropping a malformed message', JSON.stringify(message.body));
        message.ack();
        return;
      }
      try {
        await processFanoutMessage(env, settings, parsed, Date.now());
        message.ack();
      } catch (err) {
        console.error(`fan-out: ${parsed.kind} failed (attempt ${message.attempts}), retrying`, err);
        message.retry();
      }
    }),
  );
}

/** Processes one fan-out message. */
async function processFanoutMessage(env: Env, settings: FeedSettings, message: FanoutMessage, nowMs: number): Promise<void> {
  switch (message.kind) {
    case 'plan':
      return planFanout(env, settings, message, nowMs);
    case 'deliver':
      return deliver(env, settings, message, nowMs);
    case 'rebuild':
      await rebuildTimelines(env, settings, message.userId);
      return;
  }
}

/** The first step of a post's fan-out: the rows to commit with it and the message to send after. */
export interface FirstFanoutStep {
  statements: D1PreparedStatement[];
  message: FanoutMessage | undefined;
}

/**
 * Decides how a post is delivered. An author with at most FANOUT_CHUNK followers gets one
 * `deliver` message; a larger audience is split into ranges by a `plan` message. The caller
 * commits `statements` together with the post and sends `message` only after that commit,
 * so a consumer never sees a message whose post or step row does not exist yet.
 */
export function firstFanoutStep(
  db: D1Database,
  settings: FeedSettings,
  action: FanoutAction,
  post: { id: string; authorId: string; hybrid: boolean },
  followerCount: number,
  nowMs: number,
): FirstFanoutStep {
  // Nothing to deliver when no maintained timeline takes this post (e.g. FANOUT_MODES=hybrid
  // and an author over HYBRID_THRESHOLD): hybrid reads merge it in from D1.
  if (followerCount === 0 || timelinesFor(settings.fanoutModes, post.hybrid).length === 0) {
    return { statements: [], message: undefined };
  }
  const common = { action, postId: post.id, authorId: post.authorId, hybrid: post.hybrid };
  const stage = followerCount <= settings.fanoutChunk ? 'deliver' : 'plan';
  const message: FanoutMessage =
    stage === 'deliver' ? { kind: 'deliver', ...common, after: '0', through: MAX_ID.toString() } : { kind: 'plan', ...common };
  return { statements: [chunkRow(db, post.id, action, stage, '0', MAX_ID.toString(), nowMs)], message };
}

/** The `fanout_chunks` row recording one pending step. */
function chunkRow(
  db: D1Database,
  postId: string,
  action: FanoutAction,
  stage: 'plan' | 'deliver',
  after: string,
  through: string,
  nowMs: number,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT OR IGNORE INTO fanout_chunks (post_id, action, stage, after_follower, through_follower, created_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
    )
    .bind(postId, action, stage, after, through, nowMs);
}

function markDone(
  db: D1Database,
  postId: string,
  action: FanoutAction,
  stage: 'plan' | 'deliver',
  after: string,
  nowMs: number,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE fanout_chunks SET done_at = ? WHERE post_id = ? AND action = ? AND stage = ? AND after_follower = ? AND done_at IS NULL`,
    )
    .bind(nowMs, postId, action, stage, after);
}

async function planFanout(env: Env, settings: FeedSettings, message: PlanMessage, nowMs: number): Promise<void> {
  const followers: string[] = [];
  let after = '0';
  for (;;) {
    const page = await env.DB.prepare(
      `SELECT CAST(follower_id AS TEXT) AS id FROM follows WHERE followee_id = ? AND follower_id > ?
       ORDER BY follower_id LIMIT ?`,
    )
      .bind(message.authorId, after, PLAN_PAGE)
      .all<{ id: string }>();
    for (const row of page.results) followers.push(row.id);
    if (page.results.length < PLAN_PAGE) break;
    after = page.results[page.results.length - 1].id;
  }
  const ranges = planFollowerRanges(followers, settings.fanoutChunk);
  // Rows first, so the post counts as unsettled before any delivery can finish.
  if (ranges.length > 0) {
    await env.DB.batch(ranges.map((r) => chunkRow(env.DB, message.postId, message.action, 'deliver', r.after, r.through, nowMs)));
  }
  const deliveries = ranges.map((r): MessageSendRequest<DeliverMessage> => ({
    body: {
      kind: 'deliver',
      action: message.action,
      postId: message.postId,
      authorId: message.authorId,
      hybrid: message.hybrid,
      after: r.after,
      through: r.through,
    },
  }));
  for (let i = 0; i < deliveries.length; i += SEND_BATCH) {
    await env.FANOUT_QUEUE.sendBatch(deliveries.slice(i, i + SEND_BATCH));
  }
  await markDone(env.DB, message.postId, message.action, 'plan', '0', Date.now()).run();
}

async function deliver(env: Env, settings: FeedSettings, message: DeliverMessage, nowMs: number): Promise<void> {
  const done = (): D1PreparedStatement => markDone(env.DB, message.postId, message.action, 'deliver', message.after, Date.now());
  if (message.action === 'remove') {
    const followers = await followerRange(env.DB, message, undefined);
    const results = await settleWithConcurrency(followers, settings.fanoutConcurrency, (id) =>
      env.INBOX.getByName(id).removePosts([message.postId]),
    );
    throwIfAnyFailed(results, followers.length, message);
    await done().run();
    return;
  }
  const entries = inboxInsertFor(settings.fanoutModes, [{ postId: message.postId, authorId: message.authorId, hybrid: message.hybrid }]);
  if (Object.keys(entries).length === 0) {
    await done().run();
    return;
  }
  // One query: the range's active followers, none when the post was deleted before this
  // delivery (the delete's own fan-out purges what other deliveries wrote).
  const followers = await followerRange(env.DB, message, activeSince(nowMs, settings));
  const results = await settleWithConcurrency(followers, settings.fanoutConcurrency, (id) =>
    env.INBOX.getByName(id).insert(entries, settings.timelineCap),
  );
  const written = writtenRows(results);
  // Counts of rows newly written are exact even across retries: a re-insert writes 0.
  const statements = [
    env.DB.prepare('UPDATE posts SET push_rows = push_rows + ?, hybrid_rows = hybrid_rows + ? WHERE id = ?').bind(
      written.push,
      written.hybrid,
      message.postId,
    ),
  ];
  const failed = results.some((r) => r.status === 'rejected');
  if (!failed) statements.push(done());
  await env.DB.batch(statements);
  throwIfAnyFailed(results, followers.length, message);
}

/**
 * The followers in the message's range: every one for a `remove`; for an `insert`
 * (`activeAfter` set) only those active since then, and none once the post is deleted.
 */
async function followerRange(db: D1Database, message: DeliverMessage, activeAfter: number | undefined): Promise<string[]> {
  const result =
    activeAfter === undefined
      ? await db
          .prepare(
            `SELECT CAST(follower_id AS TEXT) AS id FROM follows
       WHERE followee_id = ? AND follower_id > ? AND follower_id <= ? ORDER BY follower_id`,
          )
          .bind(message.authorId, message.after, message.through)
          .all<{ id: string }>()
      : await db
          .prepare(
            `SELECT CAST(f.follower_id AS TEXT) AS id FROM follows f JOIN users u ON u.id = f.follower_id
       WHERE f.followee_id = ? AND f.follower_id > ? AND f.follower_id <= ? AND u.last_active_at >= ?
         AND EXISTS (SELECT 1 FROM posts WHERE id = ?)
       ORDER BY f.follower_id`,
          )
          .bind(message.authorId, message.after, message.through, activeAfter, message.postId)
          .all<{ id: string }>();
  return result.results.map((row) => row.id);
}

function throwIfAnyFailed(results: PromiseSettledResult<unknown>[], total: number, message: DeliverMessage): void {
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) {
    throw new Error(
      `${failures.length} of ${total} timeline writes failed for post ${message.postId} ` +
        `(${message.action}, followers (${message.after}, ${message.through}]): ${String(failures[0].reason)}`,
    );
  }
}

/**
 * Rebuilds a user's pushed timelines from D1 (a returning user, or the admin rebuild), then
 * clears the rebuilding flag. Returns the entries written per mode.
 */
export async function rebuildTimelines(env: Env, settings: FeedSettings, userId: string): Promise<InboxWriteCounts> {
  const inbox = env.INBOX.getByName(userId);
  const entries: InboxInsert = {};
  for (const mode of settings.fanoutModes) {
    const seed = await timelineSeed(env.DB, userId, settings.timelineCap, mode === 'hybrid');
    entries[mode] = seed.map((row) => ({ postId: row.id, authorId: row.author_id }));
  }
  // Merge, never replace: a post delivered while the rebuild read D1 must not be lost.
  const written = await inbox.insert(entries, settings.timelineCap);
  await inbox.finishRebuild();
  return written;
}
