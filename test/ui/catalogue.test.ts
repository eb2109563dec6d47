import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogueEntry, METRIC_CATALOGUE } from '../../workers/metrics/src/dashboards/catalogue';
import { DASHBOARDS } from '../../workers/metrics/src/dashboards/registry';
import { root } from '../support/dev-worker';
import { selectedMetrics, syntaxErrors } from './promql-names';

const panels = DASHBOARDS.flatMap((d) =>
  'dashboard' in d ? d.dashboard.rows.flatMap((r) => r.panels.map((p) => ({ dashboard: d.name, row: r.title, panel: p }))) : [],
);

describe('the metric catalogue', () => {
  it('has unique, valid names; counters end in _total; histograms have increasing buckets', () => {
    const names = METRIC_CATALOGUE.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const m of METRIC_CATALOGUE) {
      expect(m.name, m.name).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
      if (m.type === 'counter') expect(m.name).toMatch(/_total$/);
      if (m.type === 'histogram') {
        const b = m.buckets ?? [];
        expect(b.length, m.name).toBeGreaterThan(1);
        expect(
          [...b].sort((x, y) => x - y),
          m.name,
        ).toEqual([...b]);
      } else {
        expect(m.buckets, m.name).toBeUndefined();
      }
      for (const reserved of ['job', 'instance', 'collection', 'le', '__name__'])
        expect(Object.keys(m.labels), m.name).not.toContain(reserved);
      if (m.collection === 'push') expect(m.name, 'pushed self-metrics are prefixed').toMatch(/^pushpull_/);
    }
  });

  it('finds a histogram family from its _bucket, _sum and _count series', () => {
    expect(catalogueEntry('pushpull_feed_visibility_lag_seconds_bucket')?.name).toBe('pushpull_feed_visibility_lag_seconds');
    expect(catalogueEntry('origin_http_request_duration_seconds_count')?.name).toBe('origin_http_request_duration_seconds');
    expect(catalogueEntry('pushpull_edge_requests_total_bucket')).toBeUndefined();
    expect(catalogueEntry('nothing_like_it')).toBeUndefined();
  });

  it('is documented: docs/dashboard.md lists every metric with its type', () => {
    const doc = readFileSync(join(root, 'docs/dashboard.md'), 'utf8');
    for (const m of METRIC_CATALOGUE) expect(doc, m.name).toMatch(new RegExp(`\\| \`${m.name}\` \\| ${m.type} \\|`));
  });
});

describe("the dashboards' queries", () => {
  it("parse with Prometheus's grammar", () => {
    for (const { panel } of panels) for (const q of panel.queries) expect(syntaxErrors(q.expr), q.expr).toEqual([]);
  });

  it('select only metrics of the catalogue (histograms by their _bucket series), each a real series or a planned self-metric', () => {
    const used = new Set<string>();
    for (const { panel } of panels) {
      for (const q of panel.queries) {
        for (const name of selectedMetrics(q.expr)) {
          const entry = catalogueEntry(name);
          expect(entry, `${panel.title}: ${name}`).toBeDefined();
          if (entry?.type === 'histogram') expect(name, 'a histogram is read through its buckets, _sum or _count').not.toBe(entry.name);
          if (entry) used.add(entry.name);
        }
      }
    }
    expect(used.size).toBeGreaterThan(15);
  });

  it('chart every pair of the default dashboard, push and pull, in one row each', () => {
    const pushpull = DASHBOARDS.find((d) => d.name === 'pushpull');
    if (!pushpull || !('dashboard' in pushpull)) throw new Error('the pushpull dashboard does not load');
    expect(pushpull.dashboard.rows.map((r) => r.title)).toEqual(['Content delivery', 'Metrics', 'News feed']);
    const kinds = new Set(pushpull.dashboard.rows.flatMap((r) => r.panels.map((p) => p.kind)));
    expect([...kinds].sort()).toEqual(['line', 'stacked-area', 'stat', 'table']);
    // The pull side is charted from the series the stack already has, beside what the Workers push so far.
    const live = pushpull.dashboard.rows
      .flatMap((r) => r.panels.flatMap((p) => p.queries.flatMap((q) => selectedMetrics(q.expr))))
      .filter((n) => catalogueEntry(n)?.status === 'live');
    expect(new Set(live)).toEqual(
      new Set([
        'origin_http_requests_total',
        'origin_http_response_bytes_total',
        'scrape_samples_scraped',
        'up',
        'scrape_duration_seconds',
        // Pushed by the edge (workers/edge/src/self-metrics.ts).
        'pushpull_edge_requests_total',
        'pushpull_edge_origin_fetches_total',
        'pushpull_edge_origin_bytes_total',
        'pushpull_edge_origin_bytes_saved_total',
        // Written by the metrics Worker into its own store (workers/metrics/src/self-metrics.ts).
        'pushpull_metrics_ingested_samples_total',
        'pushpull_metrics_query_duration_seconds_bucket',
      ]),
    );
  });
});
