import { describe, expect, inject, it } from 'vitest';

const scraperUrl = inject('scraperUrl');
const metricsUrl = inject('metricsUrl');
const origin = inject('originAddress');

async function rangeSamples(q: string): Promise<[number, string][]> {
  const res = await fetch(`${metricsUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as { data: { result: { values: [number, string][] }[] } };
  return body.data.result[0]?.values ?? [];
}

describe('under wrangler dev, as npm run dev runs it', () => {
  it('after one cron tick the job loop scrapes the origin every 2 s by itself (DO alarms)', async () => {
    // What scripts/dev.mjs does every minute.
    const cron = await fetch(`${scraperUrl}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent('* * * * *')}`);
    expect(cron.status).toBe(200);
    await cron.arrayBuffer();
    // Bounded wait: at least 4 scrapes at a 2 s interval.
    const deadline = Date.now() + 30_000;
    let samples: [number, string][] = [];
    while (Date.now() < deadline) {
      samples = await rangeSamples(`up{job="origin",instance="${origin}"}[1m]`);
      if (samples.length >= 4) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(samples.length).toBeGreaterThanOrEqual(4);
    expect(samples.every(([, v]) => v === '1')).toBe(true);
    // Consecutive scrapes about one interval apart, not one minute (the cron granularity).
    const gaps = samples.slice(1).map(([t], k) => t - samples[k][0]);
    for (const g of gaps) expect(g).toBeLessThan(10);
    // The origin's own metrics arrive with the target labels.
    const res = await fetch(`${metricsUrl}/api/v1/query?query=${encodeURIComponent(`{job="origin",__name__=~"process_.*"}`)}`);
    const body = (await res.json()) as { data: { result: { metric: Record<string, string> }[] } };
    expect(body.data.result.length).toBeGreaterThan(0);
    expect(body.data.result[0].metric.instance).toBe(origin);
    // And the health page shows it.
    const targets = (await (await fetch(`${scraperUrl}/api/v1/targets`)).json()) as {
      data: { activeTargets: { health: string; scrapeUrl: string }[] };
    };
    expect(targets.data.activeTargets).toEqual([expect.objectContaining({ health: 'up', scrapeUrl: `http://${origin}/metrics` })]);
  });
});
