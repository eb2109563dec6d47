import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import type { TimelineInbox } from '../../workers/feed/src/inbox';
import { describe, expect, it } from 'vitest';
import {
  api,
  type ApiPost,
  createFollowers,
  createUser,
  deletePost,
  fanoutStatus,
  follow,
  pageIds,
  post,
  readAll,
  settle,
  type TestUser,
  timeline,
  timelineAfterRebuild,
  unfollow,
} from './feed-client';

const MODES = ['push', 'pull', 'hybrid'] as const;

describe('home timeline', () => {
  it("shows a followed author's posts in every mode once fan-out settles, newest first", async () => {
    const alice = await createUser('alice');
    const [bob] = await createFollowers(alice, 'bob');
    const p1 = await post(alice, 'one');
    const p2 = await post(alice, 'two');
    await settle();
    for (const mode of MODES) {
      const res = await timeline(bob, mode);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-feed-mode')).toBe(mode);
      const page = await res.json<ApiPost[]>();
      expect(page.map((p) => p.id)).toEqual([p2.id, p1.id]);
      expect(page[0]).toMatchObject({ body: 'two', author: { id: alice.id, handle: alice.handle } });
    }
  });

  it("answers from D1 (pull), saying so, when the reader's inbox object fails", async () => {
    const alice = await createUser('alice');
    const [bob] = await createFollowers(alice, 'bob');
    const p1 = await post(alice, 'kept in D1');
    await settle();
    // Break bob's inbox: its tables are gone, so every page() throws.
    await runInDurableObject(env.INBOX.getByName(bob.id), (_inbox: TimelineInbox, state) => {
      state.storage.sql.exec('DROP TABLE timeline_push');
      state.storage.sql.exec('DROP TABLE timeline_hybrid');
    });
    for (const mode of ['push', 'hybrid']) {
      const res = await timeline(bob, mode);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-feed-mode')).toBe(mode);
      expect(res.headers.get('x-feed-fallback')).toBe('pull');
      expect((await res.json<ApiPost[]>()).map((p) => p.id)).toEqual([p1.id]);
    }
    const pull = await timeline(bob, 'pull');
    expect(pull.headers.get('x-feed-fallback')).toBeNull();
  });

  it('sends ids as strings that keep all 64 bits (beyond 2^53)', async () => {
    const alice = await createUser('big');
    const p = await post(alice, 'x');
    expect(typeof p.id).toBe('string');
    expect(BigInt(p.id) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    const stored = await env.DB.prepare('SELECT CAST(id AS TEXT) AS id FROM posts WHERE id = ?').bind(p.id).first<{ id: string }>();
    expect(stored?.id).toBe(p.id);
    const res = await timeline(alice, 'push');
    const raw = await res.text();
    expect(raw).toContain(`"id":"${p.id}"`);
  });

  it('shows the author their own post on the very next read (read-after-write), in every mode', async () => {
    const alice = await createUser('raw');
    await createFollowers(alice, 'rawf');
    const p = await post(alice, 'mine');
    for (const mode of MODES) {
      expect(await pageIds(await timeline(alice, mode))).toEqual([p.id]);
    }
  });

  it('pages with max_id, since_id and min_id as Mastodon does, with Link headers', async () => {
    const alice = await createUser('pager');
    const posts: ApiPost[] = [];
    for (let i = 0; i < 7; i++) posts.push(await post(alice, `p${i}`));
    const ids = posts.map((p) => p.id).reverse(); // newest first
    for (const mode of MODES) {
      const first = await timeline(alice, mode, 'limit=3');
      expect(await pageIds(first.clone())).toEqual(ids.slice(0, 3));
      const link = first.headers.get('link') ?? '';
      expect(link).toContain(`max_id=${ids[2]}`);
      expect(link).toContain('rel="next"');
      expect(link).toContain(`min_id=${ids[0]}`);
      expect(link).toContain('rel="prev"');
      expect(link).toContain(`mode=${mode}`);
      // max_id: strictly older.
      expect(await pageIds(await timeline(alice, mode, `limit=3&max_id=${ids[2]}`))).toEqual(ids.slice(3, 6));
      // since_id: the newest items newer than it.
      expect(await pageIds(await timeline(alice, mode, `limit=2&since_id=${ids[5]}`))).toEqual(ids.slice(0, 2));
      // min_id: the items immediately newer than it, still newest first.
      expect(await pageIds(await timeline(alice, mode, `limit=2&min_id=${ids[5]}`))).toEqual(ids.slice(3, 5));
      // min_id wins over since_id (Mastodon's paginate_by_id).
      expect(await pageIds(await timeline(alice, mode, `limit=2&min_id=${ids[5]}&since_id=${ids[1]}`))).toEqual(ids.slice(3, 5));
      // max_id and min_id together bound both sides.
      expect(await pageIds(await timeline(alice, mode, `min_id=${ids[4]}&max_id=${ids[1]}`))).toEqual(ids.slice(2, 4));
      // Past the end: empty page, no Link header.
      const end = await timeline(alice, mode, `max_id=${ids[6]}`);
      expect(await pageIds(end.clone())).toEqual([]);
      expect(end.headers.get('link')).toBeNull();
      expect(await readAll(alice, mode, 2)).toEqual(ids);
    }
  });

  it('backfills up to FOLLOW_BACKFILL (5 here) recent posts on follow, and no more', async () => {
    const author = await createUser('bf');
    const posts: ApiPost[] = [];
    for (let i = 0; i < 6; i++) posts.push(await post(author, `b${i}`));
    const reader = await createUser('bfr');
    const res = await api('PUT', `/users/${reader.id}/following/${author.id}`, { token: reader.token });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ backfilled: 5 });
    const newestFive = posts
      .slice(1)
      .map((p) => p.id)
      .reverse();
    expect(await readAll(reader, 'push', 10)).toEqual(newestFive);
    expect(await readAll(reader, 'hybrid', 10)).toEqual(newestFive);
    // Pull reads the source of truth: all six.
    expect(await readAll(reader, 'pull', 10)).toEqual(posts.map((p) => p.id).reverse());
  });

  it('caps a pushed timeline at TIMELINE_CAP (30 here): 30 kept, the 31st pushes the oldest out', async () => {
    const author = await createUser('cap');
    const posts: ApiPost[] = [];
    for (let i = 0; i < 30; i++) posts.push(await post(author, `c${i}`));
    expect((await readAll(author, 'push', 40)).length).toBe(30);
    posts.push(await post(author, 'c30'));
    const kept = await readAll(author, 'push', 40);
    expect(kept.length).toBe(30);
    expect(kept).not.toContain(posts[0].id);
    expect(kept[0]).toBe(posts[30].id);
    expect((await readAll(author, 'pull', 40)).length).toBe(31);
  });

  it("removes an unfollowed author's posts at once, or keeps them with keep_history=true", async () => {
    const author = await createUser('unf');
    const [a, b] = await createFollowers(author, 'unfa', 'unfb');
    const p = await post(author, 'soon gone');
    await settle();
    await unfollow(a, author);
    await unfollow(b, author, true);
    for (const mode of MODES) expect(await pageIds(await timeline(a, mode))).toEqual([]);
    expect(await pageIds(await timeline(b, 'push'))).toEqual([p.id]);
    expect(await pageIds(await timeline(b, 'pull'))).toEqual([]);
    // New posts no longer arrive.
    await post(author, 'after');
    await settle();
    expect(await pageIds(await timeline(b, 'push'))).toEqual([p.id]);
  });

  it('drops a deleted post from every timeline on the next read and purges it from inboxes', async () => {
    const author = await createUser('del');
    const readers = await createFollowers(author, 'dela', 'delb');
    const keep = await post(author, 'keep');
    const gone = await post(author, 'gone');
    await settle();
    await deletePost(author, gone.id);
    for (const r of [...readers, author]) {
      for (const mode of MODES) expect(await pageIds(await timeline(r, mode))).toEqual([keep.id]);
    }
    await settle();
    for (const r of readers) {
      const count = await env.INBOX.getByName(r.id).size();
      expect(count).toEqual({ push: 1, hybrid: 1 });
    }
    expect((await api('GET', `/posts/${gone.id}`)).status).toBe(404);
  });

  it('does not fan authors over HYBRID_THRESHOLD (2 here) out to hybrid timelines, but merges them in on read', async () => {
    const star = await createUser('star');
    const fans = [await createUser('fana'), await createUser('fanb'), await createUser('fanc')];
    await follow(fans[0], star);
    await follow(fans[1], star);
    const atThreshold = await post(star, 'two followers: still pushed');
    await follow(fans[2], star);
    const over = await post(star, 'three followers: pulled in hybrid');
    await settle();
    expect(await fanoutStatus(atThreshold.id)).toMatchObject({ hybrid_pushed: true, push_rows: 2, hybrid_rows: 2, settled: true });
    expect(await fanoutStatus(over.id)).toMatchObject({ hybrid_pushed: false, push_rows: 3, hybrid_rows: 0, settled: true });
    for (const mode of MODES) {
      expect(await pageIds(await timeline(fans[0], mode))).toEqual([over.id, atThreshold.id]);
    }
    expect(await env.INBOX.getByName(fans[0].id).size()).toEqual({ push: 2, hybrid: 1 });
  });

  it('fans a post out in FANOUT_CHUNK-sized steps (2 here) to every follower', async () => {
    const author = await createUser('chunk');
    const readers = [];
    for (let i = 0; i < 5; i++) {
      const r = await createUser(`ch${i}`);
      await follow(r, author);
      readers.push(r);
    }
    const p = await post(author, 'to five');
    await settle();
    const steps = await env.DB.prepare(`SELECT stage, COUNT(*) AS n FROM fanout_chunks WHERE post_id = ? GROUP BY stage ORDER BY stage`)
      .bind(p.id)
      .all<{ stage: string; n: number }>();
    expect(steps.results).toEqual([
      { stage: 'deliver', n: 3 },
      { stage: 'plan', n: 1 },
    ]);
    for (const r of readers) expect(await pageIds(await timeline(r, 'push'))).toEqual([p.id]);
    expect(await fanoutStatus(p.id)).toMatchObject({ push_rows: 5, settled: true, pending_steps: 0 });
  });
});

