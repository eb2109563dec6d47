/**
 * PromQL query latency, pushpull against a real Prometheus 2.42 on the same samples, side by side in one run.
 *
 * Both stores (the metrics Worker under `wrangler dev` with its own registry, ports and state; the Debian
 * `prometheus` with --web.enable-remote-write-receiver and its own TSDB in a temp dir: test/promql-oracle/stack.ts)
 * get the same remote_write bodies:
 *   x{job, instance, code}   counters, 10 jobs × (series / 100) instances × 10 codes, each its own rate
 *   h_bucket{job, instance, le}  a classic histogram per instance, 11 `le` buckets
 * one sample every 15 s (250 ms past the slot, off every window edge: 2.x closes range windows on the left,
 * 3.x opens them) over `--hours`, ending now. Then each query, as an instant query at the end and as a 1 h
 * range query at 15 s step, is sent to both: first the answers are compared (same resultType and series
 * count, or the bench fails; values to 1e-6 reported), then `--runs` timed runs alternate between the two and
 * the medians are printed with pushpull ÷ Prometheus and the samples the query reads per second of pushpull's
 * time. Last, for the query with the worst ratio, where pushpull's time goes: the label lookup alone
 * (/api/v1/series), the samples fetched alone (`sum(count_over_time(...))` over the same window: every sample
 * loaded, one number out), the same with one point per series out, against the whole query; then a CPU profile
 * of the Worker and its shards (one isolate under wrangler dev, through its devtools port) over one more run,
 * self time by function. The same for the slowest query on pushpull when that is another one.
 *
 * The Worker runs with QUERY_MAX_SAMPLES = 50,000,000, Prometheus's default --query.max-samples, so that
 * larger `--series` compare the same limit (the default size loads at most 2.9 M samples, under the var's
 * default of 5 M as well).
 *
 *   npx tsx bench/promql.ts [--series 10000] [--hours 2] [--runs 5] [--quick]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { SeriesBatch } from '@pushpull/contracts/metrics';
import { encodeRemoteWrite } from '@pushpull/wire/remote-write/write-request';
import { difference, type ApiAnswer } from '../test/promql-oracle/compare';
import { startOracleStack, type OracleStack } from '../test/promql-oracle/stack';
import { root } from '../test/support/dev-worker';
import { median, table } from './lib/harness';
import { profileWorker, selfTimes } from './lib/worker-profile';

const { values: flags } = parseArgs({
  options: {
    series: { type: 'string' },
    hours: { type: 'string' },
    runs: { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});
const quick = flags.quick === true;
const SERIES_WANTED = Number(flags.series ?? (quick ? 1000 : 10_000));
const HOURS = Number(flags.hours ?? (quick ? 1.25 : 2));
const RUNS = Math.min(Number(flags.runs ?? (quick ? 3 : 5)), 50);
if (!(SERIES_WANTED >= 100 && HOURS > 0 && HOURS <= 24 && RUNS >= 1)) {
  throw new Error('usage: --series N (>= 100) --hours H (0 < H <= 24) --runs R (>= 1) [--quick]');
}

const STEP_MS = 15_000;
const JITTER_MS = 250;
const JOBS = 10;
const CODES = 10;
const INSTANCES = Math.max(1, Math.round(SERIES_WANTED / (JOBS * CODES)));
const X_SERIES = JOBS * INSTANCES * CODES;
const LE = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '+Inf'];
/** The share of observations at or below each bucket's bound. */
const CDF = [0.01, 0.03, 0.08, 0.2, 0.4, 0.6, 0.8, 0.9, 0.96, 0.99, 1];
const H_SERIES = INSTANCES * LE.length;
const SLOTS = Math.round((HOURS * 3_600_000) / STEP_MS);
/** End of the data and of every query: a whole 15 s slot, now. */
const END_MS = Math.floor(Date.now() / STEP_MS) * STEP_MS;
const FIRST_MS = END_MS - SLOTS * STEP_MS + JITTER_MS;
const RANGE_MS = 3_600_000;
/** Slots per remote_write request: 5 minutes of every series (split further when over a limit). */
const SLOTS_PER_REQUEST = 20;
/** Bound on every HTTP request of the bench. */
const REQUEST_TIMEOUT_MS = 300_000;

