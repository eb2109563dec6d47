import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import type { TimelineInbox } from '../../workers/feed/src/inbox';
import { describe, expect, it } from 'vitest';
import { api, createFollowers, createUser, follow, pageIds, post, settle, timeline } from './feed-client';

async function expectError(res: Response, status: number, code: string): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/json');
  const body = await res.json<Record<string, unknown>>();
  expect(body.error).toBe(code);
  expect(typeof body.message).toBe('string');
  return body;
}

async function counts(): Promise<Record<string, number>> {
  const row = await env.DB.prepare(
    `SELECT (SELECT COUNT(*) FROM users) AS users, (SELECT COUNT(*) FROM follows) AS follows,
            (SELECT COUNT(*) FROM posts) AS posts, (SELECT COUNT(*) FROM fanout_chunks) AS steps`,
  ).first<Record<string, number>>();
  return row ?? {};
}

describe('bad input: clear 4xx JSON, nothing changed', () => {
  it('refuses bad handles (MAX_HANDLE_LENGTH = 30: 30 accepted, 31 refused) and taken ones', async () => {
    const before = await counts();
    await expectError(await api('POST', '/users', { body: { handle: 'a'.repeat(31) } }), 400, 'invalid_handle');
    await expectError(await api('POST', '/users', { body: { handle: 'Has Space' } }), 400, 'invalid_handle');
    await expectError(await api('POST', '/users', { body: { handle: '' } }), 400, 'invalid_handle');
    await expectError(await api('POST', '/users', { body: {} }), 400, 'invalid_handle');
    await expectError(await api('POST', '/users', { rawBody: '{nope' }), 400, 'invalid_json');
    await expectError(await api('POST', '/users', { rawBody: '[1]' }), 400, 'invalid_json');
    expect(await counts()).toEqual(before);
    const handle = `h${Date.now().toString(36)}`.padEnd(30, 'x');
    expect((await api('POST', '/users', { body: { handle } })).status).toBe(201);
    await expectError(await api('POST', '/users', { body: { handle } }), 409, 'handle_taken');
    expect((await counts()).users).toBe(before.users + 1);
  });

  it('stores only a hash of the token, and the token authenticates', async () => {
    const alice = await createUser('hash');
    const row = await env.DB.prepare('SELECT token_hash FROM users WHERE id = ?').bind(alice.id).first<{ token_hash: string }>();
    expect(row?.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row?.token_hash).not.toContain(alice.token);
    expect((await timeline(alice, 'push')).status).toBe(200);
  });

  it("requires the owner's token: 401 without or with an unknown one, 403 with another user's", async () => {
    const alice = await createUser('auth');
    const mallory = await createUser('mal');
    const before = await counts();
    await expectError(await api('POST', `/users/${alice.id}/posts`, { body: { body: 'x' } }), 401, 'unauthorized');
    await expectError(await api('POST', `/users/${alice.id}/posts`, { token: 'not-a-token', body: { body: 'x' } }), 401, 'unauthorized');
    await expectError(await api('POST', `/users/${alice.id}/posts`, { token: mallory.token, body: { body: 'x' } }), 403, 'forbidden');
    await expectError(await api('GET', `/users/${alice.id}/timeline?mode=push`, { token: mallory.token }), 403, 'forbidden');
    await expectError(await api('PUT', `/users/${alice.id}/following/${mallory.id}`, { token: mallory.token }), 403, 'forbidden');
    expect(await counts()).toEqual(before);
  });

  it('answers a stranger 401 before any 400, and their read writes no timeline storage', async () => {
    const alice = await createUser('strange');
    await expectError(await api('GET', `/users/${alice.id}/timeline?mode=push&limit=99`, { token: 'nope' }), 401, 'unauthorized');
    await expectError(await api('GET', '/users/4242424242/timeline?mode=sideways'), 401, 'unauthorized');
    const tables = await runInDurableObject(env.INBOX.getByName('4242424242'), (_i: TimelineInbox, state) =>
      state.storage.sql.exec(`SELECT name FROM sqlite_master WHERE type = 'table'`).toArray(),
    );
    expect(tables.filter((t) => typeof t.name === 'string' && t.name.startsWith('timeline'))).toEqual([]);
  });

  it('refuses unknown users, self-follows, duplicate follows and unfollowing a stranger', async () => {
    const alice = await createUser('fol');
    const bob = await createUser('folb');
    const before = await counts();
    await expectError(await api('PUT', `/users/${alice.id}/following/123456789`, { token: alice.token }), 404, 'user_not_found');
    await expectError(await api('PUT', `/users/${alice.id}/following/${alice.id}`, { token: alice.token }), 400, 'self_follow');
    await expectError(await api('PUT', `/users/${alice.id}/following/abc`, { token: alice.token }), 400, 'invalid_id');
    await expectError(await api('DELETE', `/users/${alice.id}/following/${bob.id}`, { token: alice.token }), 404, 'not_following');
    expect(await counts()).toEqual(before);
    await follow(alice, bob);
    await expectError(await api('PUT', `/users/${alice.id}/following/${bob.id}`, { token: alice.token }), 409, 'already_following');
    await expectError(
      await api('DELETE', `/users/${alice.id}/following/${bob.id}?keep_history=maybe`, { token: alice.token }),
      400,
      'invalid_parameter',
    );
    const profile = await (await api('GET', `/users/${bob.id}`)).json<Record<string, unknown>>();
    expect(profile).toMatchObject({ follower_count: 1, following_count: 0 });
    expect((await counts()).follows).toBe(before.follows + 1);
    await expectError(await api('GET', '/users/999999999'), 404, 'user_not_found');
  });

  it('takes posts of up to MAX_POST_LENGTH = 500 code points and refuses 501, empty and non-string bodies', async () => {
    const alice = await createUser('len');
    const before = await counts();
    const tooLong = await expectError(
      await api('POST', `/users/${alice.id}/posts`, { token: alice.token, body: { body: 'é'.repeat(501) } }),
      400,
      'post_too_long',
    );
    expect(tooLong.limit).toBe(500);
    await expectError(await api('POST', `/users/${alice.id}/posts`, { token: alice.token, body: { body: '   ' } }), 400, 'empty_post');
    await expectError(await api('POST', `/users/${alice.id}/posts`, { token: alice.token, body: { body: 42 } }), 400, 'invalid_post');
    expect(await counts()).toEqual(before);
    // 500 astral characters (two UTF-16 units each) are 500 code points: accepted.
    const p = await post(alice, '😀'.repeat(500));
    expect([...p.body].length).toBe(500);
  });

  it('refuses a post holding a lone surrogate (JSON \\ud800 escapes) with 400 naming it, and keeps paired ones', async () => {
    const alice = await createUser('sur');
    const before = await counts();
    // JSON text may escape a lone surrogate; Unicode text cannot hold one (RFC 8259 §8.2).
    for (const [raw, unit, index] of [
      ['"\\ud800"', 'D800', 0],
      ['"ok \\udfff"', 'DFFF', 3],
      ['"\\udc00\\ud800"', 'DC00', 0],
      ['"x\\ud83d"', 'D83D', 1],
    ] as const) {
      const refused = await expectError(
        await api('POST', `/users/${alice.id}/posts`, { token: alice.token, rawBody: `{"body":${raw}}` }),
        400,
        'invalid_post',
      );
      expect(refused.message).toBe(`body holds a lone surrogate (\\u${unit} at index ${index}): not valid Unicode text`);
    }
    // The bulk load checks posts with the same rule.
    const bulk = await api('POST', '/admin/bulk', {
      token: 'test-token',
      rawBody: `{"posts":[{"author":"${alice.id}","body":"\\ud800"}]}`,
    });
    expect((await expectError(bulk, 400, 'invalid_post')).message).toContain('posts[0]: body holds a lone surrogate');
    expect(await counts()).toEqual(before);
    // A pair spelled as two escapes is one astral character: stored and read back as sent.
    const created = await api('POST', `/users/${alice.id}/posts`, { token: alice.token, rawBody: '{"body":"\\ud83d\\ude00 ok"}' });
    expect(created.status).toBe(201);
    const { id } = await created.json<{ id: string }>();
    expect((await (await api('GET', `/posts/${id}`)).json<{ body: string }>()).body).toBe('\u{1F600} ok');
  });

  it('refuses bodies over MAX_BODY_BYTES = 16384 with 413', async () => {
    const alice = await createUser('big');
    const before = await counts();
    const padding = 'x'.repeat(16384);
    await expectError(
      await api('POST', `/users/${alice.id}/posts`, { token: alice.token, rawBody: JSON.stringify({ body: 'hi', padding }) }),
      413,
      'payload_too_large',
    );
    expect(await counts()).toEqual(before);
    // Exactly 16384 bytes is accepted.
    const exact = JSON.stringify({ body: 'hi', pad: '' });
    const fill = 'y'.repeat(16384 - exact.length);
    const ok = await api('POST', `/users/${alice.id}/posts`, { token: alice.token, rawBody: JSON.stringify({ body: 'hi', pad: fill }) });
    expect(ok.status).toBe(201);
  });

  it('refuses bad cursors, limits outside 1..PAGE_LIMIT_MAX (40) and unknown modes', async () => {
    const alice = await createUser('cur');
    for (let i = 0; i < 3; i++) await post(alice, `c${i}`);
    for (const q of ['max_id=abc', 'since_id=-1', 'min_id=0', 'max_id=9223372036854775808', 'max_id=1.5']) {
      const body = await expectError(await timeline(alice, 'push', q), 400, 'invalid_cursor');
      expect(body.param).toBe(q.split('=')[0]);
    }
    for (const q of ['limit=0', 'limit=41', 'limit=-3', 'limit=ten']) {
      const body = await expectError(await timeline(alice, 'pull', q), 400, 'invalid_limit');
      expect(body.max).toBe(40);
    }
    expect((await timeline(alice, 'pull', 'limit=40')).status).toBe(200);
    expect((await pageIds(await timeline(alice, 'pull', 'limit=1'))).length).toBe(1);
    expect((await pageIds(await timeline(alice, 'pull', 'max_id=9223372036854775807'))).length).toBe(3);
    await expectError(await timeline(alice, 'sideways'), 400, 'invalid_mode');
    await expectError(await api('GET', `/users/${alice.id}/posts?limit=41`), 400, 'invalid_limit');
  });

  it("deletes only the author's own existing posts", async () => {
    const alice = await createUser('own');
    const bob = await createUser('ownb');
    const p = await post(alice, 'mine');
    await expectError(await api('DELETE', `/users/${bob.id}/posts/${p.id}`, { token: bob.token }), 404, 'post_not_found');
    await expectError(await api('DELETE', `/users/${alice.id}/posts/12345`, { token: alice.token }), 404, 'post_not_found');
    expect((await api('GET', `/posts/${p.id}`)).status).toBe(200);
  });

  it('answers unknown routes with a JSON 404', async () => {
    await expectError(await api('GET', '/nope'), 404, 'not_found');
  });
});

