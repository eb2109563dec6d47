// Property-based fuzzing of every feed entry point (issue 16, "How to make it stay fixed"):
// random methods, paths, ids, cursors, headers and bodies (JSON and not, lone surrogates
// included), each with a time budget. No input may get a 5xx or hang, every refusal is the
// JSON error shape, a refused request changes nothing, an accepted post reads back as sent,
// and the data stored before survives.
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, createUser, follow, pageIds, post, settle, timeline, type TestUser } from './feed-client';

/** Longest a single request may take before it counts as a hang. */
const BUDGET_MS = 2000;

async function counts(): Promise<string> {
  const row = await env.DB.prepare(
    `SELECT (SELECT COUNT(*) FROM users) AS users, (SELECT COUNT(*) FROM follows) AS follows,
            (SELECT COUNT(*) FROM posts) AS posts, (SELECT COUNT(*) FROM fanout_chunks) AS steps`,
  ).first<Record<string, number>>();
  return JSON.stringify(row);
}

/** A fetch that fails the property instead of waiting past the budget. */
async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${BUDGET_MS} ms: ${what}`)), BUDGET_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What only the user can change about themselves (others may follow them). */
async function profile(user: TestUser): Promise<Record<string, unknown>> {
  const { id, handle, created_at, following_count } = await (await api('GET', `/users/${user.id}`)).json<Record<string, unknown>>();
  return { id, handle, created_at, following_count };
}

/** A string that may hold lone UTF-16 surrogates (which `fc.string` never makes). */
const surrogateText = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.integer({ min: 0xd800, max: 0xdfff }).map((u) => String.fromCharCode(u)),
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join(''));

describe('feed entry points under random input', () => {
  let alice: TestUser;
  let bob: TestUser;
  // Carol's token is never given to the fuzzer: what she stored must come out unchanged.
  let carol: TestUser;
  let carolPost: { id: string; body: string };
  let carolProfile: Record<string, unknown>;

  beforeAll(async () => {
    alice = await createUser('fza');
    bob = await createUser('fzb');
    carol = await createUser('fzc');
    await follow(bob, alice);
    await follow(carol, alice);
    await post(alice, 'stored before the fuzzing');
    carolPost = await post(carol, 'carol was here first');
    await settle();
    carolProfile = await profile(carol);
  });

  it('never answer 5xx or hang, refuse with a JSON error that changes nothing, and keep what was stored', async () => {
    // Mostly ids the store knows (Alice's and Bob's, whose tokens the fuzzer has), some it
    // knows but must not touch (Carol's), and malformed ones.
    const malformed = fc.oneof(
      fc.constantFrom('0', '1', '01', '-1', '1e3', '9223372036854775807', '9223372036854775808', 'abc', ' ', '..'),
      fc.bigInt({ min: 0n, max: 2n ** 70n }).map(String),
      fc.string({ maxLength: 12 }),
    );
    const id = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(alice.id, bob.id) },
      { weight: 1, arbitrary: fc.constantFrom(carol.id, carolPost.id) },
      { weight: 3, arbitrary: malformed },
    );
    // The operator's bulk load may legitimately write anything for anyone: not for Carol.
    const adminId = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(alice.id, bob.id) }, { weight: 3, arbitrary: malformed });
    const seg = (a: string): string => encodeURIComponent(a);
    const cursor = fc.oneof(id, fc.constantFrom('0', '1', '9223372036854775807', '9223372036854775808', ''), surrogateText);
    const page = fc.record(
      {
        limit: fc.oneof(fc.constantFrom('0', '1', '20', '40', '41', '-1', '1.5', ''), fc.string({ maxLength: 4 })),
        max_id: cursor,
        min_id: cursor,
        since_id: cursor,
        mode: fc.oneof(fc.constantFrom('push', 'pull', 'hybrid'), fc.string({ maxLength: 6 })),
        keep_history: fc.oneof(fc.constantFrom('true', 'false'), fc.string({ maxLength: 6 })),
      },
      { requiredKeys: [] },
    );
    const postBody = fc
      .oneof(
        fc.record(
          {
            body: fc.oneof(
              surrogateText,
              fc.string({ maxLength: 600 }),
              fc.constantFrom('', '   ', 'é'.repeat(501), '😀'.repeat(500)),
              fc.jsonValue({ maxDepth: 1 }),
            ),
          },
          { requiredKeys: [] },
        ),
        fc.jsonValue({ maxDepth: 2 }),
      )
      .map((v) => JSON.stringify(v));
    const handleBody = fc
      .oneof(
        fc.record(
          { handle: fc.oneof(surrogateText, fc.stringMatching(/^[a-z0-9_]{1,32}$/), fc.jsonValue({ maxDepth: 1 })) },
          { requiredKeys: [] },
        ),
        fc.jsonValue({ maxDepth: 2 }),
      )
      .map((v) => JSON.stringify(v));
    const bulkBody = fc
      .record(
        {
          users: fc.array(
            fc.oneof(
              fc.jsonValue({ maxDepth: 1 }),
              fc.record(
                {
                  handle: fc.oneof(fc.stringMatching(/^[a-z0-9_]{1,12}$/), surrogateText),
                  token: fc.oneof(fc.string({ maxLength: 40 }), fc.constant('t'.repeat(16))),
                },
                { requiredKeys: [] },
              ),
            ),
            { maxLength: 4 },
          ),
          follows: fc.array(fc.oneof(fc.tuple(adminId, adminId), fc.jsonValue({ maxDepth: 1 })), { maxLength: 3 }),
          posts: fc.array(
            fc.record({ author: adminId, body: fc.oneof(surrogateText, fc.string({ maxLength: 20 })) }, { requiredKeys: [] }),
            { maxLength: 3 },
          ),
        },
        { requiredKeys: [] },
      )
      .map((v) => JSON.stringify(v));
    const userList = fc
      .oneof(fc.record({ users: fc.array(adminId, { maxLength: 5 }) }), fc.jsonValue({ maxDepth: 2 }))
      .map((v) => JSON.stringify(v));
    const rawBody = fc.oneof(fc.constant(undefined), fc.constant(''), fc.constant('{'), surrogateText, fc.json({ maxDepth: 3 }));
    const endpoint = fc.oneof(
      fc.record({ method: fc.constant('POST'), path: fc.constant('/users'), body: fc.oneof(handleBody, rawBody) }),
      fc.record({ method: fc.constant('GET'), path: id.map((a) => `/users/${seg(a)}`) }),
      fc.record({
        method: fc.constantFrom('PUT', 'DELETE'),
        path: fc.tuple(id, id).map(([a, b]) => `/users/${seg(a)}/following/${seg(b)}`),
        query: page,
      }),
      fc.record({ method: fc.constant('POST'), path: id.map((a) => `/users/${seg(a)}/posts`), body: fc.oneof(postBody, rawBody) }),
      fc.record({ method: fc.constant('GET'), path: id.map((a) => `/users/${seg(a)}/posts`), query: page }),
      fc.record({ method: fc.constant('DELETE'), path: fc.tuple(id, id).map(([a, b]) => `/users/${seg(a)}/posts/${seg(b)}`) }),
      fc.record({ method: fc.constant('GET'), path: id.map((a) => `/posts/${seg(a)}`) }),
      fc.record({ method: fc.constant('GET'), path: id.map((a) => `/users/${seg(a)}/timeline`), query: page }),
      fc.record({ method: fc.constant('POST'), path: fc.constant('/admin/bulk'), body: fc.oneof(bulkBody, rawBody) }),
      fc.record({
        method: fc.constant('POST'),
        path: fc.constantFrom('/admin/rebuild', '/admin/probe'),
        body: fc.oneof(userList, rawBody),
      }),
      fc.record({ method: fc.constant('GET'), path: fc.constant('/admin/fanout') }),
      // Anything else: any method on any of those paths, or on a random one.
      fc.record({
        method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
        path: fc.oneof(
          fc.constantFrom('/', '/users/', '//users', '/admin', '/posts'),
          fc.string({ maxLength: 20 }).map((x) => `/${seg(x)}`),
        ),
        body: rawBody,
      }),
    );
    // Usually the token of the user the path names (so handlers get past the owner check).
    const authorization = fc.oneof(
      { weight: 6, arbitrary: fc.constant('owner') },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          undefined,
          'alice',
          'bob',
          'Bearer test-token',
          'Bearer',
          'Token test-token',
          'Basic YTpi',
          'Bearer x'.repeat(300),
        ),
      },
    );
    const request = fc
      .record({
        endpoint,
        authorization,
        contentType: fc.constantFrom(undefined, 'application/json', 'text/plain', 'application/x-www-form-urlencoded'),
      })
      .map(({ endpoint: e, authorization: auth, contentType }) => ({
        method: e.method,
        path: e.path,
        query: 'query' in e && e.query ? e.query : {},
        body: 'body' in e ? e.body : undefined,
        authorization:
          auth === 'owner' ? (e.path.startsWith('/admin') ? 'Bearer test-token' : e.path.includes(bob.id) ? 'bob' : 'alice') : auth,
        contentType,
      }));

    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const url = new URL(`http://feed.test${r.path}`);
        for (const [k, v] of Object.entries(r.query)) url.searchParams.set(k, v);
        const headers: Record<string, string> = {};
        if (r.authorization === 'alice') headers.authorization = `Bearer ${alice.token}`;
        else if (r.authorization === 'bob') headers.authorization = `Bearer ${bob.token}`;
        else if (r.authorization !== undefined) headers.authorization = r.authorization;
        if (r.contentType) headers['content-type'] = r.contentType;
        const what = `${r.method} ${url.pathname}${url.search}`;
        const stored = await counts();
        const res = await within(
          api(r.method, `${url.pathname}${url.search}`, {
            rawBody: r.method === 'GET' || r.method === 'HEAD' ? undefined : r.body,
            headers,
          }),
          what,
        );
        const text = await within(res.text(), what);
        expect(res.status, `${what}: ${text.slice(0, 200)}`).toBeLessThan(500);
        // An accepted post is stored as sent (a lone surrogate once came back as U+FFFD).
        if (res.status === 201 && /^\/users\/[^/]+\/posts$/.test(url.pathname) && r.body !== undefined) {
          const sent = (JSON.parse(r.body) as { body: string }).body;
          const created = JSON.parse(text) as { id: string; body: string };
          // Compared as JSON text: a lone surrogate is escaped there, so a failure report can carry it.
          expect(JSON.stringify(created.body), what).toBe(JSON.stringify(sent));
          expect(JSON.stringify((await (await api('GET', `/posts/${created.id}`)).json<{ body: string }>()).body), what).toBe(
            JSON.stringify(sent),
          );
        }
        if (res.status >= 400 && r.method !== 'HEAD') {
          expect(res.headers.get('content-type'), what).toContain('application/json');
          const error = JSON.parse(text) as Record<string, unknown>;
          expect(typeof error.error, what).toBe('string');
          expect(typeof error.message, what).toBe('string');
          expect(await counts(), `${what} was refused (${res.status}) but changed the store`).toBe(stored);
        }
      }),
      { numRuns: 400, endOnFailure: true },
    );

    // What Carol stored is unchanged, and her timelines still agree in every mode.
    await settle();
    const stillThere = await api('GET', `/posts/${carolPost.id}`);
    expect(stillThere.status).toBe(200);
    expect((await stillThere.json<{ body: string }>()).body).toBe(carolPost.body);
    expect(await profile(carol)).toEqual(carolProfile);
    // Posts the admin bulk-loaded (history, never fanned out) reach pushed timelines by a rebuild, as documented.
    expect((await api('POST', '/admin/rebuild', { token: 'test-token', body: { users: [carol.id] } })).status).toBe(200);
    const pull = await pageIds(await timeline(carol, 'pull'));
    expect(pull).toContain(carolPost.id);
    for (const mode of ['push', 'hybrid']) expect(await pageIds(await timeline(carol, mode)), `carol's ${mode} timeline`).toEqual(pull);
  });
});
