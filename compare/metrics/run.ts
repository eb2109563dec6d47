/**
 * Metrics, push vs pull into the same store.
 *
 * Four ways of delivering the same series, each into its own metrics Worker (`wrangler dev`,
 * SHARD_COUNT=1 so that every write request reaching the store is one shard write call, counted
 * by the shard itself: GET /api/v1/status/store):
 *
 * | way | who sends | path |
 * |---|---|---|
 * | pull | the scraper Worker, every interval | target `/metrics` → scraper → RPC `MetricsRpc.write` |
 * | influx | every source, every interval | `POST /api/v2/write` (line protocol) |
 * | remote_write | every source, every interval | `POST /api/v1/write` (snappy protobuf) |
 * | pushgateway | every source, every interval | `PUT /metrics/job/<job>/instance/<i>`; the group re-emits every interval |
 *
 * Then three experiments on the mechanisms: short-lived jobs (lifetimes within 1–30 s: how many
 * does a scrape at each interval see, and does a push at exit land), event-driven series
 * (individual API requests: how many are individually in the store), and a source that dies
 * (how long until the store shows it).
 */
import { join } from 'node:path';
import { rng } from '../../bench/lib/random';
import { STACK_TOKEN, Stack, type RunningWorker } from '../stack';
import { closeApps, SimulatedApp, startApps, type Delivery } from './apps';

export const DELIVERIES: readonly Delivery[] = ['pull', 'influx', 'remote_write', 'pushgateway'];

/** How each way is named in the report. */
export const DELIVERY_LABELS: Record<Delivery, string> = {
  pull: 'pull (scraper)',
  influx: 'push: line protocol',
  remote_write: 'push: remote_write',
  pushgateway: 'push: Pushgateway',
};

/** The metrics workload's knobs. */
export interface MetricsSettings {
  /** Source counts of the scale sweep. */
  sources: number[];
  seriesPerSource: number;
  intervalSeconds: number;
  /** Intervals per scale phase. */
  rounds: number;
  /** Targets per scrape job (one scrape pool each). */
  targetsPerJob: number;
  shortJobs: number;
  /** Lifetimes drawn from (seconds). */
  shortJobLifetimes: number[];
  /** Jobs start within this many seconds. */
  shortJobWindowSeconds: number;
  /** The scrape intervals the short jobs and events are pulled at. */
  pullIntervals: number[];
  eventsPerSecond: number;
  eventSeconds: number;
  seed: number;
}

/** One way at one source count. */
interface ScaleFigures {
  delivery: Delivery;
  sources: number;
  seconds: number;
  /** Measured at the store (its shard). */
  storeWriteCallsPerSecond: number;
  storeSamplesPerSecond: number;
  samplesStored: number;
  seriesStored: number;
  /** Measured at the sources. */
  perSourceRequestsPerSecond: number;
  perSourceBytesPerSecond: number;
  sourceFailures: number;
}

/** The short-lived jobs experiment. */
interface ShortJobFigures {
  jobs: Array<{ id: string; lifetimeSeconds: number; capturedBy: Record<string, boolean> }>;
  /** Fraction captured, per way (`pull@5s`, `pull@15s`, `push`), overall and for jobs shorter than the interval. */
  captured: Record<string, { all: number; shorterThanInterval: number | null }>;
}

/** The event-driven series experiment. */
interface EventFigures {
  events: number;
  captured: Record<string, number>;
}

/** The dead source experiment: ms from the death until the store shows it. */
interface DeadSourceFigures {
  pull: { noticedMs: number | null; how: string };
  influx: { noticedMs: number | null; how: string };
  pushgateway: { noticedMs: number | null; samplesAfterDeath: number; how: string };
  timeoutSeconds: number;
}

export interface MetricsResult {
  settings: MetricsSettings;
  scale: ScaleFigures[];
  shortJobs: ShortJobFigures;
  events: EventFigures;
  deadSource: DeadSourceFigures;
}

