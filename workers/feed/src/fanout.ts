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
/** Most steps one sweep sends again (10 `sendBatch` calls, well inside an invocation's subrequests). */
const SWEEP_MAX_STEPS = 1000;
/** A step's resend delay doubles per send up to 2^this × FANOUT_RESEND_SECONDS. */
const MAX_RESEND_DOUBLINGS = 6;

/**
 * The Queue consumer. Each message is acked or retried on its own, so one failing message
 * does not redeliver the others; a retried message repeats only idempotent writes.
 */
export async function consumeFanoutBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const settings = readSettings(env);
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
  /**
   * Set when the step reaches no follower, only the author's own timelines, which the
   * request writes itself: then the request does not send `message` but runs this statement
   * (marking the step done) once its own insert landed. A request that dies before leaves
   * the step pending, and the sweep sends the message.
   */
  doneByRequest: D1PreparedStatement | undefined;
}

/** What a fan-out step needs to know about its post. */
export interface FanoutPost {
  id: string;
  authorId: string;
  hybrid: boolean;
}

/**
 * Decides how a post is delivered. An author with at most FANOUT_CHUNK followers gets one
 * `deliver` message; a larger audience is split into ranges by a `plan` message. The caller
 * commits `statements` together with the post and sends `message` only after that commit,
 * so a consumer never sees a message whose post or step row does not exist yet. The row is
 * the outbox entry: if the message is never sent or lost, the sweep sends it again.
 *
 * A new post always gets a step, even without followers: the first range's delivery also
 * (re)writes the post into the author's own timelines, so a post stored by a request that
 * died before its own insert still reaches them. Without followers the request itself
 * closes that step (`doneByRequest`). A removal without followers needs none (the request
 * purges the author's timelines; reads drop ids of deleted posts anyway).
 */
export function firstFanoutStep(
  db: D1Database,
  settings: FeedSettings,
  action: FanoutAction,
  post: FanoutPost,
  followerCount: number,
  nowMs: number,
): FirstFanoutStep {
  if (settings.fanoutModes.length === 0) return { statements: [], message: undefined, doneByRequest: undefined };
  // Nothing to deliver when no follower's timeline takes this post (e.g. FANOUT_MODES=hybrid
  // and an author over HYBRID_THRESHOLD: hybrid reads merge it in from D1), except a new
  // post's own entry.
  const toFollowers = followerCount > 0 && timelinesFor(settings.fanoutModes, post.hybrid).length > 0;
  if (action === 'remove' && !toFollowers) return { statements: [], message: undefined, doneByRequest: undefined };
  const stage = !toFollowers || followerCount <= settings.fanoutChunk ? 'deliver' : 'plan';
  const step: FanoutStep = { post, action, stage, after: '0', through: MAX_ID.toString() };
  return {
    statements: [stepRow(db, step, nowMs)],
    message: stepMessage(step),
    doneByRequest: toFollowers ? undefined : markDone(db, post.id, action, stage, '0', nowMs),
  };
}

/** One fan-out step: a row of `fanout_chunks` and the queue message that carries it out. */
interface FanoutStep {
  post: FanoutPost;
  action: FanoutAction;
  stage: 'plan' | 'deliver';
  /** Follower range (after, through] of a delivery; (0, MAX_ID] for a plan. */
  after: string;
  through: string;
}

/** The queue message of a step. */
function stepMessage(step: FanoutStep): FanoutMessage {
  const common = { action: step.action, postId: step.post.id, authorId: step.post.authorId, hybrid: step.post.hybrid };
  return step.stage === 'deliver' ? { kind: 'deliver', ...common, after: step.after, through: step.through } : { kind: 'plan', ...common };
}

/** The `fanout_chunks` row recording one pending step, sent once at `nowMs`. */
function stepRow(db: D1Database, step: FanoutStep, nowMs: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT OR IGNORE INTO fanout_chunks
       (post_id, action, stage, after_follower, through_follower, created_at, author_id, hybrid, sent_at, sends)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
    )
    .bind(step.post.id, step.action, step.stage, step.after, step.through, nowMs, step.post.authorId, step.post.hybrid ? 1 : 0, nowMs);
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

/** Sends messages in `sendBatch` calls of at most SEND_BATCH. */
async function sendAll(queue: Queue, messages: FanoutMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += SEND_BATCH) {
    await queue.sendBatch(messages.slice(i, i + SEND_BATCH).map((body) => ({ body })));
  }
}