/** The Worker's write limits, read from its wrangler.toml (the schema defaults, docs/metrics.md). */
function workerLimit(name: string): number {
  const m = new RegExp(`^${name}\\s*=\\s*"(\\d+)"`, 'm').exec(readFileSync(join(root, 'workers/metrics/wrangler.toml'), 'utf8'));
  if (!m) throw new Error(`${name} not found in workers/metrics/wrangler.toml`);
  return Number(m[1]);
}
const MAX_SERIES_PER_REQUEST = workerLimit('MAX_SERIES_PER_REQUEST');
const MAX_BODY_BYTES = workerLimit('MAX_BODY_BYTES');
const MAX_DECOMPRESSED_BYTES = workerLimit('MAX_DECOMPRESSED_BYTES');

// ---------------------------------------------------------------- the data

/** Every series' labels and its counter state, advanced slot by slot as the slices are generated in time order. */
class Dataset {
  readonly labels: Record<string, string>[] = [];
  private readonly totals: Float64Array;
  private readonly increments: Array<(k: number) => number> = [];

  constructor() {
    for (let j = 0; j < JOBS; j++) {
      for (let i = 0; i < INSTANCES; i++) {
        for (let c = 0; c < CODES; c++) {
          const n = this.labels.length;
          this.labels.push({ __name__: 'x', job: `job-${j}`, instance: `host-${i}:9100`, code: String(200 + c) });
          // A distinct rate per series (n / 1000 apart) so that topk has no ties to order differently.
          this.increments.push((k) => 1 + ((n * 13 + k * 7) % 17) + n / 1000);
        }
      }
    }
    for (let i = 0; i < INSTANCES; i++) {
      const job = `job-${i % JOBS}`;
      for (let b = 0; b < LE.length; b++) {
        this.labels.push({ __name__: 'h_bucket', job, instance: `host-${i}:9100`, le: LE[b] });
        // Observations per slot, the same count for every bucket of an instance: buckets stay cumulative.
        this.increments.push((k) => Math.round((10 + ((k * 7 + i * 3) % 11)) * CDF[b]));
      }
    }
    this.totals = new Float64Array(this.labels.length);
  }

  /** Every series' samples of slots [from, to), advancing the counters. */
  slice(from: number, to: number): SeriesBatch[] {
    return this.labels.map((labels, n) => {
      const timestamps: number[] = [];
      const values: number[] = [];
      for (let k = from; k < to; k++) {
        this.totals[n] += this.increments[n](k);
        timestamps.push(FIRST_MS + k * STEP_MS);
        values.push(this.totals[n]);
      }
      return { labels, timestamps, values };
    });
  }
}

/** Stored samples of one series in (afterMs, untilMs]. */
function samplesIn(afterMs: number, untilMs: number): number {
  const first = Math.max(0, Math.floor((afterMs - FIRST_MS) / STEP_MS) + 1);
  const last = Math.min(SLOTS - 1, Math.floor((untilMs - FIRST_MS) / STEP_MS));
  return Math.max(0, last - first + 1);
}

/** The uncompressed length a snappy block starts with (its varint preamble). */
function snappyLength(block: Uint8Array): number {
  let n = 0;
  for (let i = 0, shift = 0; i < 5; i++, shift += 7) {
    n += (block[i] & 0x7f) * 2 ** shift;
    if (block[i] < 0x80) return n;
  }
  throw new Error('bad snappy preamble');
}

