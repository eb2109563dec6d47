import { createExecutionContext, createMessageBatch, getQueueResult, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../../workers/feed/src/index';
import type { TimelineInbox } from '../../workers/feed/src/inbox';
import type { DeliverMessage } from '../../workers/feed/src/messages';
import { MAX_ID } from '../../workers/feed/src/snowflake';
import { createFollowers, createUser, pageIds, settle, timeline, type TestUser, unfollow } from './feed-client';

/** Stores a post straight in D1 with its pending step, without enqueueing anything. */
async function storePostWithoutQueue(author: TestUser, id: string): Promise<void> {
  await env.DB.batch([
    env.DB.prepare('INSERT INTO posts (id, author_id, body, created_at, hybrid_pushed) VALUES (?, ?, ?, ?, 1)').bind(
      id,
      author.id,
      'retried',
      Date.now(),
    ),
    env.DB.prepare(
      `INSERT INTO fanout_chunks (post_id, action, stage, after_follower, through_follower, created_at)
      VALUES (?, 'insert', 'deliver', 0, ?, ?)`,
    ).bind(id, MAX_ID.toString(), Date.now()),
  ]);
}

async function deliverOnce(message: DeliverMessage, attempts: number): Promise<Awaited<ReturnType<typeof getQueueResult>>> {
  const batch = createMessageBatch<DeliverMessage>('pushpull-feed-fanout', [
    { id: `m-${message.postId}`, timestamp: new Date(), attempts, body: message },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  return getQueueResult(batch, ctx);
}

describe('fan-out retries', () => {
  it('retries a delivery that failed midway, without duplicates or gaps', async () => {
    const author = await createUser('rt');
    const followers = await createFollowers(author, 'rta', 'rtb');
    await settle();
    const postId = '900000000000000001';
    await storePostWithoutQueue(author, postId);
    // Break the second follower's push timeline so its write fails after the first succeeded.
    const broken = env.INBOX.getByName(followers[1].id);
    await runInDurableObject(broken, (instance: TimelineInbox, state) => {
      instance.insert({}, 30); // creates the tables, as a first write would
      state.storage.sql.exec('ALTER TABLE timeline_push RENAME TO timeline_push_away');
    });
    const message: DeliverMessage = {
      kind: 'deliver',
      action: 'insert',
      postId,
      authorId: author.id,
      hybrid: true,
      after: '0',
      through: MAX_ID.toString(),
    };
    const first = await deliverOnce(message, 1);
    expect(first.retryMessages.map((m) => m.msgId)).toEqual([`m-${postId}`]);
    expect(first.explicitAcks).toEqual([]);
    expect(await env.INBOX.getByName(followers[0].id).size()).toEqual({ push: 1, hybrid: 1 });
    const pending = await env.DB.prepare('SELECT done_at FROM fanout_chunks WHERE post_id = ?')
      .bind(postId)
      .first<{ done_at: number | null }>();
    expect(pending?.done_at).toBeNull();

    // Repair, then redeliver the same message (Queues deliver at least once).
    await runInDurableObject(broken, (_instance: TimelineInbox, state) => {
      state.storage.sql.exec('ALTER TABLE timeline_push_away RENAME TO timeline_push');
    });
    const second = await deliverOnce(message, 2);
    expect(second.explicitAcks).toEqual([`m-${postId}`]);
    expect(second.retryMessages).toEqual([]);
    // And once more, as a duplicate delivery: still no duplicates.
    const third = await deliverOnce(message, 1);
    expect(third.explicitAcks).toEqual([`m-${postId}`]);
    for (const f of followers) {
      expect(await env.INBOX.getByName(f.id).size()).toEqual({ push: 1, hybrid: 1 });
      expect(await pageIds(await timeline(f, 'push'))).toEqual([postId]);
    }
    const row = await env.DB.prepare('SELECT push_rows, hybrid_rows FROM posts WHERE id = ?')
      .bind(postId)
      .first<{ push_rows: number; hybrid_rows: number }>();
    // Rows written count each timeline row exactly once across the three deliveries.
    expect(row).toEqual({ push_rows: 2, hybrid_rows: 2 });
    const done = await env.DB.prepare('SELECT done_at FROM fanout_chunks WHERE post_id = ?')
      .bind(postId)
      .first<{ done_at: number | null }>();
    expect(done?.done_at).toBeTypeOf('number');
  });

  it('acks and drops a malformed message, and handles good ones in the same batch on their own', async () => {
    const author = await createUser('mf');
    const [reader] = await createFollowers(author, 'mfr');
    await settle();
    const postId = '900000000000000002';
    await storePostWithoutQueue(author, postId);
    const good: DeliverMessage = {
      kind: 'deliver',
      action: 'insert',
      postId,
      authorId: author.id,
      hybrid: false,
      after: '0',
      through: MAX_ID.toString(),
    };
    const batch = createMessageBatch<unknown>('pushpull-feed-fanout', [
      { id: 'bad', timestamp: new Date(), attempts: 1, body: { kind: 'deliver', postId: 12 } },
      { id: 'good', timestamp: new Date(), attempts: 1, body: good },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(['bad', 'good']);
    expect(result.retryMessages).toEqual([]);
    expect(await env.INBOX.getByName(reader.id).size()).toEqual({ push: 1, hybrid: 0 });
  });

  it('hides and purges a delivery that lands after the reader unfollowed (unless history was kept)', async () => {
    const author = await createUser('late');
    const [reader, keeper] = await createFollowers(author, 'later', 'latek');
    await settle();
    const postId = '900000000000000003';
    await storePostWithoutQueue(author, postId);
    await unfollow(reader, author);
    // A delivery that read the follower list before the unfollow writes afterwards.
    await env.INBOX.getByName(reader.id).insert({ push: [{ postId, authorId: author.id }], hybrid: [{ postId, authorId: author.id }] }, 30);
    for (const mode of ['push', 'hybrid']) expect(await pageIds(await timeline(reader, mode))).toEqual([]);
    await waitForSize(reader, { push: 0, hybrid: 0 });
    // With keep_history=true the entries already there stay visible.
    await env.INBOX.getByName(keeper.id).insert({ push: [{ postId, authorId: author.id }] }, 30);
    await unfollow(keeper, author, true);
    expect(await pageIds(await timeline(keeper, 'push'))).toEqual([postId]);
  });
});

describe('TimelineInbox.insert', () => {
  it('counts only new rows and trims many entries past the cap in one call, keeping the newest (cap 30)', async () => {
    const inbox = env.INBOX.getByName('800000000000000001');
    const ids = Array.from({ length: 35 }, (_, i) => (700000000000000100n + BigInt(i)).toString());
    const entries = ids.map((postId) => ({ postId, authorId: '42' }));
    expect(await inbox.insert({ push: entries.slice(0, 10) }, 30)).toEqual({ push: 10, hybrid: 0 });
    // 25 more, 5 of them already there: 20 new, exactly at the cap; then 5 new ones trim the 5 oldest.
    expect(await inbox.insert({ push: entries.slice(5, 30) }, 30)).toEqual({ push: 20, hybrid: 0 });
    expect(await inbox.size()).toEqual({ push: 30, hybrid: 0 });
    expect(await inbox.insert({ push: entries }, 30)).toEqual({ push: 5, hybrid: 0 });
    expect(await inbox.size()).toEqual({ push: 30, hybrid: 0 });
    const page = await inbox.page('push', { limit: 40, ascending: false });
    expect(page.entries.map((e) => e.postId)).toEqual(ids.slice(5).reverse());
    // An id older than every kept one is written, then trimmed at once: still the same 30.
    expect(await inbox.insert({ push: [{ postId: '700000000000000001', authorId: '42' }] }, 30)).toEqual({ push: 1, hybrid: 0 });
    expect((await inbox.page('push', { limit: 40, ascending: false })).entries.map((e) => e.postId)).toEqual(ids.slice(5).reverse());
  });
});

async function waitForSize(user: TestUser, expected: { push: number; hybrid: number }): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const size = await env.INBOX.getByName(user.id).size();
    if ((size.push === expected.push && size.hybrid === expected.hybrid) || Date.now() > deadline) {
      expect(size).toEqual(expected);
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
