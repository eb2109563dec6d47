import { describe, expect, it } from 'vitest';
import { putConfig, query, scrapeJob, testEnv as scraperEnv } from '../scraper/scraper-client';

/** The scraper's test bindings plus this project's (vitest.config.ts): a real Prometheus scraping the targets, its configuration. */
const testEnv = scraperEnv as typeof scraperEnv & { PROMETHEUS_URL: string; PARITY_CONFIG: string };

type Row = { metric: Record<string, string>; value: [number, string] };

/** Sorted `name{labels}` strings of an instant query's result. */
function labelSets(rows: Row[]): string[] {
  return rows
    .map((r) => {
      const { __name__: name, ...rest } = r.metric;
      return `${name}{${Object.keys(rest)
        .sort()
        .map((k) => `${k}=${JSON.stringify(rest[k])}`)
        .join(',')}}`;
    })
    .sort();
}

/** An instant query against the real Prometheus. */
async function prometheus(q: string): Promise<Row[]> {
  const res = await fetch(`${testEnv.PROMETHEUS_URL}/api/v1/query?${new URLSearchParams({ query: q }).toString()}`);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`prometheus ${q}: ${res.status} ${text}`);
  return (JSON.parse(text) as { data: { result: Row[] } }).data.result;
}

const pushpull = (q: string): Promise<Row[]> => query(q);

/** Prometheus's last scrape time (ms) of every target of a job. */
async function prometheusLastScrape(job: string): Promise<number> {
  const r = await fetch(`${testEnv.PROMETHEUS_URL}/api/v1/targets?scrapePool=${job}`);
  const body = await r.json<{ data: { activeTargets: { lastScrape: string; health: string }[] } }>();
  const ts = body.data.activeTargets.map((t) => Date.parse(t.lastScrape));
  return ts.length === 0 ? 0 : Math.min(...ts);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Scrapes `jobs` here, waits for Prometheus to scrape them after that, and diffs the label
 * sets both stores answer for `{job="…"}`. Series sets of live exporters can change between
 * two scrapes (a collector's new label, the origin counting the scrape itself), so a few
 * attempts, bounded in time.
 */
async function converge(jobs: string[], deadlineMs: number): Promise<Record<string, { onlyPrometheus: string[]; onlyPushpull: string[] }>> {
  const diffs: Record<string, { onlyPrometheus: string[]; onlyPushpull: string[] }> = {};
  const deadline = Date.now() + deadlineMs;
  for (let attempt = 0; attempt < 6 && Date.now() < deadline; attempt++) {
    for (const job of jobs) await scrapeJob(job);
    const ours = Date.now();
    while (Date.now() < deadline && (await Promise.all(jobs.map(prometheusLastScrape))).some((t) => t < ours)) await sleep(250);
    for (const job of jobs) {
      const q = `{job="${job}"}`;
      const [theirs, mine] = await Promise.all([prometheus(q), pushpull(q)]);
      const a = labelSets(theirs);
      const b = labelSets(mine);
      console.log(`parity ${job}: prometheus ${a.length} series, pushpull ${b.length}`);
      const onlyPrometheus = a.filter((x) => !b.includes(x));
      const onlyPushpull = b.filter((x) => !a.includes(x));
      if (onlyPrometheus.length + onlyPushpull.length === 0) delete diffs[job];
      else diffs[job] = { onlyPrometheus, onlyPushpull };
    }
    if (Object.keys(diffs).length === 0) break;
  }
  return diffs;
}

const REPORT = ['scrape_duration_seconds', 'scrape_samples_post_metric_relabeling', 'scrape_samples_scraped', 'scrape_series_added', 'up'];
const control = (what: string) =>
  fetch(`http://127.0.0.1:${testEnv.TARGETS_PORT}/control/${what}`, { method: 'POST' }).then((r) => r.text());

describe('parity with a real Prometheus 2.42 scraping the same targets', () => {
  it('stores the series, labels, synthetic series and staleness of Prometheus (node_exporter, origin, text, OpenMetrics)', async () => {
    const config = JSON.parse(testEnv.PARITY_CONFIG) as { scrape_configs: { job_name: string }[] };
    // Same configuration, but scrape rounds driven here (the alarm loop would run every 2 s).
    await putConfig({ ...config, global: { scrape_interval: '1h', scrape_timeout: '10s' } });
    const jobs = config.scrape_configs.map((j) => j.job_name);
    for (const job of jobs) {
      const health = await scrapeJob(job);
      expect(
        health.every((t) => t.health === 'up'),
        `${job}: ${JSON.stringify(health.map((t) => t.lastError))}`,
      ).toBe(true);
    }
    expect(await converge(jobs, 50_000)).toEqual({});
    // The synthetic series are among the compared ones; check they are there at all.
    for (const job of jobs) {
      const names = new Set(labelSets(await pushpull(`{job="${job}"}`)).map((s) => s.split('{')[0]));
      for (const n of REPORT) expect(names.has(n), `${job} lacks ${n}`).toBe(true);
    }
    // The requests themselves: the same Accept negotiation and timeout header as Prometheus's.
    const headersOf = async (ua: string) =>
      await (await fetch(`http://127.0.0.1:${testEnv.TARGETS_PORT}/last-request?path=/good&ua=${ua}`)).json<Record<string, string>>();
    const theirs = await headersOf('Prometheus');
    const mine = await headersOf('pushpull-scraper');
    expect(mine.accept).toBe(theirs.accept);
    expect(theirs['x-prometheus-scrape-timeout-seconds']).toBe('2');
    expect(mine['x-prometheus-scrape-timeout-seconds']).toBe('10'); // our copy runs with a 10 s timeout
    expect(mine['accept-encoding']).toContain('gzip');
    expect(theirs['accept-encoding']).toContain('gzip');
    expect((await pushpull('{job="parity-node"}')).length).toBeGreaterThan(100);

    // A target that stops: both keep only the report series (up 0), the page's series are stale in both.
    await control('toggle2-stop');
    try {
      expect(await converge(['parity-toggle'], 20_000)).toEqual({});
      // Samples with their own timestamp are not marked stale, by Prometheus either (app_with_ts).
      expect(labelSets(await pushpull('{job="parity-toggle"}')).map((x) => x.split('{')[0])).toEqual(['app_with_ts', ...REPORT]);
      expect((await prometheus('up{job="parity-toggle"}')).map((r) => r.value[1])).toEqual(['0']);
      expect((await pushpull('up{job="parity-toggle"}')).map((r) => r.value[1])).toEqual(['0']);
    } finally {
      await control('toggle2-start');
    }
    // Restarted: both have the page back.
    expect(await converge(['parity-toggle'], 20_000)).toEqual({});
    expect((await pushpull('app_requests_total{job="parity-toggle"}')).length).toBe(2);
    await putConfig({ scrape_configs: [] });
  });
});