/** The bodies of one slice: every series at most MAX_SERIES_PER_REQUEST a body, halved until under the byte limits. */
function bodies(slice: SeriesBatch[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  const pending: SeriesBatch[][] = [];
  for (let i = 0; i < slice.length; i += MAX_SERIES_PER_REQUEST) pending.push(slice.slice(i, i + MAX_SERIES_PER_REQUEST));
  while (pending.length) {
    const group = pending.pop() as SeriesBatch[];
    const body = encodeRemoteWrite(group);
    if (body.length <= MAX_BODY_BYTES && snappyLength(body) <= MAX_DECOMPRESSED_BYTES) out.push(body);
    else if (group.length > 1) pending.push(group.slice(0, group.length >> 1), group.slice(group.length >> 1));
    else throw new Error(`one series of ${SLOTS_PER_REQUEST} samples is over the Worker's body limits`);
  }
  return out;
}

async function post(url: string, body: Uint8Array, token?: string): Promise<number> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-protobuf',
    'content-encoding': 'snappy',
    'x-prometheus-remote-write-version': '0.1.0',
  };
  if (token) headers.authorization = `Bearer ${token}`;
  const t0 = performance.now();
  const r = await fetch(url, {
    method: 'POST',
    headers,
    body: body as Uint8Array<ArrayBuffer>,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await r.text();
  if (r.status !== 204) throw new Error(`remote_write to ${url}: ${r.status} ${text.slice(0, 500)}`);
  return performance.now() - t0;
}

/** Writes the data set into both stores, slice by slice in time order; returns seconds each spent answering. */
async function load(stack: OracleStack): Promise<{ samples: number; bodies: number; pushpullS: number; prometheusS: number }> {
  const data = new Dataset();
  let samples = 0;
  let count = 0;
  let pushpullMs = 0;
  let prometheusMs = 0;
  for (let from = 0; from < SLOTS; from += SLOTS_PER_REQUEST) {
    const slice = data.slice(from, Math.min(SLOTS, from + SLOTS_PER_REQUEST));
    for (const s of slice) samples += s.timestamps.length;
    for (const body of bodies(slice)) {
      const [ours, theirs] = await Promise.all([
        post(`${stack.pushpull}/api/v1/write`, body, stack.token),
        post(`${stack.prometheus}/api/v1/write`, body),
      ]);
      pushpullMs += ours;
      prometheusMs += theirs;
      count++;
    }
  }
  return { samples, bodies: count, pushpullS: pushpullMs / 1000, prometheusS: prometheusMs / 1000 };
}

// ---------------------------------------------------------------- the queries

interface Query {
  expr: string;
  /** The one metric it selects, and the window it reads back from each evaluation instant. */
  metric: 'x' | 'h_bucket';
  windowMs: number;
}

const QUERIES: Query[] = [
  { expr: 'x', metric: 'x', windowMs: 300_000 },
  { expr: 'rate(x[5m])', metric: 'x', windowMs: 300_000 },
  { expr: 'sum by (job) (rate(x[5m]))', metric: 'x', windowMs: 300_000 },
  { expr: 'histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))', metric: 'h_bucket', windowMs: 300_000 },
  { expr: 'topk(10, rate(x[5m]))', metric: 'x', windowMs: 300_000 },
];

type Kind = 'instant' | 'range';

/** The window of stored samples a query reads: (start - window, end]. */
function readWindow(q: Query, kind: Kind): { afterMs: number; untilMs: number } {
  const start = kind === 'range' ? END_MS - RANGE_MS : END_MS;
  return { afterMs: start - q.windowMs, untilMs: END_MS };
}

/** Distinct stored samples a query reads. */
function samplesRead(q: Query, kind: Kind): number {
  const w = readWindow(q, kind);
  return (q.metric === 'x' ? X_SERIES : H_SERIES) * samplesIn(w.afterMs, w.untilMs);
}

function queryPath(expr: string, kind: Kind): string {
  const p = new URLSearchParams({ query: expr });
  if (kind === 'instant') p.set('time', String(END_MS / 1000));
  else {
    p.set('start', String((END_MS - RANGE_MS) / 1000));
    p.set('end', String(END_MS / 1000));
    p.set('step', String(STEP_MS / 1000));
  }
  return `/api/v1/${kind === 'instant' ? 'query' : 'query_range'}?${p.toString()}`;
}

/** One GET, timed until its whole body is read. */
async function timedGet(url: string): Promise<{ ms: number; status: number; text: string }> {
  const t0 = performance.now();
  const r = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await r.text();
  return { ms: performance.now() - t0, status: r.status, text };
}

async function answer(url: string): Promise<ApiAnswer & { ms: number }> {
  const r = await timedGet(url);
  let body: unknown;
  try {
    body = JSON.parse(r.text);
  } catch {
    body = r.text;
  }
  return { status: r.status, body, ms: r.ms };
}

function resultOf(a: ApiAnswer): { resultType: string; series: number } {
  const b = a.body as { status?: string; error?: string; data?: { resultType: string; result: unknown[] } };
  if (a.status !== 200 || b.status !== 'success' || !b.data) throw new Error(`${a.status} ${b.error ?? JSON.stringify(b).slice(0, 300)}`);
  return { resultType: b.data.resultType, series: b.data.result.length };
}

/** Medians of `runs` timed GETs of the same path on both stores, alternating which goes first. */
async function timeBoth(stack: OracleStack, path: string, runs: number): Promise<{ pushpullMs: number; prometheusMs: number }> {
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < runs; r++) {
    const order = r % 2 === 0 ? [stack.pushpull, stack.prometheus] : [stack.prometheus, stack.pushpull];
    for (const base of order) {
      const t = await timedGet(base + path);
      if (t.status !== 200) throw new Error(`${base}${path}: ${t.status} ${t.text.slice(0, 300)}`);
      (base === stack.pushpull ? ours : theirs).push(t.ms);
    }
  }
  return { pushpullMs: median(ours), prometheusMs: median(theirs) };
}