/** A pending step as the sweep claims it. */
interface StepRow {
  post_id: string;
  action: FanoutAction;
  stage: 'plan' | 'deliver';
  after_follower: string;
  through_follower: string;
  author_id: string;
  hybrid: number;
}

const STEP_COLUMNS = `CAST(post_id AS TEXT) AS post_id, action, stage, CAST(after_follower AS TEXT) AS after_follower,
  CAST(through_follower AS TEXT) AS through_follower, CAST(author_id AS TEXT) AS author_id, hybrid`;

function rowStep(row: StepRow): FanoutStep {
  return {
    post: { id: row.post_id, authorId: row.author_id, hybrid: row.hybrid === 1 },
    action: row.action,
    stage: row.stage,
    after: row.after_follower,
    through: row.through_follower,
  };
}

/**
 * The outbox sweep (the cron): sends again the message of every pending step whose last
 * send is older than FANOUT_RESEND_SECONDS × 2^(sends − 1) (doubling per send, at most 64×,
 * so a backlog that merely runs late is not multiplied), at most SWEEP_MAX_STEPS per run.
 * One statement claims the steps (moves `sent_at`, counts `sends`) and returns them, so two
 * sweeps never send the same step twice; a step whose message is sent twice anyway is
 * harmless (every fan-out write is idempotent). Returns how many steps were sent.
 */
export async function sweepFanout(env: Env, settings: FeedSettings, nowMs: number): Promise<number> {
  const claimed = await env.DB.prepare(
    `UPDATE fanout_chunks SET sent_at = ?1, sends = sends + 1
     WHERE (post_id, action, stage, after_follower) IN (
       SELECT post_id, action, stage, after_follower FROM fanout_chunks
       WHERE done_at IS NULL AND author_id IS NOT NULL
         AND COALESCE(sent_at, created_at) + ?2 * (1 << MIN(sends - 1, ${MAX_RESEND_DOUBLINGS})) <= ?1
       ORDER BY post_id LIMIT ?3)
     RETURNING ${STEP_COLUMNS}`,
  )
    .bind(nowMs, settings.fanoutResendSeconds * 1000, SWEEP_MAX_STEPS)
    .all<StepRow>();
  const steps = claimed.results.map(rowStep);
  if (steps.length > 0) {
    console.warn(`fan-out sweep: sending ${steps.length} pending steps again`);
    await sendAll(env.FANOUT_QUEUE, steps.map(stepMessage));
  }
  return steps.length;
}

/**
 * Splits a post's followers into ranges, records one pending `deliver` row per range, then
 * sends their messages. Run again (a redelivered or re-sent plan), it keeps the ranges
 * already recorded (the followers may have changed since) and sends those still pending.
 */
async function planFanout(env: Env, settings: FeedSettings, message: PlanMessage, nowMs: number): Promise<void> {
  const post: FanoutPost = { id: message.postId, authorId: message.authorId, hybrid: message.hybrid };
  const recorded = await env.DB.prepare(
    `SELECT ${STEP_COLUMNS}, done_at FROM fanout_chunks WHERE post_id = ? AND action = ? AND stage = 'deliver'`,
  )
    .bind(message.postId, message.action)
    .all<StepRow & { done_at: number | null }>();
  let steps: FanoutStep[];
  if (recorded.results.length > 0) {
    steps = recorded.results.filter((row) => row.done_at === null).map(rowStep);
  } else {
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
    // At least one range: its delivery also writes the author's own timelines.
    const ranges =
      followers.length > 0 ? planFollowerRanges(followers, settings.fanoutChunk) : [{ after: '0', through: MAX_ID.toString() }];
    steps = ranges.map((r) => ({ post, action: message.action, stage: 'deliver', after: r.after, through: r.through }));
    // Rows first (one batch: all or none), so the post counts as unsettled before any
    // delivery can finish, and a kill after this point leaves every range in the outbox.
    await env.DB.batch(steps.map((step) => stepRow(env.DB, step, nowMs)));
  }
  await sendAll(env.FANOUT_QUEUE, steps.map(stepMessage));
  await markDone(env.DB, message.postId, message.action, 'plan', '0', Date.now()).run();
}

