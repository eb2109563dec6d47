import { describe, expect, it } from 'vitest';
import { putConfig, scrapeJob, testEnv } from './helpers';

type Row = { metric: Record<string, string> };

/** Sorted `name{labels}` strings of an instant query's result. */
function labelSets(rows: Row[]): string[] {
  return rows
    .map((r) => {
      const { __name__: name, ...rest } = r.metric;
      return `${name}{${Object.keys(rest).sort().map((k) => `${k}=${JSON.stringify(rest[k])}`).join(',')}}`;
    })
    .sort();
}

async function instantFrom(fetcher: (url: string) => Promise<Response>, base: string, q: string): Promise<Row[]> {
  const res = await fetcher(`${base}/api/v1/query?${new URLSearchParams({ query: q })}`);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${base} ${q}: ${res.status} ${text}`);
  return (JSON.parse(text) as { data: { result: Row[] } }).data.result;
}

const prometheus = (q: string) => instantFrom((u) => fetch(u), testEnv.PROMETHEUS_URL, q);
const pushpull = (q: string) => instantFrom((u) => testEnv.METRICS_HTTP.fetch(u), 'http://metrics.test', q);

/** Prometheus's last scrape time (ms) of every target of a job. */
async function prometheusLastScrape(job: string): Promise<number> {
  const r = await fetch(`${testEnv.PROMETHEUS_URL}/api/v1/targets?scrapePool=${job}`);
  const body = (await r.json()) as { data: { activeTargets: { lastScrape: string; health: string }[] } };
  const ts = body.data.activeTargets.map((t) => Date.parse(t.lastScrape));
  return ts.length === 0 ? 0 : Math.min(...ts);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('parity with a real Prometheus 2.42 scraping the same targets', () => {
  it('stores the same series names, label sets and synthetic series for node_exporter, the origin and a test page', async () => {
    const config = JSON.parse(testEnv.PARITY_CONFIG) as { scrape_configs: { job_name: string }[] };
    // Same configuration, but scrape rounds driven here (the alarm loop would run every 2 s).
    await putConfig({ ...config, global: { scrape_interval: '1h', scrape_timeout: '10s' } });
    const jobs = config.scrape_configs.map((j) => j.job_name);
    const diffs: Record<string, { onlyPrometheus: string[]; onlyPushpull: string[] }> = {};
    // Series sets of live exporters can change between two scrapes (a collector's new label,
    // the origin counting the scrape itself), so compare our scrape with a Prometheus scrape
    // taken after it; a few attempts, bounded in time.
    const deadline = Date.now() + 60_000;
    for (let attempt = 0; attempt < 6 && Date.now() < deadline; attempt++) {
      for (const job of jobs) {
        const health = await scrapeJob(job);
        expect(health.every((t) => t.health === 'up'), `${job}: ${JSON.stringify(health.map((t) => t.lastError))}`).toBe(true);
      }
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
    expect(diffs).toEqual({});
    // The synthetic series are among the compared ones; check they are there at all.
    for (const job of jobs) {
      const names = new Set(labelSets(await pushpull(`{job="${job}"}`)).map((s) => s.split('{')[0]));
      for (const n of ['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added']) {
        expect(names.has(n), `${job} lacks ${n}`).toBe(true);
      }
    }
    // The requests themselves: the same Accept negotiation and timeout header as Prometheus's.
    const headersOf = async (ua: string) => (await (await fetch(`http://127.0.0.1:${testEnv.TARGETS_PORT}/last-request?path=/good&ua=${ua}`)).json()) as Record<string, string>;
    const theirs = await headersOf('Prometheus');
    const mine = await headersOf('pushpull-scraper');
    expect(mine.accept).toBe(theirs.accept);
    expect(theirs['x-prometheus-scrape-timeout-seconds']).toBe('2');
    expect(mine['x-prometheus-scrape-timeout-seconds']).toBe('10'); // our copy runs with a 10 s timeout
    expect(mine['accept-encoding']).toContain('gzip');
    expect(theirs['accept-encoding']).toContain('gzip');
    const nodeSeries = await pushpull('{job="parity-node"}');
    expect(nodeSeries.length).toBeGreaterThan(100);
    await putConfig({ scrape_configs: [] });
  });
});