interface Row {
  q: Query;
  kind: Kind;
  series: number;
  values: string;
  pushpullMs: number;
  prometheusMs: number;
}

/** Checks a query's answers agree (resultType and series count), then times it on both. */
async function measure(stack: OracleStack, q: Query, kind: Kind): Promise<Row> {
  const path = queryPath(q.expr, kind);
  // The first answers also warm both up (the shards merge their write logs on the first read).
  const [ours, theirs] = [await answer(stack.pushpull + path), await answer(stack.prometheus + path)];
  const a = resultOf(ours);
  const b = resultOf(theirs);
  if (a.resultType !== b.resultType || a.series !== b.series) {
    throw new Error(`${kind} ${q.expr}: pushpull ${a.resultType} of ${a.series} series, Prometheus ${b.resultType} of ${b.series}`);
  }
  const diff = difference(ours, theirs);
  const t = await timeBoth(stack, path, RUNS);
  return { q, kind, series: a.series, values: diff === undefined ? 'equal' : `differ: ${diff.slice(0, 120)}`, ...t };
}

/**
 * Where pushpull's time goes for one query: its label lookup alone, its samples fetched alone, against the whole
 * query, the steps interleaved run by run so that they share the machine's load; then a CPU profile of the
 * Worker (and its shards: one isolate) over one more run of the whole query.
 */
async function breakdown(stack: OracleStack, row: Row, why: string): Promise<string> {
  const { q, kind } = row;
  const w = readWindow(q, kind);
  const windowS = (w.untilMs - w.afterMs) / 1000;
  const fetchAll = `count_over_time(${q.metric}[${windowS}s])`;
  const series = new URLSearchParams({ 'match[]': q.metric, start: String(w.afterMs / 1000), end: String(w.untilMs / 1000) });
  // Every sample loaded and counted: the answer is the number of samples read.
  const total = await answer(stack.pushpull + queryPath(`sum(${fetchAll})`, 'instant'));
  const counted = Number((total.body as { data: { result: { value: [number, string] }[] } }).data.result[0]?.value[1]);
  const steps: Array<[string, string]> = [
    [`/api/v1/series match[]=${q.metric} over the window (labels only)`, `/api/v1/series?${series.toString()}`],
    [`sum(${fetchAll}) (every sample fetched, 1 number out)`, queryPath(`sum(${fetchAll})`, 'instant')],
    [`${fetchAll} (every sample fetched, 1 point per series out)`, queryPath(fetchAll, 'instant')],
    [`${kind} ${q.expr} (the whole query)`, queryPath(q.expr, kind)],
  ];
  for (const [, path] of steps) await answer(stack.pushpull + path); // warm
  const ours: number[][] = steps.map(() => []);
  const theirs: number[][] = steps.map(() => []);
  for (let r = 0; r < RUNS; r++) {
    for (const [i, [, path]] of steps.entries()) {
      const t = await timeBoth(stack, path, 1);
      ours[i].push(t.pushpullMs);
      theirs[i].push(t.prometheusMs);
    }
  }
  const timed = steps.map((_, i) => ({ pushpullMs: median(ours[i]), prometheusMs: median(theirs[i]) }));
  const whole = timed[timed.length - 1].pushpullMs;
  const rows: Array<Array<string | number>> = [['step', 'pushpull ms', 'of the query', 'Prometheus ms', 'ratio']];
  steps.forEach(([name], i) => {
    const t = timed[i];
    rows.push([
      name,
      t.pushpullMs.toFixed(0),
      `${((t.pushpullMs / whole) * 100).toFixed(0)}%`,
      t.prometheusMs.toFixed(0),
      (t.pushpullMs / t.prometheusMs).toFixed(2),
    ]);
  });
  const fetched = timed[1].pushpullMs;
  const profile = await profileWorker(stack.inspectorPort, async () => {
    const r = await timedGet(stack.pushpull + queryPath(q.expr, kind));
    if (r.status !== 200) throw new Error(`profiled run: ${r.status}`);
  });
  const cpu = selfTimes(profile);
  const top = cpu.functions.slice(0, 15).map((f) => [f.name, f.ms.toFixed(0), `${((f.ms / cpu.total) * 100).toFixed(1)}%`]);
  return [
    `where pushpull's time goes: ${kind} ${q.expr} (${why}), reading ${samplesIn(w.afterMs, w.untilMs)} samples × ` +
      `${q.metric === 'x' ? X_SERIES : H_SERIES} series = ${counted} samples (counted by pushpull; expected ${samplesRead(q, kind)}); ` +
      `medians of ${RUNS} interleaved runs`,
    table(rows),
    `fetching the samples: ${((fetched / whole) * 100).toFixed(0)}% of the query (${((counted / fetched) * 1000).toFixed(0)} samples/s); ` +
      `evaluating and answering: the rest`,
    `CPU profile of the Worker and its shards over one more run (${cpu.total.toFixed(0)} ms busy, self time by function):`,
    table([['function (bundle:line)', 'self ms', 'share'], ...top]),
  ].join('\n');
}