describe('a user following more accounts than D1 binds parameters (100)', () => {
  it("gets every followee's posts, newest first, in pull, and the newest TIMELINE_CAP in push", async () => {
    const reader = await createUser('many');
    const tag = Date.now().toString(36);
    const followees: TestUser[] = [];
    for (let batch = 0; batch < 3; batch++) {
      const users = Array.from({ length: 50 }, (_, i) => ({
        handle: `m${tag}_${batch}_${i}`,
        token: `many-token-${tag}-${batch}-${i}-xxxx`,
      }));
      const res = await api('POST', '/admin/bulk', { token: 'test-token', body: { users } });
      expect(res.status).toBe(201);
      const made = (await res.json<{ users: { id: string; handle: string }[] }>()).users;
      made.forEach((u, i) => followees.push({ id: u.id, handle: u.handle, token: users[i].token }));
      const linked = await api('POST', '/admin/bulk', { token: 'test-token', body: { follows: made.map((u) => [reader.id, u.id]) } });
      expect(linked.status).toBe(201);
    }
    const ids: string[] = [];
    for (const f of followees) ids.push((await post(f, `from ${f.handle}`)).id);
    await settle();
    const newestFirst = [...ids].reverse();
    expect(await readAll(reader, 'pull', 40)).toEqual(newestFirst);
    expect(await pageIds(await timeline(reader, 'pull', 'limit=40'))).toEqual(newestFirst.slice(0, 40));
    expect(await readAll(reader, 'push', 40)).toEqual(newestFirst.slice(0, 30));
    expect(await readAll(reader, 'hybrid', 40)).toEqual(newestFirst.slice(0, 30));
  });
});