interface StoreStatus {
  series: number;
  samples: number;
  writeCalls: number;
  samplesWritten: number;
  shards: Array<{ sinceMs: number }>;
}

async function storeStatus(metrics: RunningWorker): Promise<StoreStatus> {
  const res = await fetch(`${metrics.url}/api/v1/status/store`);
  if (!res.ok) throw new Error(`${metrics.label}: /api/v1/status/store answered ${res.status}`);
  return ((await res.json()) as { data: StoreStatus }).data;
}

/** A range-vector instant query: every stored sample of the matching series in the last `range`. */
async function samplesOf(
  metrics: RunningWorker,
  selector: string,
  range = '10m',
): Promise<Array<{ metric: Record<string, string>; values: Array<[number, string]> }>> {
  const res = await fetch(`${metrics.url}/api/v1/query?query=${encodeURIComponent(`${selector}[${range}]`)}`);
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };
  };
  if (body.status !== 'success' || !body.data) throw new Error(`query ${selector} failed: ${body.error ?? res.status}`);
  return body.data.result;
}

async function instant(metrics: RunningWorker, query: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const res = await fetch(`${metrics.url}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  return body.data?.result ?? [];
}

interface ScrapeJob {
  job_name: string;
  scrape_interval: string;
  scrape_timeout: string;
  static_configs: Array<{ targets: string[] }>;
}

/** One scrape job (one scrape pool) over `targets`, timeout one second under the interval. */
function scrapeJob(name: string, intervalSeconds: number, targets: string[]): ScrapeJob {
  return {
    job_name: name,
    scrape_interval: `${intervalSeconds}s`,
    scrape_timeout: `${Math.max(1, intervalSeconds - 1)}s`,
    static_configs: [{ targets }],
  };
}

function scrapeJobs(prefix: string, apps: readonly SimulatedApp[], intervalSeconds: number, perJob: number): ScrapeJob[] {
  const jobs: ScrapeJob[] = [];
  for (let i = 0; i < apps.length; i += perJob) {
    jobs.push(
      scrapeJob(
        `${prefix}-${jobs.length}`,
        intervalSeconds,
        apps.slice(i, i + perJob).map((a) => a.target),
      ),
    );
  }
  return jobs;
}

async function putScrapeConfig(scraper: RunningWorker, jobs: ScrapeJob[]): Promise<void> {
  const res = await fetch(`${scraper.url}/api/v1/config`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${STACK_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ global: { scrape_interval: '15s', scrape_timeout: '10s' }, scrape_configs: jobs }),
  });
  if (!res.ok) throw new Error(`PUT scrape config: ${res.status} ${await res.text()}`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Runs the metrics comparison on stacks of its own under `workDir`. */
export async function runMetrics(settings: MetricsSettings, workDir: string, log: (line: string) => void): Promise<MetricsResult> {
  const stacks = new Map<Delivery, Stack>(DELIVERIES.map((d) => [d, new Stack({ stateDir: join(workDir, d), log })]));
  const stack = (d: Delivery): Stack => {
    const s = stacks.get(d);
    if (!s) throw new Error(`no stack for ${d}`);
    return s;
  };
  try {
    const maxTargets = Math.max(...settings.sources) + settings.shortJobs + 20;
    const metricsVars = { SHARD_COUNT: '1', PUSH_INTERVAL_SECONDS: String(settings.intervalSeconds) };
    const stores = new Map<Delivery, RunningWorker>();
    // The scraper finds the pull store through its stack's dev registry when it calls it, so all start at once.
    const [scraper] = await Promise.all([
      stack('pull').start(
        'scraper',
        'scraper',
        { MAX_TARGETS: String(maxTargets), SCRAPE_CONFIG: JSON.stringify({ scrape_configs: [] }) },
        '/api/v1/targets',
      ),
      ...DELIVERIES.map(async (d) => {
        stores.set(d, await stack(d).start('metrics', `metrics-${d}`, metricsVars, '/api/v1/status/buildinfo'));
      }),
    ]);
    const store = (d: Delivery): RunningWorker => {
      const s = stores.get(d);
      if (!s) throw new Error(`no store for ${d}`);
      return s;
    };

    const scale: ScaleFigures[] = [];
    for (const n of settings.sources) {
      log(
        `metrics: ${n} sources x ${settings.seriesPerSource} series, every ${settings.intervalSeconds} s` +
          `, ${settings.rounds} rounds, four ways at once`,
      );
      scale.push(...(await Promise.all(DELIVERIES.map((d) => scalePhase(settings, d, n, store(d), scraper)))));
    }
    await putScrapeConfig(scraper, []);
    log('metrics: short-lived jobs, event-driven series and a dead source');
    const [shortJobs, events, deadSource] = await Promise.all([
      shortJobExperiment(settings, scraper, store('pull'), store('pushgateway')),
      eventExperiment(settings, scraper, store('pull'), store('influx')),
      deadSourceExperiment(settings, scraper, store('pull'), store('influx'), store('pushgateway')),
    ]);
    return { settings, scale, shortJobs, events, deadSource };
  } finally {
    await Promise.all([...stacks.values()].map((s) => s.stop()));
  }
}

/** Scrape configs of the pull stack, merged: every experiment adds its jobs. */
const configured = new Map<RunningWorker, { byOwner: Map<string, ScrapeJob[]>; last: Promise<void> }>();
async function setJobs(scraper: RunningWorker, owner: string, jobs: ScrapeJob[]): Promise<void> {
  const state = configured.get(scraper) ?? { byOwner: new Map<string, ScrapeJob[]>(), last: Promise.resolve() };
  configured.set(scraper, state);
  state.byOwner.set(owner, jobs);
  // One PUT at a time, each with every owner's jobs as they are when it is sent.
  const next = state.last.then(() => putScrapeConfig(scraper, [...state.byOwner.values()].flat()));
  state.last = next.catch(() => undefined);
  await next;
}

async function scalePhase(
  settings: MetricsSettings,
  delivery: Delivery,
  n: number,
  store: RunningWorker,
  scraper: RunningWorker,
): Promise<ScaleFigures> {
  const apps = await startApps(`${delivery}-n${n}`, n, settings.seriesPerSource);
  const windowMs = settings.rounds * settings.intervalSeconds * 1000;
  try {
    if (delivery === 'pull') {
      await setJobs(scraper, 'scale', scrapeJobs(`scale-n${n}`, apps, settings.intervalSeconds, settings.targetsPerJob));
      // The PUT starts a round at once; let it land before counting whole intervals.
      await sleep(1000);
    }
    const before = await storeStatus(store);
    const loadOf = (): { requests: number; bytes: number } => ({
      requests: apps.reduce((k, a) => k + (delivery === 'pull' ? a.load.served : a.load.sent), 0),
      bytes: apps.reduce((k, a) => k + (delivery === 'pull' ? a.load.servedBytes : a.load.sentBytes), 0),
    });
    const load0 = loadOf();
    const t0 = performance.now();
    if (delivery !== 'pull') {
      const way = delivery;
      // Every source pushes once per interval, the sources spread evenly over it.
      await Promise.all(
        apps.map(async (app, i) => {
          await sleep((i / n) * settings.intervalSeconds * 1000);
          for (let r = 0; r < settings.rounds; r++) {
            const due = t0 + (i / n) * settings.intervalSeconds * 1000 + r * settings.intervalSeconds * 1000;
            await sleep(due - performance.now());
            await app.push(store.url, STACK_TOKEN, way, `scale-n${n}`);
          }
        }),
      );
    }
    await sleep(t0 + windowMs - performance.now());
    const seconds = (performance.now() - t0) / 1000;
    const after = await storeStatus(store);
    // The shard counts in memory: a restart inside the window would reset its counters.
    if (after.shards.some((sh, i) => sh.sinceMs !== before.shards[i]?.sinceMs))
      throw new Error(`${store.label}: the store shard restarted during the ${n}-source window; its counts do not cover the window`);
    const load1 = loadOf();
    const requests = load1.requests - load0.requests;
    const bytes = load1.bytes - load0.bytes;
    if (delivery === 'pull') await setJobs(scraper, 'scale', []);
    // A Pushgateway group lives (and is re-emitted every interval) until it is deleted: delete
    // this phase's groups, or the next phase would count their re-emissions too.
    if (delivery === 'pushgateway') await deleteGroups(store, apps, `scale-n${n}`);
    return {
      delivery,
      sources: n,
      seconds,
      storeWriteCallsPerSecond: (after.writeCalls - before.writeCalls) / seconds,
      storeSamplesPerSecond: (after.samplesWritten - before.samplesWritten) / seconds,
      samplesStored: after.samples - before.samples,
      seriesStored: after.series - before.series,
      perSourceRequestsPerSecond: requests / n / seconds,
      perSourceBytesPerSecond: bytes / n / seconds,
      sourceFailures: apps.reduce((k, a) => k + a.load.failed, 0),
    };
  } finally {
    await closeApps(apps);
  }
}

async function deleteGroups(store: RunningWorker, apps: readonly SimulatedApp[], job: string): Promise<void> {
  for (let i = 0; i < apps.length; i += 20) {
    await Promise.all(
      apps.slice(i, i + 20).map(async (a) => {
        const res = await fetch(`${store.url}/metrics/job/${job}/instance/${a.name}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${STACK_TOKEN}` },
        });
        await res.arrayBuffer();
      }),
    );
  }
}

async function shortJobExperiment(
  settings: MetricsSettings,
  scraper: RunningWorker,
  pullStore: RunningWorker,
  pushStore: RunningWorker,
): Promise<ShortJobFigures> {
  const random = rng(settings.seed * 31 + 5);
  const specs = Array.from({ length: settings.shortJobs }, (_, i) => ({
    id: `short-${i}`,
    lifetimeSeconds: settings.shortJobLifetimes[Math.floor(random() * settings.shortJobLifetimes.length)],
    startMs: random() * settings.shortJobWindowSeconds * 1000,
  }));
  const apps = specs.map((s) => new SimulatedApp(s.id, 2));
  for (const a of apps) {
    a.alive = false;
    await a.listen();
  }
  try {
    await setJobs(
      scraper,
      'short',
      settings.pullIntervals.map((iv) =>
        scrapeJob(
          `short-${iv}s`,
          iv,
          apps.map((a) => a.target),
        ),
      ),
    );
    const t0 = performance.now();
    await Promise.all(
      specs.map(async (s, i) => {
        await sleep(t0 + s.startMs - performance.now());
        apps[i].alive = true;
        await sleep(s.lifetimeSeconds * 1000);
        // A batch job's push: once, when it is done (the Pushgateway's use case).
        await apps[i].push(pushStore.url, STACK_TOKEN, 'pushgateway', 'short');
        apps[i].alive = false;
      }),
    );
    // One more round of the longest interval, so every pull had its chance.
    await sleep(Math.max(...settings.pullIntervals) * 1000 + 1500);
    await setJobs(scraper, 'short', []);
    const byTarget = new Map(apps.map((a, i) => [a.target, specs[i].id]));
    const caught = new Map<string, Set<string>>();
    for (const iv of settings.pullIntervals) {
      const rows = await samplesOf(pullStore, `app_requests_total{job="short-${iv}s"}`);
      caught.set(`pull@${iv}s`, new Set(rows.filter((r) => r.values.length > 0).map((r) => byTarget.get(r.metric.instance ?? '') ?? '')));
    }
    const pushed = await samplesOf(pushStore, 'app_requests_total{job="short"}');
    caught.set('push', new Set(pushed.filter((r) => r.values.length > 0).map((r) => r.metric.instance ?? '')));
    const jobs = specs.map((s) => ({
      id: s.id,
      lifetimeSeconds: s.lifetimeSeconds,
      capturedBy: Object.fromEntries([...caught].map(([way, set]) => [way, set.has(s.id)])),
    }));
    const captured: ShortJobFigures['captured'] = {};
    for (const way of caught.keys()) {
      const interval = way.startsWith('pull@') ? Number(way.slice(5, -1)) : Math.min(...settings.pullIntervals);
      const shorter = jobs.filter((j) => j.lifetimeSeconds < interval);
      captured[way] = {
        all: jobs.filter((j) => j.capturedBy[way]).length / jobs.length,
        shorterThanInterval: shorter.length ? shorter.filter((j) => j.capturedBy[way]).length / shorter.length : null,
      };
    }
    return { jobs, captured };
  } finally {
    await closeApps(apps);
  }
}

async function eventExperiment(
  settings: MetricsSettings,
  scraper: RunningWorker,
  pullStore: RunningWorker,
  pushStore: RunningWorker,
): Promise<EventFigures> {
  const random = rng(settings.seed * 17 + 3);
  // Individual API requests: each has its own duration (distinct values, so each is recognisable).
  const events: Array<{ atMs: number; seconds: number }> = [];
  for (let t = 0, k = 0; ; k++) {
    t += (-Math.log(1 - random()) / settings.eventsPerSecond) * 1000;
    if (t >= settings.eventSeconds * 1000) break;
    events.push({ atMs: t, seconds: Number((0.001 * (k + 1) + random() * 1e-4).toFixed(7)) });
  }
  let last: { seconds: number } | undefined;
  let count = 0;
  const page = (): string =>
    `# TYPE api_requests_total counter\napi_requests_total ${count}\n` +
    `# TYPE api_last_request_duration_seconds gauge\n${last ? `api_last_request_duration_seconds ${last.seconds}\n` : ''}`;
  const app = new SimulatedApp('events', 0, page);
  await app.listen();
  try {
    await setJobs(
      scraper,
      'events',
      settings.pullIntervals.map((iv) => scrapeJob(`events-${iv}s`, iv, [app.target])),
    );
    const t0 = performance.now();
    const batch: string[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const body = batch.splice(0).join('\n') + '\n';
      const res = await fetch(`${pushStore.url}/api/v2/write?org=compare&bucket=compare&precision=ms`, {
        method: 'POST',
        headers: { authorization: `Token ${STACK_TOKEN}` },
        body,
      });
      await res.arrayBuffer();
    };
    // Push: each request is its own point (with its own timestamp), sent in one write per second.
    const flusher = setInterval(() => void flush(), 1000);
    try {
      for (const e of events) {
        await sleep(t0 + e.atMs - performance.now());
        last = e;
        count++;
        batch.push(`api_request,job=events duration_seconds=${e.seconds} ${Date.now()}`);
      }
    } finally {
      clearInterval(flusher);
    }
    await flush();
    await sleep(Math.max(...settings.pullIntervals) * 1000 + 1500);
    await setJobs(scraper, 'events', []);
    const values = new Set(events.map((e) => e.seconds));
    const captured: Record<string, number> = {};
    for (const iv of settings.pullIntervals) {
      const rows = await samplesOf(pullStore, `api_last_request_duration_seconds{job="events-${iv}s"}`);
      const seen = new Set(rows.flatMap((r) => r.values.map((v) => Number(v[1]))).filter((v) => values.has(v)));
      captured[`pull@${iv}s`] = seen.size / Math.max(1, events.length);
    }
    const pushed = await samplesOf(pushStore, 'api_request_duration_seconds{job="events"}');
    const seenPushed = new Set(pushed.flatMap((r) => r.values.map((v) => Number(v[1]))).filter((v) => values.has(v)));
    captured.push = seenPushed.size / Math.max(1, events.length);
    return { events: events.length, captured };
  } finally {
    await app.close();
  }
}

async function deadSourceExperiment(
  settings: MetricsSettings,
  scraper: RunningWorker,
  pullStore: RunningWorker,
  influxStore: RunningWorker,
  pgwStore: RunningWorker,
): Promise<DeadSourceFigures> {
  const iv = settings.intervalSeconds;
  const timeoutSeconds = 3 * iv;
  const pulled = new SimulatedApp('dead-pull', 2);
  const influx = new SimulatedApp('dead-influx', 2);
  const pgw = new SimulatedApp('dead-pgw', 2);
  await Promise.all([pulled.listen(), influx.listen(), pgw.listen()]);
  let pushing = true;
  const pushLoop = async (app: SimulatedApp, base: string, way: 'influx' | 'pushgateway'): Promise<void> => {
    while (pushing) {
      await app.push(base, STACK_TOKEN, way, 'dead');
      await sleep(iv * 1000);
    }
  };
  try {
    await setJobs(scraper, 'dead', [scrapeJob('dead', iv, [pulled.target])]);
    const loops = [pushLoop(influx, influxStore.url, 'influx'), pushLoop(pgw, pgwStore.url, 'pushgateway')];
    // Alive for two intervals, then every source dies at once.
    await sleep(2 * iv * 1000 + 300);
    pulled.alive = false;
    pushing = false;
    const diedAt = Date.now();
    await Promise.all(loops);
    const deadline = diedAt + (timeoutSeconds + 2 * iv) * 1000;
    let pullMs: number | null = null;
    let influxMs: number | null = null;
    let pgwMs: number | null = null;
    while (Date.now() < deadline && (pullMs === null || influxMs === null || pgwMs === null)) {
      if (pullMs === null) {
        const up = await instant(pullStore, 'up{job="dead"}');
        if (up.some((r) => r.value[1] === '0')) pullMs = Date.now() - diedAt;
      }
      if (influxMs === null) {
        // What a push system can know: the newest sample is older than the timeout.
        const rows = await samplesOf(influxStore, 'app_requests_total{job="dead"}', '5m');
        const newest = Math.max(...rows.flatMap((r) => r.values.map((v) => v[0] * 1000)), 0);
        if (newest > 0 && Date.now() - newest > timeoutSeconds * 1000) influxMs = Date.now() - diedAt;
      }
      if (pgwMs === null) {
        const rows = await instant(pgwStore, 'push_time_seconds{job="dead"}');
        const lastPush = Math.max(...rows.map((r) => Number(r.value[1]) * 1000), 0);
        if (lastPush > 0 && Date.now() - lastPush > timeoutSeconds * 1000) pgwMs = Date.now() - diedAt;
      }
      await sleep(250);
    }
    await setJobs(scraper, 'dead', []);
    // The Pushgateway keeps re-emitting a dead job's last values: samples stamped after the death.
    const rows = await samplesOf(pgwStore, 'app_requests_total{job="dead"}');
    const samplesAfterDeath = rows.reduce((k, r) => k + r.values.filter((v) => v[0] * 1000 > diedAt + 500).length, 0);
    return {
      pull: { noticedMs: pullMs, how: 'up == 0 written by the next scrape' },
      influx: { noticedMs: influxMs, how: `newest sample older than ${timeoutSeconds} s (absence after a timeout)` },
      pushgateway: {
        noticedMs: pgwMs,
        samplesAfterDeath,
        how: `push_time_seconds older than ${timeoutSeconds} s; the series themselves stay fresh (re-emitted)`,
      },
      timeoutSeconds,
    };
  } finally {
    pushing = false;
    await Promise.all([pulled.close(), influx.close(), pgw.close()]);
  }
}
