// News feed benchmark: push (fan-out on write) vs pull (fan-out on read) vs hybrid, on a
// power-law follow graph, against the feed Worker running locally under `wrangler dev`.
//
//   npx tsx bench/feed.ts [--users 10001] [--top 10000] [--rounds 1] [--reads 200]
//                         [--thresholds 10,100,1000] [--history-authors 30] [--history-posts 8]
//                         [--budget 900] [--state-dir DIR] [--vars NAME=value,NAME=value]
//                         [--only-top]
//
// Steps: (1) load a Zipf follow graph once through the authenticated admin bulk-load
// endpoint and snapshot the local state; (2) for each configuration (push only, then hybrid
// at every HYBRID_THRESHOLD) start a Worker on a fresh copy of that state, replay the same
// post script, wait for fan-out to settle and read timelines. Everything is bounded in count
// and time (--budget seconds overall, default 900).
//
// The push configuration also measures the runtime's floor for the top author's fan-out in
// the same run: the same number of no-op RPC calls to the same (existing, idle) inbox Durable
// Objects, issued like the queue consumer issues its writes (POST /admin/probe), and prints
// the ratio fan-out / floor.
//
// --only-top: push only, no history, no reads: the top author posts once (creating the 10,000
// inboxes), then again once every inbox is idle (the measured post), then the floor. About a
// minute; use it to iterate on fan-out settings (--vars FANOUT_CONCURRENCY=50,...).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  feedCall,
  loadFollowGraph,
  postAuthors as scriptAuthors,
  waitForFanout as fanoutSettled,
  type FeedAnswer,
  type FeedUser as User,
  type LoadedGraph,
  type PostStatus,
} from './lib/feed-workload';
import { mean, quantile, rng, sortNum } from './lib/random';

