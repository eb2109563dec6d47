/**
 * The news feed workload shared by `bench/feed.ts` and `npm run compare`: a Zipf follow graph
 * bulk-loaded through the feed Worker's admin API, the post script's authors, and the calls
 * both make to the Worker.
 */
import { rng } from './random';

/** The answer of one feed call, with its client-side latency. */
export interface FeedAnswer<T> {
  status: number;
  json: T;
  headers: Headers;
  ms: number;
}

/** One call to the feed Worker at `base`; 4xx/5xx throw with the status and the start of the body. */
export async function feedCall<T>(base: string, method: string, path: string, token?: string, body?: unknown): Promise<FeedAnswer<T>> {
  const t0 = performance.now();
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status >= 400) throw new Error(`${method} ${path} -> ${res.status} ${text.slice(0, 300)}`);
  return { status: res.status, json: (text ? JSON.parse(text) : null) as T, headers: res.headers, ms };
}

/** A user of the loaded graph: its id, its token, and its rank (1 = the most followed). */
export interface FeedUser {
  id: string;
  token: string;
  rank: number;
}

/**
 * Zipf follower counts: the user of rank r has round(topFollowers / r) followers, picked at
 * random (seeded) among the others, so a few accounts are followed by most users and most by
 * few. Edges are [follower, followee] indexes (index = rank - 1).
 */
function buildFollowGraph(n: number, topFollowers: number, seed = 42): [number, number][] {
  const random = rng(seed);
  const edges: [number, number][] = [];
  for (let rank = 1; rank <= n; rank++) {
    const followee = rank - 1;
    const want = Math.max(1, Math.round(topFollowers / rank));
    const chosen = new Set<number>();
    if (want >= n - 1) {
      for (let f = 0; f < n; f++) if (f !== followee) chosen.add(f);
    } else {
      while (chosen.size < want) {
        const f = Math.floor(random() * n);
        if (f !== followee) chosen.add(f);
      }
    }
    for (const f of chosen) edges.push([f, followee]);
  }
  return edges;
}

/** The loaded graph: users by rank, follower counts by rank index, the top author's followers. */
export interface LoadedGraph {
  users: FeedUser[];
  followers: number[];
  topFollowers: string[];
}

/**
 * Loads `n` users and the Zipf graph through `POST /admin/bulk` (users in batches of 2,000,
 * follows in batches of 9,000); `beforeBatch` is called before each follow batch (a budget check).
 */
export async function loadFollowGraph(
  base: string,
  adminToken: string,
  n: number,
  topFollowers: number,
  beforeBatch: () => void = () => undefined,
): Promise<LoadedGraph> {
  const users: FeedUser[] = [];
  const USER_BATCH = 2000;
  for (let i = 0; i < n; i += USER_BATCH) {
    const batch = Array.from({ length: Math.min(USER_BATCH, n - i) }, (_, j) => ({
      handle: `u${i + j}`,
      token: `bench-user-token-${i + j}-0123456789`,
    }));
    const res = await feedCall<{ users: { id: string; handle: string }[] }>(base, 'POST', '/admin/bulk', adminToken, { users: batch });
    res.json.users.forEach((u, j) => users.push({ id: u.id, token: batch[j].token, rank: i + j + 1 }));
  }
  const edges = buildFollowGraph(n, topFollowers);
  const followers = new Array<number>(n).fill(0);
  for (const [, b] of edges) followers[b]++;
  const FOLLOW_BATCH = 9000;
  for (let i = 0; i < edges.length; i += FOLLOW_BATCH) {
    beforeBatch();
    const slice = edges.slice(i, i + FOLLOW_BATCH).map(([a, b]) => [users[a].id, users[b].id]);
    await feedCall(base, 'POST', '/admin/bulk', adminToken, { follows: slice });
  }
  return { users, followers, topFollowers: edges.filter(([, b]) => b === 0).map(([a]) => users[a].id) };
}

/** Authors of the post script: Fibonacci ranks (followers ~ top / rank) plus 10 random users (seeded). */
export function postAuthors(n: number): number[] {
  const ranks: number[] = [];
  for (let a = 1, b = 2; a <= n; [a, b] = [b, a + b]) ranks.push(a);
  const random = rng(7);
  for (let i = 0; i < 10; i++) ranks.push(1 + Math.floor(random() * n));
  return ranks;
}

/** Waits until the fan-out queue has no pending steps (`GET /admin/fanout`), at most `timeoutMs`. */
export async function waitForFanout(base: string, adminToken: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await feedCall<{ pending_steps: number }>(base, 'GET', '/admin/fanout', adminToken);
    if (res.json.pending_steps === 0) return;
    if (Date.now() > deadline) throw new Error(`fan-out still has ${res.json.pending_steps} steps pending after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What `GET /posts/<id>` says of a post's fan-out. */
export interface PostStatus {
  fanout: { hybrid_pushed: boolean; settled: boolean; settled_after_ms: number; push_rows: number; hybrid_rows: number };
}