async function deliver(env: Env, settings: FeedSettings, message: DeliverMessage, nowMs: number): Promise<void> {
  const done = (): D1PreparedStatement => markDone(env.DB, message.postId, message.action, 'deliver', message.after, Date.now());
  if (message.action === 'remove') {
    const followers = await followerRange(env.DB, message);
    const results = await settleWithConcurrency(followers, settings.fanoutConcurrency, (id) =>
      env.INBOX.getByName(id).removePosts([message.postId]),
    );
    throwIfAnyFailed(results, followers.length, message);
    await done().run();
    return;
  }
  const entries = inboxInsertFor(settings.fanoutModes, [{ postId: message.postId, authorId: message.authorId, hybrid: message.hybrid }]);
  // The first range also writes the author's own timelines (every maintained mode, whatever
  // the hybrid flag), which the request did unless it died first: a no-op the usual time.
  const own =
    message.after === '0'
      ? inboxInsertFor(settings.fanoutModes, [{ postId: message.postId, authorId: message.authorId, hybrid: true }])
      : {};
  // One query: the range's active followers, none when the post was deleted before this
  // delivery (the delete's own fan-out purges what other deliveries wrote); and whether the
  // post still exists, for the author's own entry.
  const { followers: recipients, postExists } = await insertRecipients(
    env.DB,
    message,
    activeSince(nowMs, settings),
    Object.keys(entries).length > 0,
    Object.keys(own).length > 0,
  );
  const results = await settleWithConcurrency(recipients, settings.fanoutConcurrency, (id) =>
    env.INBOX.getByName(id).insert(entries, settings.timelineCap),
  );
  const written = writtenRows(results);
  const ownWrite = postExists ? await Promise.allSettled([env.INBOX.getByName(message.authorId).insert(own, settings.timelineCap)]) : [];
  // Counts of rows newly written are exact even across retries: a re-insert writes 0. (The
  // author's own entry is not fan-out and is not counted.)
  const statements = [
    env.DB.prepare('UPDATE posts SET push_rows = push_rows + ?, hybrid_rows = hybrid_rows + ? WHERE id = ?').bind(
      written.push,
      written.hybrid,
      message.postId,
    ),
  ];
  const failed = [...results, ...ownWrite].some((r) => r.status === 'rejected');
  if (!failed) statements.push(done());
  await env.DB.batch(statements);
  throwIfAnyFailed([...results, ...ownWrite], recipients.length + ownWrite.length, message);
}

/**
 * The recipients of an insert delivery: when `withFollowers`, the range's followers active
 * since `activeAfter` (none once the post is deleted); when `withPost`, whether the post
 * exists. One D1 call (a batch when both are asked).
 */
async function insertRecipients(
  db: D1Database,
  message: DeliverMessage,
  activeAfter: number,
  withFollowers: boolean,
  withPost: boolean,
): Promise<{ followers: string[]; postExists: boolean }> {
  const statements: D1PreparedStatement[] = [];
  if (withFollowers) {
    statements.push(
      db
        .prepare(
          `SELECT CAST(f.follower_id AS TEXT) AS id FROM follows f JOIN users u ON u.id = f.follower_id
       WHERE f.followee_id = ? AND f.follower_id > ? AND f.follower_id <= ? AND u.last_active_at >= ?
         AND EXISTS (SELECT 1 FROM posts WHERE id = ?)
       ORDER BY f.follower_id`,
        )
        .bind(message.authorId, message.after, message.through, activeAfter, message.postId),
    );
  }
  if (withPost) statements.push(db.prepare('SELECT CAST(id AS TEXT) AS id FROM posts WHERE id = ?').bind(message.postId));
  if (statements.length === 0) return { followers: [], postExists: false };
  const results = statements.length === 1 ? [await statements[0].all<{ id: string }>()] : await db.batch<{ id: string }>(statements);
  return {
    followers: withFollowers ? results[0].results.map((row) => row.id) : [],
    postExists: withPost ? results[results.length - 1].results.length > 0 : false,
  };
}

/** The followers in the message's range (every one: a `remove` reaches inactive followers too). */
async function followerRange(db: D1Database, message: DeliverMessage): Promise<string[]> {
  const result = await db
    .prepare(
      `SELECT CAST(follower_id AS TEXT) AS id FROM follows
     WHERE followee_id = ? AND follower_id > ? AND follower_id <= ? ORDER BY follower_id`,
    )
    .bind(message.authorId, message.after, message.through)
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
