/**
 * News feed, push vs pull vs hybrid, on the feed bench's power-law graph.
 *
 * The graph (bench/lib/feed-workload.ts: user of rank r has top/r followers) is loaded once
 * through the admin bulk API; every configuration then starts the feed Worker on a copy of that
 * state and replays the same seeded script: history, then for each load of the sweep (a post
 * rate and a read rate) a phase of posts (the post script's authors, in turn) and timeline
 * reads (random readers, open loop). Configurations:
 *
 * | label | FANOUT_MODES | timelines read |
 * |---|---|---|
 * | pull | none | `mode=pull`: merged from the followees' posts in D1 at read time |
 * | push | push | `mode=push`: each post id written into every follower's inbox |
 * | hybrid@T | hybrid, HYBRID_THRESHOLD=T | `mode=hybrid`: authors over T followers merged at read |
 *
 * Measured per configuration: timeline rows written per post (the Worker's own count, from
 * `GET /posts/<id>`), rows read per page (`X-Feed-Rows-Read`, D1's count), read latency at each
 * read rate, visibility lag (post to fan-out settled) for ordinary and huge authors, and the
 * storage the run added (D1 + Durable Objects on disk).
 */
import { feedCall, loadFollowGraph, postAuthors, waitForFanout, type FeedUser, type PostStatus } from '../../bench/lib/feed-workload';
import { mean, quantile, rng, sortNum } from '../../bench/lib/random';
import { localStateBytes, stateGrowth, type StoreBytes, type StoreKind } from '../local-state';
import { STACK_TOKEN, type Stack } from '../stack';

/** The feed workload's knobs. */
export interface FeedSettings {
  users: number;
  topFollowers: number;
  thresholds: number[];
  /** The sweep: one phase per load (posts and timeline reads per second). */
  loads: Array<{ postsPerSecond: number; readsPerSecond: number }>;
  phaseSeconds: number;
  /** Readers sampled (their timelines are rebuilt after the history is loaded). */
  readers: number;
  historyAuthors: number;
  historyPosts: number;
  /** Authors with at least this many followers count as huge. */
  hugeFollowers: number;
  seed: number;
}

type ReadMode = 'push' | 'pull' | 'hybrid';

/** One configuration's figures. */
interface FeedConfigFigures {
  label: string;
  mode: ReadMode;
  threshold: number | null;
  posts: number;
  rowsWrittenPerPost: number;
  rowsReadPerPage: number;
  itemsPerPage: number;
  /** One per load: read latency, and the rows the phase's posts wrote and its reads read. */
  reads: Array<{
    postsPerSecond: number;
    readsPerSecond: number;
    count: number;
    failed: number;
    p50: number;
    p99: number;
    posts: number;
    rowsWritten: number;
    rowsRead: number;
  }>;
  visibility: { ordinary: { n: number; p50: number; p99: number }; huge: { n: number; p50: number; p99: number } };
  postMs: { p50: number; p99: number };
  storage: Record<StoreKind, StoreBytes>;
}

export interface FeedResult {
  settings: FeedSettings;
  graph: { users: number; follows: number; followersOfRank: Record<string, number> };
  configs: FeedConfigFigures[];
}

const PAGE = 20;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

function figures(xs: number[]): { n: number; p50: number; p99: number } {
  const s = sortNum(xs);
  return { n: s.length, p50: quantile(s, 0.5), p99: quantile(s, 0.99) };
}