const root = resolve(import.meta.dirname, '..');
const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i++) {
  const name = process.argv[i].replace(/^--/, '');
  const value = process.argv[i + 1];
  // A flag without a value (--only-top) is "true".
  if (value === undefined || value.startsWith('--')) {
    args.set(name, 'true');
  } else {
    args.set(name, value);
    i++;
  }
}
const ONLY_TOP = args.get('only-top') === 'true';
/** Extra wrangler vars for every configuration, e.g. --vars FANOUT_CONCURRENCY=50,FANOUT_CHUNK=100. */
const EXTRA_VARS: Record<string, string> = Object.fromEntries(
  (args.get('vars') ?? '')
    .split(',')
    .filter((kv) => kv.includes('='))
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const USERS = Number(args.get('users') ?? 10_001);
const TOP_FOLLOWERS = Math.min(USERS - 1, Number(args.get('top') ?? 10_000));
const ROUNDS = Number(args.get('rounds') ?? 1);
const READS = Number(args.get('reads') ?? 200);
const HISTORY_AUTHORS = Number(args.get('history-authors') ?? 30);
const HISTORY_PER_AUTHOR = Number(args.get('history-posts') ?? 8);
const THRESHOLDS = (args.get('thresholds') ?? '10,100,1000').split(',').map(Number);
const BUDGET_MS = Number(args.get('budget') ?? 900) * 1000;
const PORT = Number(args.get('port') ?? 19210);
const ADMIN = 'bench-admin-token';
const PAGE = 20;
const started = Date.now();
const wrangler = join(root, 'node_modules', '.bin', 'wrangler');
const config = join(root, 'workers', 'feed', 'wrangler.toml');
// Local state (D1 + one SQLite file per Durable Object). On tmpfs when available: the
// simulator's per-object files on a real disk measure the disk, not the design.
const out = args.get('state-dir') ?? (existsSync('/dev/shm') ? '/dev/shm/pushpull-feed-bench' : join(root, 'bench', 'out', 'feed'));
// X_LOCAL_OBSERVABILITY=false: wrangler dev otherwise streams a trace of every invocation
// (each Durable Object call included) to a local collector Worker, which doubled the cost of
// a warm no-op Durable Object call on the development machine. Deployed Workers have no such
// collector in the path, so the bench measures without it.
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', X_LOCAL_OBSERVABILITY: 'false' };
/** Idle time after which the local runtime has evicted a Durable Object (about 10 s, measured). */
const INBOX_IDLE_MS = 12_000;
/** Inboxes per timed slice of the floor measurement (see measureFloor). */
const FLOOR_SLICE = 5000;

function log(msg: string): void {
  process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
}
function checkBudget(what: string): void {
  if (Date.now() - started > BUDGET_MS) throw new Error(`time budget exceeded before ${what}`);
}

// ---------------------------------------------------------------- the Worker under test

class FeedServer {
  private child: ChildProcess | undefined;
  readonly base = `http://127.0.0.1:${PORT}`;
  /** Fan-out messages the consumer retried ("fan-out: ... failed ... retrying" log lines). */
  retriedMessages = 0;
  /** Storage errors logged by the runtime (SQLITE_CANTOPEN when it runs out of file descriptors). */
  storageErrors = 0;

  async start(stateDir: string, vars: Record<string, string>): Promise<void> {
    const varArgs = Object.entries({ PUSHPULL_TOKEN: ADMIN, ...vars, ...EXTRA_VARS }).flatMap(([k, v]) => ['--var', `${k}:${v}`]);
    this.child = spawn(
      wrangler,
      [
        'dev',
        '-c',
        config,
        '--ip',
        '127.0.0.1',
        '--port',
        String(PORT),
        '--persist-to',
        stateDir,
        '--show-interactive-dev-session=false',
        '--inspector-port',
        String(PORT + 1),
        '--log-level',
        'error',
        ...varArgs,
      ],
      { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    let stderr = '';
    const count = (text: string): void => {
      this.retriedMessages += text.match(/fan-out: \w+ failed \(attempt/g)?.length ?? 0;
      this.storageErrors += text.match(/SQLITE_CANTOPEN/g)?.length ?? 0;
    };
    this.child.stdout?.on('data', (d: Buffer) => count(d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => {
      count(d.toString());
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const res = await fetch(`${this.base}/users/1`);
        if (res.status === 404 || res.status === 200) return;
      } catch {
        /* not up yet */
      }
      if (this.child.exitCode !== null || Date.now() > deadline) throw new Error(`wrangler dev did not start: ${stderr}`);
      await sleep(200);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    process.kill(-child.pid, 'SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    this.child = undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const call = <T>(server: FeedServer, method: string, path: string, token?: string, body?: unknown): Promise<FeedAnswer<T>> =>
  feedCall<T>(server.base, method, path, token, body);
const loadGraph = (server: FeedServer): Promise<LoadedGraph> =>
  loadFollowGraph(server.base, ADMIN, USERS, TOP_FOLLOWERS, () => checkBudget('loading the graph'));
const postAuthors = (): number[] => scriptAuthors(USERS);
const waitForFanout = (server: FeedServer): Promise<void> => fanoutSettled(server.base, ADMIN);

// ---------------------------------------------------------------- graph

// ---------------------------------------------------------------- one configuration

interface RunResult {
  label: string;
  rowsWrittenPerPost: number;
  visibleP50: number;
  visibleP99: number;
  topAuthorVisibleMs: number;
  topAuthorChecked: string;
  /** The first post of the script (--only-top: the top author's post that creates the inboxes). */
  firstPostVisibleMs: number;
  reads: Record<string, { p50: number; p99: number; rowsRead: number; items: number }>;
  postMs: { p50: number; p99: number };
  /** Push only: the runtime's floor for the top author's fan-out, measured right after it. */
  floor?: Floor;
  retriedMessages: number;
  storageErrors: number;
}

/** No-op calls to the top author's followers' inboxes (the fan-out minus queue, D1 and writes). */
interface Floor {
  calls: number;
  failed: number;
  ms: number;
}

/** A wrangler var as the Worker sees it: --vars first, then wrangler.toml. */
function effectiveVar(name: string): number {
  const toml = readFileSync(config, 'utf8');
  const fromToml = new RegExp(`^${name} = "?([0-9]+)"?`, 'm').exec(toml)?.[1];
  return Number(EXTRA_VARS[name] ?? fromToml);
}

/**
 * The top author posts; returns the post id and when 20 random followers saw it (client
 * poll of their timelines, up to 60 s).
 */
async function topAuthorPost(
  server: FeedServer,
  users: User[],
  mode: 'push' | 'hybrid',
  random: () => number,
): Promise<{ id: string; checked: string }> {
  const top = users[0];
  const t0 = Date.now();
  const topPost = await call<{ id: string }>(server, 'POST', `/users/${top.id}/posts`, top.token, { body: 'the top author posts' });
  const sampleFollowers = Array.from({ length: 20 }, () => users[1 + Math.floor(random() * (USERS - 1))]);
  let seen = 0;
  let failedReads = 0;
  let fallbackReads = 0;
  const deadline = Date.now() + 60_000;
  const pending = new Set(sampleFollowers);
  while (pending.size > 0 && Date.now() < deadline) {
    for (const f of [...pending]) {
      try {
        const page = await call<{ id: string }[]>(server, 'GET', `/users/${f.id}/timeline?mode=${mode}&limit=5`, f.token);
        // A page answered from D1 because the inbox failed (X-Feed-Fallback) says nothing about
        // the fan-out: not counted as seen.
        if (page.headers.get('x-feed-fallback')) fallbackReads++;
        else if (page.json.some((p) => p.id === topPost.json.id)) {
          pending.delete(f);
          seen++;
        }
      } catch (err) {
        // Counted and reported, not fatal: a read can fail while the local runtime is out of
        // file descriptors (SQLITE_CANTOPEN); the poll goes on.
        failedReads++;
        if (failedReads === 1) log(`a timeline read failed during the fan-out: ${String(err).slice(0, 200)}`);
      }
    }
    if (pending.size > 0) await sleep(50);
  }
  const clientVisibleMs = Date.now() - t0;
  log(
    `top-author post seen by ${seen}/20 sampled followers after ${clientVisibleMs} ms ` +
      `(client poll, ${failedReads} failed reads, ${fallbackReads} answered from D1 because the inbox failed)`,
  );
  const notes = `${failedReads > 0 ? `, ${failedReads} failed reads` : ''}${fallbackReads > 0 ? `, ${fallbackReads} inbox fallbacks` : ''}`;
  return { id: topPost.json.id, checked: `${seen}/20 in ${clientVisibleMs} ms${notes}` };
}

/**
 * The runtime's floor for one fan-out: a no-op RPC to each of the given (existing) inboxes,
 * FANOUT_CHUNK per request with FANOUT_CONCURRENCY in flight inside it, and max_batch_size
 * requests at a time: the calls the queue consumer makes, without the queue, D1 or the
 * SQLite write. Run on idle inboxes, like the measured post.
 */
async function measureFloor(server: FeedServer, followerIds: string[]): Promise<Floor> {
  const chunk = effectiveVar('FANOUT_CHUNK');
  const parallel = effectiveVar('max_batch_size');
  let failed = 0;
  let ms = 0;
  // In slices of FLOOR_SLICE inboxes, each timed on its own after the previous one's objects
  // were evicted: the runtime keeps 3 files open per live SQLite object for ~10 s after its
  // last call, so 10,000 calls within 10 s exceed a 20,000 open-file limit (SQLITE_CANTOPEN),
  // and the floor is meant to measure the calls, not that limit.
  for (let s = 0; s < followerIds.length; s += FLOOR_SLICE) {
    if (s > 0) await sleep(INBOX_IDLE_MS);
    const requests: string[][] = [];
    const slice = followerIds.slice(s, s + FLOOR_SLICE);
    for (let i = 0; i < slice.length; i += chunk) requests.push(slice.slice(i, i + chunk));
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < requests.length) {
          const users = requests[next++];
          const res = await call<{ failed: number }>(server, 'POST', '/admin/probe', ADMIN, { users });
          failed += res.json.failed;
        }
      }),
    );
    ms += performance.now() - t0;
  }
  return { calls: followerIds.length, failed, ms };
}

async function runConfiguration(
  label: string,
  server: FeedServer,
  users: User[],
  topFollowers: string[],
  mode: 'push' | 'hybrid',
  readModes: string[],
): Promise<RunResult> {
  const retriedBefore = server.retriedMessages;
  const storageErrorsBefore = server.storageErrors;
  // History, so that timelines are not empty: HISTORY_PER_AUTHOR posts by each of the top
  // HISTORY_AUTHORS accounts, bulk-loaded into D1 without fan-out; the sampled readers'
  // timelines are then rebuilt from D1 (the path a returning user takes).
  const random = rng(99);
  const readers = Array.from({ length: READS }, () => users[Math.floor(random() * USERS)]);
  const history = [];
  for (let k = 0; k < HISTORY_PER_AUTHOR; k++) {
    for (let rank = 1; rank <= Math.min(HISTORY_AUTHORS, USERS); rank++)
      history.push({ author: users[rank - 1].id, body: `history ${k} by rank ${rank}` });
  }
  if (history.length > 0 && !ONLY_TOP) {
    await call(server, 'POST', '/admin/bulk', ADMIN, { posts: history });
    for (let i = 0; i < readers.length; i += 100) {
      await call(server, 'POST', '/admin/rebuild', ADMIN, { users: readers.slice(i, i + 100).map((r) => r.id) });
    }
  }
  // The post script (--only-top: just the top author, which creates every follower's inbox).
  const authors = ONLY_TOP ? [1] : postAuthors();
  const postIds: { id: string; rank: number }[] = [];
  const postLatencies: number[] = [];
  for (let round = 0; round < (ONLY_TOP ? 1 : ROUNDS); round++) {
    for (const rank of authors) {
      const u = users[rank - 1];
      const res = await call<{ id: string }>(server, 'POST', `/users/${u.id}/posts`, u.token, { body: `post ${round} by rank ${rank}` });
      postIds.push({ id: res.json.id, rank });
      postLatencies.push(res.ms);
    }
    checkBudget(`${label}: posting`);
  }
  // The top author's post, once the queue is idle and (push) every inbox has been idle long
  // enough for the runtime to evict it, so its time is its own fan-out to idle inboxes, as
  // the floor below; checked at 20 random followers from the client side too.
  await waitForFanout(server);
  if (mode === 'push') await sleep(INBOX_IDLE_MS);
  const topPost = await topAuthorPost(server, users, mode, random);
  postIds.push({ id: topPost.id, rank: 1 });
  await waitForFanout(server);
  let floor: Floor | undefined;
  if (mode === 'push') {
    await sleep(INBOX_IDLE_MS);
    floor = await measureFloor(server, topFollowers);
    log(`${label}: floor: ${floor.calls} no-op inbox calls in ${floor.ms.toFixed(0)} ms (${floor.failed} failed)`);
  }
  const statuses: { rank: number; s: PostStatus }[] = [];
  for (const p of postIds) {
    statuses.push({ rank: p.rank, s: (await call<PostStatus>(server, 'GET', `/posts/${p.id}`)).json });
  }
  const rows = statuses.map(({ s }) => (mode === 'push' ? s.fanout.push_rows : s.fanout.hybrid_rows));
  const visible = sortNum(statuses.map(({ s }) => (mode === 'hybrid' && !s.fanout.hybrid_pushed ? 0 : s.fanout.settled_after_ms)));
  const topStatus = statuses[statuses.length - 1].s;
  const topVisible = mode === 'hybrid' && !topStatus.fanout.hybrid_pushed ? 0 : topStatus.fanout.settled_after_ms;

  const reads: RunResult['reads'] = {};
  for (const m of ONLY_TOP ? [] : readModes) {
    const lat: number[] = [];
    const rowsRead: number[] = [];
    const items: number[] = [];
    for (const r of readers.slice(0, 10)) await call(server, 'GET', `/users/${r.id}/timeline?mode=${m}&limit=${PAGE}`, r.token); // warm-up
    for (const r of readers) {
      const res = await call<unknown[]>(server, 'GET', `/users/${r.id}/timeline?mode=${m}&limit=${PAGE}`, r.token);
      lat.push(res.ms);
      rowsRead.push(Number(res.headers.get('x-feed-rows-read') ?? NaN));
      items.push(res.json.length);
    }
    const s = sortNum(lat);
    reads[m] = { p50: quantile(s, 0.5), p99: quantile(s, 0.99), rowsRead: mean(rowsRead), items: mean(items) };
    checkBudget(`${label}: reads`);
  }
  log(`${label}: ${postIds.length} posts`);
  const sPost = sortNum(postLatencies);
  return {
    label,
    rowsWrittenPerPost: mean(rows),
    visibleP50: quantile(visible, 0.5),
    visibleP99: quantile(visible, 0.99),
    topAuthorVisibleMs: topVisible,
    topAuthorChecked: topPost.checked,
    firstPostVisibleMs: statuses[0].s.fanout.settled_after_ms,
    reads,
    postMs: { p50: quantile(sPost, 0.5), p99: quantile(sPost, 0.99) },
    floor,
    retriedMessages: server.retriedMessages - retriedBefore,
    storageErrors: server.storageErrors - storageErrorsBefore,
  };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  const base = join(out, 'graph');
  mkdirSync(base, { recursive: true });
  const server = new FeedServer();
  const cleanup = () => {
    void server.stop();
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    log(`state in ${out}; applying D1 migrations`);
    const mig = spawnSync(wrangler, ['d1', 'migrations', 'apply', 'DB', '--local', '-c', config, '--persist-to', base], {
      cwd: root,
      env,
      encoding: 'utf8',
    });
    if (mig.status !== 0) throw new Error(`migrations failed: ${mig.stderr}`);
    await server.start(base, {});
    log(`loading ${USERS} users with Zipf follower counts (top author: ${TOP_FOLLOWERS} followers)`);
    const { users, followers, topFollowers } = await loadGraph(server);
    const edges = followers.reduce((a, b) => a + b, 0);
    log(
      `graph loaded: ${edges} follows, mean ${(edges / USERS).toFixed(1)} followees per user, ` +
        `followers of ranks 1/10/100/1000: ${[1, 10, 100, 1000].map((r) => followers[r - 1] ?? 0).join('/')}`,
    );
    await server.stop();

    const results: RunResult[] = [];
    const configs: { label: string; mode: 'push' | 'hybrid'; vars: Record<string, string>; reads: string[] }[] = [
      { label: 'push', mode: 'push', vars: { FANOUT_MODES: 'push' }, reads: ['push', 'pull'] },
      ...(ONLY_TOP ? [] : THRESHOLDS).map((t) => ({
        label: `hybrid@${t}`,
        mode: 'hybrid' as const,
        vars: { FANOUT_MODES: 'hybrid', HYBRID_THRESHOLD: String(t) },
        reads: ['hybrid'],
      })),
    ];
    for (const c of configs) {
      checkBudget(c.label);
      const dir = join(out, c.label.replace('@', '-'));
      cpSync(base, dir, { recursive: true });
      await server.start(dir, c.vars);
      log(`${c.label}: Worker up with ${JSON.stringify({ ...c.vars, ...EXTRA_VARS })}`);
      results.push(await runConfiguration(c.label, server, users, topFollowers, c.mode, c.reads));
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    if (ONLY_TOP) reportTopOnly(results[0]);
    else report(results);
  } finally {
    await server.stop();
  }
}

/** Open-file limit of this process (inherited by wrangler dev): 3 per live SQLite Durable Object. */
function openFileLimit(): string {
  try {
    return /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function floorLine(r: RunResult): string {
  const fl = r.floor;
  if (!fl) return 'floor: not measured';
  return (
    `floor (same run): ${fl.calls} no-op RPC calls to the same idle inboxes (timed in slices of ${FLOOR_SLICE}), ` +
    `${effectiveVar('FANOUT_CHUNK')} per request x ` +
    `${effectiveVar('max_batch_size')} requests in flight, ${effectiveVar('FANOUT_CONCURRENCY')} calls in flight each: ` +
    `${fl.ms.toFixed(0)} ms (${fl.failed} failed); top-author fan-out / floor = ${(r.topAuthorVisibleMs / fl.ms).toFixed(2)}x`
  );
}

function reportTopOnly(r: RunResult): void {
  const lines = [
    '',
    `feed bench --only-top: ${USERS} users, top author ${TOP_FOLLOWERS} followers, vars ${JSON.stringify(EXTRA_VARS)}`,
    `first post (creates the inboxes): visible after ${r.firstPostVisibleMs} ms`,
    `top-author post on idle inboxes: visible after ${r.topAuthorVisibleMs} ms (client check ${r.topAuthorChecked})`,
    floorLine(r),
    `fan-out messages retried: ${r.retriedMessages}; runtime storage errors (SQLITE_CANTOPEN): ${r.storageErrors}; ` +
      `open-file limit ${openFileLimit()}`,
    `total bench time ${((Date.now() - started) / 1000).toFixed(0)} s`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

function report(results: RunResult[]): void {
  const push = results.find((r) => r.label === 'push');
  const hybridDefault = results.find((r) => r.label === 'hybrid@1000') ?? results.find((r) => r.label.startsWith('hybrid'));
  const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const lines: string[] = [];
  lines.push(
    '',
    `feed bench: ${USERS} users, Zipf followers (top ${TOP_FOLLOWERS}), ` +
      `history ${HISTORY_PER_AUTHOR} posts x top ${HISTORY_AUTHORS} authors, ` +
      `${ROUNDS} rounds of ${postAuthors().length} posts + 1 top-author post, ${READS} reads of ${PAGE} per mode`,
  );
  lines.push('', 'per mode (hybrid at HYBRID_THRESHOLD=1000, the default)');
  const row = (cells: string[]): string => cells.join(' | ');
  /** A pushed mode's row: what its posts wrote, what its reads cost, when a post was visible. */
  const modeRow = (label: string, r: RunResult, reads: RunResult['reads']['push']): string =>
    row([
      label,
      f(r.rowsWrittenPerPost).padStart(26),
      f(reads.rowsRead).padStart(14),
      f(reads.items).padStart(10),
      f(reads.p50).padStart(11),
      f(reads.p99).padStart(11),
      f(r.visibleP99, 0).padStart(14),
      `${r.topAuthorVisibleMs} (client check ${r.topAuthorChecked})`,
    ]);
  lines.push(
    row(['mode   ', 'timeline rows written/post', 'rows read/page', 'items/page', 'read p50 ms', 'read p99 ms', 'visible p99 ms']) +
      ' | top author (10k) visible ms, idle queue',
  );
  if (push) {
    const pull = push.reads.pull;
    lines.push(
      row([
        'pull   ',
        f(0).padStart(26),
        f(pull.rowsRead).padStart(14),
        f(pull.items).padStart(10),
        f(pull.p50).padStart(11),
        f(pull.p99).padStart(11),
        '0 (on commit)'.padStart(14),
        '0 (on commit)',
      ]),
    );
    lines.push(modeRow('push   ', push, push.reads.push));
  }
  if (hybridDefault) lines.push(modeRow('hybrid ', hybridDefault, hybridDefault.reads.hybrid));
  if (push && hybridDefault) {
    lines.push(
      '',
      `ratios vs push (baseline, same run): hybrid writes ${f(hybridDefault.rowsWrittenPerPost / push.rowsWrittenPerPost, 3)}x, ` +
        `hybrid read p99 ${f(hybridDefault.reads.hybrid.p99 / push.reads.push.p99, 2)}x, ` +
        `pull read p99 ${f(push.reads.pull.p99 / push.reads.push.p99, 2)}x, ` +
        `pull rows read ${f(push.reads.pull.rowsRead / push.reads.push.rowsRead, 2)}x`,
    );
  }
  lines.push('', 'HYBRID_THRESHOLD sweep (FANOUT_MODES=hybrid; authors with more followers are merged at read time)');
  lines.push('threshold | rows written/post | vs push | rows read/page | read p50 ms | read p99 ms | visible p99 ms | post p99 ms');
  for (const r of results.filter((x) => x.label.startsWith('hybrid@'))) {
    const h = r.reads.hybrid;
    lines.push(
      row([
        r.label.slice(7).padStart(9),
        f(r.rowsWrittenPerPost).padStart(17),
        (push ? f(r.rowsWrittenPerPost / push.rowsWrittenPerPost, 3) : 'n/a').padStart(7),
        f(h.rowsRead).padStart(14),
        f(h.p50).padStart(11),
        f(h.p99).padStart(11),
        f(r.visibleP99, 0).padStart(14),
        f(r.postMs.p99).padStart(11),
      ]),
    );
  }
  lines.push(
    '',
    `goals: read p99 <= 50 ms for a ${PAGE}-item page in push (${push ? f(push.reads.push.p99) : 'n/a'} ms) ` +
      `and hybrid (${hybridDefault ? f(hybridDefault.reads.hybrid.p99) : 'n/a'} ms); ` +
      `top-author (10,000 followers) post visible to all followers within 5000 ms: ` +
      `in hybrid (${hybridDefault?.topAuthorVisibleMs ?? 'n/a'} ms; the author is over HYBRID_THRESHOLD, merged at read) ` +
      `and in push (${push?.topAuthorVisibleMs ?? 'n/a'} ms; compare with the floor below)`,
  );
  if (push) {
    lines.push(floorLine(push));
    lines.push(
      `push: fan-out messages retried ${push.retriedMessages}, runtime storage errors (SQLITE_CANTOPEN) ${push.storageErrors}; ` +
        `open-file limit ${openFileLimit()}`,
    );
  }
  lines.push(`total bench time ${((Date.now() - started) / 1000).toFixed(0)} s`);
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`feed bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