// ---------------------------------------------------------------- main

// A private dev registry: no other `wrangler dev` on this machine named pushpull-metrics may take over.
const registry = mkdtempSync(join(tmpdir(), 'pushpull-registry-'));
process.env.WRANGLER_REGISTRY_PATH = registry;
process.once('exit', () => rmSync(registry, { recursive: true, force: true }));

let stack: OracleStack | undefined;
let interrupted = false;
const onSignal = (signal: NodeJS.Signals): void => {
  interrupted = true;
  console.error(`\n${signal}: stopping Prometheus and wrangler dev`);
  // Without a stack yet, the start below stops what it started once it returns.
  if (stack) void stack.stop().finally(() => process.exit(130));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

async function main(): Promise<void> {
  console.log(
    `PromQL: ${X_SERIES} series x + ${H_SERIES} series h_bucket, ${HOURS} h at 15 s (${SLOTS} samples each), ` +
      `${RUNS} timed runs per query, node ${process.version}`,
  );
  stack = await startOracleStack({ workerVars: { QUERY_MAX_SAMPLES: '50000000' } });
  if (interrupted) {
    await stack.stop();
    process.exit(130);
  }
  try {
    const t0 = performance.now();
    const written = await load(stack);
    console.log(
      `written: ${written.samples} samples in ${written.bodies} remote_write bodies to both, ` +
        `${((performance.now() - t0) / 1000).toFixed(1)} s ` +
        `(answering: pushpull ${written.pushpullS.toFixed(1)} s = ${(written.samples / written.pushpullS).toFixed(0)} samples/s, ` +
        `Prometheus ${written.prometheusS.toFixed(1)} s)`,
    );
    const rows: Row[] = [];
    for (const q of QUERIES) {
      for (const kind of ['instant', 'range'] as const) {
        const row = await measure(stack, q, kind);
        rows.push(row);
        console.log(
          `  ${kind} ${q.expr}: ${row.series} series, pushpull ${row.pushpullMs.toFixed(0)} ms, ` +
            `Prometheus ${row.prometheusMs.toFixed(0)} ms`,
        );
      }
    }
    console.log(`\nmedians of ${RUNS} runs; instant at the end, range = last 1 h at 15 s step (241 points)`);
    console.log(
      table([
        ['query', 'kind', 'series', 'pushpull ms', 'Prometheus ms', 'ratio', 'samples read', 'samples/s (pushpull)', 'values'],
        ...rows.map((r) => [
          r.q.expr,
          r.kind,
          r.series,
          r.pushpullMs.toFixed(1),
          r.prometheusMs.toFixed(1),
          (r.pushpullMs / r.prometheusMs).toFixed(2),
          samplesRead(r.q, r.kind),
          ((samplesRead(r.q, r.kind) / r.pushpullMs) * 1000).toFixed(0),
          r.values,
        ]),
      ]),
    );
    const worst = rows.reduce((a, b) => (b.pushpullMs / b.prometheusMs > a.pushpullMs / a.prometheusMs ? b : a));
    const slowest = rows.reduce((a, b) => (b.pushpullMs > a.pushpullMs ? b : a));
    console.log(`\n${await breakdown(stack, worst, 'the worst ratio')}`);
    if (slowest !== worst) console.log(`\n${await breakdown(stack, slowest, 'the slowest on pushpull')}`);
  } finally {
    await stack.stop();
  }
}

await main();