/** Runs the feed comparison. */
export async function runFeed(settings: FeedSettings, stack: Stack, log: (line: string) => void): Promise<FeedResult> {
  const loader = await stack.start('feed', 'feed-graph', {}, '/users/1');
  log(`feed: loading ${settings.users} users with Zipf follower counts (top author ${settings.topFollowers} followers)`);
  const graph = await loadFollowGraph(loader.url, STACK_TOKEN, settings.users, settings.topFollowers);
  await loader.stop();
  const follows = graph.followers.reduce((a, b) => a + b, 0);
  log(`feed: graph loaded, ${follows} follows`);

  const configs: Array<{ label: string; mode: ReadMode; threshold: number | null; vars: Record<string, string> }> = [
    { label: 'pull', mode: 'pull', threshold: null, vars: { FANOUT_MODES: ',' } },
    { label: 'push', mode: 'push', threshold: null, vars: { FANOUT_MODES: 'push' } },
    ...settings.thresholds.map((t) => ({
      label: `hybrid@${t}`,
      mode: 'hybrid' as const,
      threshold: t,
      vars: { FANOUT_MODES: 'hybrid', HYBRID_THRESHOLD: String(t) },
    })),
  ];
  // Every configuration's Worker starts at once (an idle Worker costs little), then they run one at a time.
  const workers = await Promise.all(
    configs.map((c) => stack.start('feed', `feed-${c.label.replace('@', '-')}`, c.vars, '/users/1', loader.stateDir)),
  );
  const out: FeedConfigFigures[] = [];
  for (const [i, c] of configs.entries()) {
    const worker = workers[i];
    try {
      out.push(await runConfiguration(settings, worker.url, worker.stateDir, graph.users, graph.followers, c, log));
    } finally {
      await worker.stop();
    }
  }
  const followersOfRank = Object.fromEntries(
    [1, 10, 100, 1000].filter((r) => r <= settings.users).map((r) => [String(r), graph.followers[r - 1]]),
  );
  return { settings, graph: { users: settings.users, follows, followersOfRank }, configs: out };
}