describe('admin bulk load', () => {
  it('requires PUSHPULL_TOKEN', async () => {
    await expectError(await api('POST', '/admin/bulk', { body: { users: [] } }), 401, 'unauthorized');
    await expectError(await api('POST', '/admin/bulk', { token: 'wrong', body: { users: [] } }), 401, 'unauthorized');
    await expectError(await api('GET', '/admin/fanout'), 401, 'unauthorized');
  });

  it('loads users and follows with counts, all or nothing, at most BULK_MAX_ITEMS (50 here)', async () => {
    const tag = Date.now().toString(36);
    const res = await api('POST', '/admin/bulk', {
      token: 'test-token',
      body: { users: [0, 1, 2].map((i) => ({ handle: `bulk_${tag}_${i}`, token: `bulk-token-${tag}-${i}-xxxxxxxx` })) },
    });
    expect(res.status).toBe(201);
    const made = (await res.json<{ users: { id: string }[] }>()).users;
    const [a, b, c] = made.map((u) => u.id);
    const linked = await api('POST', '/admin/bulk', {
      token: 'test-token',
      body: {
        follows: [
          [b, a],
          [c, a],
          [c, b],
        ],
      },
    });
    expect(linked.status).toBe(201);
    expect(await (await api('GET', `/users/${a}`)).json()).toMatchObject({ follower_count: 2, following_count: 0 });
    expect(await (await api('GET', `/users/${c}`)).json()).toMatchObject({ following_count: 2 });
    // The stored token works for the user.
    const userA = { id: a, handle: `bulk_${tag}_0`, token: `bulk-token-${tag}-0-xxxxxxxx` };
    expect((await timeline(userA, 'pull')).status).toBe(200);
    const before = await counts();
    await expectError(await api('POST', '/admin/bulk', { token: 'test-token', body: { follows: [[a, a]] } }), 400, 'self_follow');
    await expectError(await api('POST', '/admin/bulk', { token: 'test-token', body: { follows: [[a, '77777']] } }), 400, 'user_not_found');
    await expectError(
      await api('POST', '/admin/bulk', {
        token: 'test-token',
        body: {
          users: [
            { handle: `bulk_${tag}_new`, token: 'long-enough-token-1' },
            { handle: `bulk_${tag}_0`, token: 'long-enough-token-2' },
          ],
        },
      }),
      409,
      'handle_taken',
    );
    const fifty = Array.from({ length: 50 }, () => [b, a]);
    expect((await api('POST', '/admin/bulk', { token: 'test-token', body: { follows: fifty } })).status).toBe(201);
    await expectError(
      await api('POST', '/admin/bulk', { token: 'test-token', body: { follows: [...fifty, [b, a]] } }),
      400,
      'too_many_items',
    );
    expect(await counts()).toEqual(before);
    // BULK_MAX_BODY_BYTES = 8192 here: exactly 8192 bytes is read, one more is 413.
    const padTo = (n: number): string => {
      const bare = JSON.stringify({ users: [], pad: '' });
      return JSON.stringify({ users: [], pad: 'p'.repeat(n - bare.length) });
    };
    expect((await api('POST', '/admin/bulk', { token: 'test-token', rawBody: padTo(8192) })).status).toBe(201);
    await expectError(await api('POST', '/admin/bulk', { token: 'test-token', rawBody: padTo(8193) }), 413, 'payload_too_large');
    expect(await counts()).toEqual(before);
    const backlog = await api('GET', '/admin/fanout', { token: 'test-token' });
    expect(await backlog.json()).toHaveProperty('pending_steps');
  });

  it('bulk-loads history posts without fan-out; /admin/rebuild puts them in pushed timelines (ADMIN_REBUILD_MAX = 3 users)', async () => {
    const author = await createUser('hist');
    const readers = await createFollowers(author, 'hista', 'histb', 'histc', 'histd');
    const stepsBefore = (await counts()).steps;
    const res = await api('POST', '/admin/bulk', {
      token: 'test-token',
      body: {
        posts: [
          { author: author.id, body: 'old 1' },
          { author: author.id, body: 'old 2' },
        ],
      },
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ posts: 2 });
    expect((await counts()).steps).toBe(stepsBefore);
    const pulled = await pageIds(await timeline(readers[0], 'pull'));
    expect(pulled.length).toBe(2);
    expect(await pageIds(await timeline(readers[0], 'push'))).toEqual([]);
    // 4 followers > HYBRID_THRESHOLD = 2: the history is merged into hybrid reads from D1.
    expect(await pageIds(await timeline(readers[0], 'hybrid'))).toEqual(pulled);
    const four = readers.map((r) => r.id);
    await expectError(await api('POST', '/admin/rebuild', { token: 'test-token', body: { users: four } }), 400, 'too_many_items');
    await expectError(await api('POST', '/admin/rebuild', { token: 'test-token', body: { users: ['x'] } }), 400, 'invalid_bulk');
    await expectError(await api('POST', '/admin/rebuild', { body: { users: [four[0]] } }), 401, 'unauthorized');
    const rebuilt = await api('POST', '/admin/rebuild', { token: 'test-token', body: { users: four.slice(0, 3) } });
    expect(rebuilt.status).toBe(200);
    expect(await rebuilt.json()).toEqual({ users: 3, written: { push: 6, hybrid: 0 } });
    for (const r of readers.slice(0, 3)) expect(await pageIds(await timeline(r, 'push'))).toEqual(pulled);
    await expectError(
      await api('POST', '/admin/bulk', { token: 'test-token', body: { posts: [{ author: author.id, body: 'x'.repeat(501) }] } }),
      400,
      'post_too_long',
    );
    await expectError(
      await api('POST', '/admin/bulk', { token: 'test-token', body: { posts: [{ author: '31337', body: 'x' }] } }),
      400,
      'user_not_found',
    );
  });

  it('/admin/probe calls each named inbox and writes nothing (at most FANOUT_CHUNK = 2 users)', async () => {
    const author = await createUser('probe');
    const reader = await createUser('prober');
    const fresh = await createUser('probef');
    await follow(reader, author);
    await post(author, 'probed');
    await settle();
    const before = await env.INBOX.getByName(reader.id).size();
    expect(before.push).toBe(1);
    const res = await api('POST', '/admin/probe', { token: 'test-token', body: { users: [reader.id, fresh.id] } });
    expect(res.status).toBe(200);
    const body = await res.json<{ users: number; failed: number; ms: number }>();
    expect(body).toMatchObject({ users: 2, failed: 0 });
    expect(typeof body.ms).toBe('number');
    expect(await env.INBOX.getByName(reader.id).size()).toEqual(before);
    // A probe of an inbox that never had a write creates no tables.
    await runInDurableObject(env.INBOX.getByName(fresh.id), (_instance: TimelineInbox, state) => {
      expect(state.storage.sql.exec(`SELECT name FROM sqlite_master WHERE name LIKE 'timeline_%'`).toArray()).toEqual([]);
    });
    await expectError(
      await api('POST', '/admin/probe', { token: 'test-token', body: { users: [reader.id, fresh.id, author.id] } }),
      400,
      'too_many_items',
    );
    await expectError(await api('POST', '/admin/probe', { token: 'test-token', body: { users: [] } }), 400, 'invalid_bulk');
    await expectError(await api('POST', '/admin/probe', { token: 'test-token', body: { users: ['x'] } }), 400, 'invalid_bulk');
    await expectError(await api('POST', '/admin/probe', { body: { users: [reader.id] } }), 401, 'unauthorized');
  });
});