describe('rows read per page', () => {
  it("do not grow with an author's history in pull and hybrid (a per-followee LIMIT)", async () => {
    const author = await createUser('hist');
    const others = [await createUser('histx'), await createUser('histy')];
    const reader = await createUser('histr');
    // Three followers: over HYBRID_THRESHOLD = 2, so hybrid merges this author from D1 too.
    for (const f of [reader, ...others]) await follow(f, author);
    const rowsFor = async (mode: string): Promise<number> => {
      const res = await timeline(reader, mode, 'limit=2');
      expect(res.status).toBe(200);
      return Number(res.headers.get('x-feed-rows-read'));
    };
    await post(author, 'h0');
    await post(author, 'h1');
    const small = { pull: await rowsFor('pull'), hybrid: await rowsFor('hybrid') };
    for (let i = 2; i < 40; i++) await post(author, `h${i}`);
    expect(await rowsFor('pull')).toBeLessThanOrEqual(small.pull + 4);
    expect(await rowsFor('hybrid')).toBeLessThanOrEqual(small.hybrid + 4);
  });
});

describe('active users (ACTIVE_DAYS = 7)', () => {
  const DAY = 24 * 60 * 60 * 1000;
  const setLastActive = async (id: string, ms: number): Promise<void> => {
    await env.DB.prepare('UPDATE users SET last_active_at = ? WHERE id = ?').bind(ms, id).run();
  };

  it('writes to followers active within 7 days and skips those inactive for longer', async () => {
    const author = await createUser('act');
    const [recent, gone] = await createFollowers(author, 'actr', 'actg');
    await setLastActive(recent.id, Date.now() - 7 * DAY + 60_000);
    await setLastActive(gone.id, Date.now() - 7 * DAY - 60_000);
    const p = await post(author, 'who gets it');
    await settle();
    expect(await env.INBOX.getByName(recent.id).size()).toEqual({ push: 1, hybrid: 1 });
    expect(await env.INBOX.getByName(gone.id).size()).toEqual({ push: 0, hybrid: 0 });
    expect(await fanoutStatus(p.id)).toMatchObject({ push_rows: 1 });
  });

  it("rebuilds a returning user's timeline, answering 206 with a correct page meanwhile", async () => {
    const author = await createUser('ret');
    const [back] = await createFollowers(author, 'retb');
    await setLastActive(back.id, Date.now() - 30 * DAY);
    const p1 = await post(author, 'while away 1');
    const p2 = await post(author, 'while away 2');
    await settle();
    expect(await env.INBOX.getByName(back.id).size()).toEqual({ push: 0, hybrid: 0 });
    const first = await timeline(back, 'push');
    expect(first.status).toBe(206);
    expect(first.headers.get('x-feed-rebuilding')).toBe('true');
    expect(await pageIds(first)).toEqual([p2.id, p1.id]);
    const res = await timelineAfterRebuild(back, 'push');
    expect(res.status).toBe(200);
    expect(await pageIds(res)).toEqual([p2.id, p1.id]);
    expect(await env.INBOX.getByName(back.id).size()).toEqual({ push: 2, hybrid: 2 });
    // Active again: new posts are fanned out to them.
    const p3 = await post(author, 'welcome back');
    await settle();
    expect(await pageIds(await timeline(back, 'push'))).toEqual([p3.id, p2.id, p1.id]);
  });

  it('enqueues the rebuild again when one has been pending for over a minute (a lost message)', async () => {
    const author = await createUser('lost');
    const [reader] = await createFollowers(author, 'lostr');
    const p = await post(author, 'still here');
    await settle();
    // A rebuild marked two minutes ago whose message never arrived.
    await runInDurableObject(env.INBOX.getByName(reader.id), (_i: TimelineInbox, state) => {
      state.storage.sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('rebuilding', ?)`, String(Date.now() - 120_000));
    });
    const first = await timeline(reader, 'hybrid');
    expect(first.status).toBe(206);
    expect(await pageIds(first)).toEqual([p.id]);
    const res = await timelineAfterRebuild(reader, 'hybrid');
    expect(res.status).toBe(200);
    expect(await pageIds(res)).toEqual([p.id]);
  });
});