async function runConfiguration(
  settings: FeedSettings,
  base: string,
  stateDir: string,
  users: FeedUser[],
  followers: number[],
  c: { label: string; mode: ReadMode; threshold: number | null },
  log: (line: string) => void,
): Promise<FeedConfigFigures> {
  const random = rng(settings.seed * 101 + 9);
  const readers = Array.from({ length: settings.readers }, () => users[Math.floor(random() * users.length)]);
  // History (bulk, not fanned out), then the sampled readers' pushed timelines rebuilt from D1.
  const history = [];
  for (let k = 0; k < settings.historyPosts; k++) {
    for (let rank = 1; rank <= Math.min(settings.historyAuthors, users.length); rank++)
      history.push({ author: users[rank - 1].id, body: `history ${k} by rank ${rank}` });
  }
  if (history.length) await feedCall(base, 'POST', '/admin/bulk', STACK_TOKEN, { posts: history });
  if (c.mode !== 'pull') {
    for (let i = 0; i < readers.length; i += 100)
      await feedCall(base, 'POST', '/admin/rebuild', STACK_TOKEN, { users: readers.slice(i, i + 100).map((r) => r.id) });
  }
  const before = localStateBytes(stateDir);
  const authors = postAuthors(users.length);
  const posts: Array<{ id: string; rank: number; phase: number }> = [];
  const postMs: number[] = [];
  const rowsRead: number[] = [];
  const items: number[] = [];
  const reads: FeedConfigFigures['reads'] = [];
  let next = 0;
  const phaseRowsRead: number[] = [];
  for (const [phase, load] of settings.loads.entries()) {
    const rate = load.readsPerSecond;
    const readRandom = rng(settings.seed * 13 + phase);
    const latencies: number[] = [];
    let readRows = 0;
    let failed = 0;
    const pending: Promise<void>[] = [];
    let inFlight = 0;
    const t0 = performance.now();
    const end = t0 + settings.phaseSeconds * 1000;
    // Posts at the load's rate, in turn from the post script.
    const posting = (async () => {
      for (let k = 0; ; k++) {
        const due = t0 + (k / load.postsPerSecond) * 1000;
        if (due >= end) return;
        await sleep(due - performance.now());
        const rank = authors[next++ % authors.length];
        const u = users[rank - 1];
        try {
          const res = await feedCall<{ id: string }>(base, 'POST', `/users/${u.id}/posts`, u.token, {
            body: `post ${next} by rank ${rank}`,
          });
          posts.push({ id: res.json.id, rank, phase });
          postMs.push(res.ms);
        } catch (err) {
          log(`feed: ${c.label}: a post failed: ${String(err).slice(0, 200)}`);
        }
      }
    })();
    // Reads, open loop (Poisson at `rate`), at most 32 in flight.
    for (let t = t0; ;) {
      t += (-Math.log(1 - readRandom()) / rate) * 1000;
      if (t >= end) break;
      await sleep(t - performance.now());
      if (inFlight >= 32) {
        failed++;
        continue;
      }
      const reader = readers[Math.floor(readRandom() * readers.length)];
      inFlight++;
      pending.push(
        (async () => {
          try {
            const res = await feedCall<unknown[]>(base, 'GET', `/users/${reader.id}/timeline?mode=${c.mode}&limit=${PAGE}`, reader.token);
            latencies.push(res.ms);
            const n = Number(res.headers.get('x-feed-rows-read') ?? NaN);
            rowsRead.push(n);
            if (Number.isFinite(n)) readRows += n;
            items.push(res.json.length);
          } catch {
            failed++;
          } finally {
            inFlight--;
          }
        })(),
      );
    }
    await posting;
    await Promise.all(pending);
    const f = figures(latencies);
    phaseRowsRead.push(readRows);
    reads.push({ ...load, count: f.n, failed, p50: f.p50, p99: f.p99, posts: 0, rowsWritten: 0, rowsRead: readRows });
    log(
      `feed: ${c.label}: ${load.postsPerSecond} posts/s + ${rate} reads/s for ${settings.phaseSeconds} s` +
        `: read p50 ${f.p50.toFixed(1)} ms, p99 ${f.p99.toFixed(1)} ms`,
    );
  }
  await waitForFanout(base, STACK_TOKEN, 300_000);
  const statuses: Array<{ rank: number; phase: number; s: PostStatus }> = [];
  for (const p of posts)
    statuses.push({ rank: p.rank, phase: p.phase, s: (await feedCall<PostStatus>(base, 'GET', `/posts/${p.id}`)).json });
  const written = (s: PostStatus): number => (c.mode === 'push' ? s.fanout.push_rows : c.mode === 'hybrid' ? s.fanout.hybrid_rows : 0);
  const rows = statuses.map(({ s }) => written(s));
  for (const [phase, r] of reads.entries()) {
    const mine = statuses.filter((x) => x.phase === phase);
    r.posts = mine.length;
    r.rowsWritten = mine.reduce((n, x) => n + written(x.s), 0);
  }
  // Visible once fan-out settled; a post merged at read time (pull, or hybrid over the threshold) at once.
  const lag = (s: PostStatus): number =>
    c.mode === 'pull' || (c.mode === 'hybrid' && !s.fanout.hybrid_pushed) ? 0 : s.fanout.settled_after_ms;
  const huge = statuses.filter(({ rank }) => followers[rank - 1] >= settings.hugeFollowers);
  const ordinary = statuses.filter(({ rank }) => followers[rank - 1] < settings.hugeFollowers);
  const sPost = sortNum(postMs);
  return {
    label: c.label,
    mode: c.mode,
    threshold: c.threshold,
    posts: posts.length,
    rowsWrittenPerPost: mean(rows),
    rowsReadPerPage: mean(rowsRead.filter((x) => Number.isFinite(x))),
    itemsPerPage: mean(items),
    reads,
    visibility: { ordinary: figures(ordinary.map(({ s }) => lag(s))), huge: figures(huge.map(({ s }) => lag(s))) },
    postMs: { p50: quantile(sPost, 0.5), p99: quantile(sPost, 0.99) },
    storage: stateGrowth(before, localStateBytes(stateDir)),
  };
}
