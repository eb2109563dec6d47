import { createScheduledController } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../../workers/feed/src/index';
import { MAX_ID } from '../../workers/feed/src/snowflake';
import { createFollowers, createUser, fanoutStatus, pageIds, post, settle, timeline, type TestUser } from './feed-client';

const MINUTE = 60_000;

/**
 * What a request killed between the D1 commit and the queue send leaves: the post and its
 * pending first step, sent (as far as the outbox knows) `sentAgoMs` ago, and no message.
 */
async function storeUnsentPost(author: TestUser, id: string, stage: 'deliver' | 'plan', sentAgoMs: number, hybrid = true): Promise<void> {
  const sentAt = Date.now() - sentAgoMs;
  await env.DB.batch([
    env.DB.prepare('INSERT INTO posts (id, author_id, body, created_at, hybrid_pushed) VALUES (?, ?, ?, ?, ?)').bind(
      id,
      author.id,
      'lost message',
      sentAt,
      hybrid ? 1 : 0,
    ),
    env.DB.prepare(
      `INSERT INTO fanout_chunks (post_id, action, stage, after_follower, through_follower, created_at, author_id, hybrid, sent_at, sends)
      VALUES (?, 'insert', ?, 0, ?, ?, ?, ?, ?, 1)`,
    ).bind(id, stage, MAX_ID.toString(), sentAt, author.id, hybrid ? 1 : 0, sentAt),
  ]);
}

/** Runs the cron once, as the platform does. */
async function sweep(): Promise<void> {
  await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: '* * * * *' }), env);
}

async function step(postId: string): Promise<{ sends: number; done_at: number | null }[]> {
  const rows = await env.DB.prepare('SELECT sends, done_at FROM fanout_chunks WHERE post_id = ? ORDER BY stage, after_follower')
    .bind(postId)
    .all<{ sends: number; done_at: number | null }>();
  return rows.results;
}

describe('the fan-out outbox sweep (cron)', () => {
  it('sends a lost step again once FANOUT_RESEND_SECONDS (120) have passed, and not before', async () => {
    const author = await createUser('ob');
    const [reader] = await createFollowers(author, 'obr');
    await settle();
    const recent = '900000000000001001';
    const lost = '900000000000001002';
    await storeUnsentPost(author, recent, 'deliver', 110_000);
    await storeUnsentPost(author, lost, 'deliver', 121_000);
    await sweep();
    await waitFor(async () => (await step(lost))[0].done_at !== null);
    expect(await step(lost)).toMatchObject([{ sends: 2 }]);
    // The younger step may still be in flight: untouched.
    expect(await step(recent)).toEqual([{ sends: 1, done_at: null }]);
    expect(await pageIds(await timeline(reader, 'push'))).toEqual([lost]);
    // The author's own timelines too: the request that died never wrote them.
    expect(await pageIds(await timeline(author, 'push'))).toEqual([lost]);
    expect(await pageIds(await timeline(author, 'hybrid'))).toEqual([lost]);
    expect(await fanoutStatus(lost)).toMatchObject({ settled: true, push_rows: 1, hybrid_rows: 1 });
    await env.DB.prepare('UPDATE fanout_chunks SET done_at = 1 WHERE post_id = ?').bind(recent).run();
  });

  it('waits twice as long before each further send (backoff), so a late backlog is not multiplied', async () => {
    const author = await createUser('bo');
    await createFollowers(author, 'bor');
    await settle();
    const id = '900000000000001003';
    // Sent twice already, the last time 3 minutes ago: the next send is due after 2 x 120 s.
    await storeUnsentPost(author, id, 'deliver', 3 * MINUTE);
    await env.DB.prepare('UPDATE fanout_chunks SET sends = 2 WHERE post_id = ?').bind(id).run();
    await sweep();
    expect(await step(id)).toEqual([{ sends: 2, done_at: null }]);
    await env.DB.prepare('UPDATE fanout_chunks SET sent_at = ? WHERE post_id = ?')
      .bind(Date.now() - 4 * MINUTE - 1000, id)
      .run();
    await sweep();
    await waitFor(async () => (await step(id))[0].done_at !== null);
    expect(await step(id)).toMatchObject([{ sends: 3 }]);
  });

  it('re-runs a lost plan: the ranges it records reach every follower, and a second run keeps those ranges', async () => {
    const author = await createUser('op');
    const followers = await createFollowers(author, 'opa', 'opb', 'opc', 'opd', 'ope');
    await settle();
    const id = '900000000000001004';
    await storeUnsentPost(author, id, 'plan', 10 * MINUTE);
    await sweep();
    await waitFor(async () => (await step(id)).every((row) => row.done_at !== null));
    // FANOUT_CHUNK = 2: one plan and three deliveries, each sent once by the plan.
    expect((await step(id)).map((row) => row.sends)).toEqual([1, 1, 1, 2]);
    for (const f of followers) expect(await pageIds(await timeline(f, 'push'))).toEqual([id]);
    expect(await pageIds(await timeline(author, 'push'))).toEqual([id]);
    // The same plan once more (at least once delivery), after two more follows: it keeps the
    // ranges it recorded (a new plan would split 7 followers into 4 ranges) and sends none, all being done.
    await createFollowers(author, 'opf', 'opg');
    await env.DB.prepare(`UPDATE fanout_chunks SET done_at = NULL, sent_at = ? WHERE post_id = ? AND stage = 'plan'`)
      .bind(Date.now() - 10 * MINUTE, id)
      .run();
    await sweep();
    await waitFor(async () => (await step(id)).every((row) => row.done_at !== null));
    expect((await step(id)).map((row) => row.sends)).toEqual([1, 1, 1, 3]);
  });

  it("gives a post without followers a step too, which settles and writes only the author's own timelines", async () => {
    const loner = await createUser('ol');
    const res = await env.DB.prepare('SELECT COUNT(*) AS n FROM fanout_chunks').first<{ n: number }>();
    const before = res?.n ?? 0;
    const { id } = await post(loner, 'alone');
    await settle();
    expect((await env.DB.prepare('SELECT COUNT(*) AS n FROM fanout_chunks').first<{ n: number }>())?.n).toBe(before + 1);
    expect(await fanoutStatus(id)).toMatchObject({ steps: 1, settled: true, push_rows: 0, hybrid_rows: 0 });
    expect(await pageIds(await timeline(loner, 'push'))).toEqual([id]);
    // Its request killed after the D1 commit, before its own insert: the sweep's delivery writes it.
    const lost = '900000000000001005';
    await storeUnsentPost(loner, lost, 'deliver', 10 * MINUTE);
    await sweep();
    await waitFor(async () => (await step(lost))[0].done_at !== null);
    expect(await pageIds(await timeline(loner, 'push'))).toEqual([id, lost]); // the made-up id is the older
    expect(await pageIds(await timeline(loner, 'hybrid'))).toEqual([id, lost]);
  });
});

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}
