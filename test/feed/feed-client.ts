// The feed API as the feed tests call it (in workerd): users, follows, posts, timelines, fan-out settling.
import { env, exports } from 'cloudflare:workers';
import { expect } from 'vitest';

/** A user as the tests hold it. */
export interface TestUser {
  id: string;
  handle: string;
  token: string;
}

/** A post as the API returns it. */
export interface ApiPost {
  id: string;
  author: { id: string; handle: string };
  body: string;
  created_at: string;
}

let counter = 0;

/** Calls the feed Worker. */
export async function api(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  return exports.default.fetch(`http://feed.test${path}`, { method, headers, body });
}

/** Creates a user with a unique handle. */
export async function createUser(prefix = 'u'): Promise<TestUser> {
  const handle = `${prefix}_${Date.now().toString(36)}_${counter++}`.slice(0, 30);
  const res = await api('POST', '/users', { body: { handle } });
  expect(res.status).toBe(201);
  const json = await res.json<{ id: string; handle: string; token: string }>();
  return { id: json.id, handle: json.handle, token: json.token };
}

/** `follower` follows `followee` (expects 201). */
export async function follow(follower: TestUser, followee: TestUser): Promise<void> {
  const res = await api('PUT', `/users/${follower.id}/following/${followee.id}`, { token: follower.token });
  expect(res.status, await res.clone().text()).toBe(201);
}

/** Creates one user per prefix, then has each follow `followee`; returns them in order. */
export async function createFollowers(followee: TestUser, ...prefixes: string[]): Promise<TestUser[]> {
  const followers: TestUser[] = [];
  for (const prefix of prefixes) followers.push(await createUser(prefix));
  for (const f of followers) await follow(f, followee);
  return followers;
}

/** `follower` unfollows `followee` (expects 200). */
export async function unfollow(follower: TestUser, followee: TestUser, keepHistory = false): Promise<void> {
  const q = keepHistory ? '?keep_history=true' : '';
  const res = await api('DELETE', `/users/${follower.id}/following/${followee.id}${q}`, { token: follower.token });
  expect(res.status, await res.clone().text()).toBe(200);
}

/** `author` posts `body` (expects 201) and returns the post. */
export async function post(author: TestUser, body: string): Promise<ApiPost> {
  const res = await api('POST', `/users/${author.id}/posts`, { token: author.token, body: { body } });
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json<ApiPost>();
}

/** Deletes a post (expects 204). */
export async function deletePost(author: TestUser, postId: string): Promise<void> {
  const res = await api('DELETE', `/users/${author.id}/posts/${postId}`, { token: author.token });
  expect(res.status, await res.clone().text()).toBe(204);
}

/** Reads one timeline page. */
export async function timeline(user: TestUser, mode: string, query = ''): Promise<Response> {
  return api('GET', `/users/${user.id}/timeline?mode=${mode}${query ? `&${query}` : ''}`, { token: user.token });
}

/** Reads a timeline page again while it answers 206 (a rebuild in progress; bounded: 10 s); returns the last answer. */
export async function timelineAfterRebuild(user: TestUser, mode: string): Promise<Response> {
  const deadline = Date.now() + 10_000;
  let res = await timeline(user, mode);
  while (res.status === 206 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    res = await timeline(user, mode);
  }
  return res;
}

/** The `fanout` object of `GET /posts/:id`. */
export async function fanoutStatus(postId: string): Promise<Record<string, unknown>> {
  return (await (await api('GET', `/posts/${postId}`)).json<{ fanout: Record<string, unknown> }>()).fanout;
}

/** Reads a whole timeline by following `Link: rel="next"`, returning the post ids newest first. */
export async function readAll(user: TestUser, mode: string, pageSize: number): Promise<string[]> {
  const out: string[] = [];
  let url: string | undefined = `http://feed.test/users/${user.id}/timeline?mode=${mode}&limit=${pageSize}`;
  for (let i = 0; i < 100 && url; i++) {
    const res = await exports.default.fetch(url, { headers: { authorization: `Bearer ${user.token}` } });
    expect(res.status, await res.clone().text()).toBe(200);
    const page = await res.json<ApiPost[]>();
    out.push(...page.map((p) => p.id));
    const link = res.headers.get('link');
    url = page.length === 0 || !link ? undefined : /<([^>]+)>; rel="next"/.exec(link)?.[1];
  }
  return out;
}

/** Waits until every fan-out step recorded in D1 is done (bounded: 20 s). */
export async function settle(): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const row = await env.DB.prepare('SELECT COUNT(*) AS n FROM fanout_chunks WHERE done_at IS NULL').first<{ n: number }>();
    if ((row?.n ?? 0) === 0) return;
    if (Date.now() > deadline) throw new Error(`fan-out did not settle: ${row?.n} steps pending`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Post ids of one page. */
export async function pageIds(res: Response): Promise<string[]> {
  return (await res.json<ApiPost[]>()).map((p) => p.id);
}
