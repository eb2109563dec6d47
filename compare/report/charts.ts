/**
 * The report's charts, one builder per chart, each from measured figures only. Every builder
 * returns its rows with the spec, so the raw JSON holds exactly what each chart draws.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CDN_MODE_SHORT as CDN_MODE_LABELS, type CdnResult } from '../cdn/run';
import type { FeedResult } from '../feed/run';
import { DELIVERY_LABELS, type MetricsResult } from '../metrics/run';
import { frame, type ChartSpec } from './render';

const MB = 1024 * 1024;

function chart(id: string, title: string, caption: string, rows: Array<Record<string, unknown>>, body: Record<string, unknown>): ChartSpec {
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...frame(title, caption),
    data: { values: rows },
    ...body,
  } as unknown as TopLevelSpec;
  return { id, title, caption, rows, spec };
}

const toEdge = (m: CdnResult['phases'][number]['modes'][number]): number => m.origin.bytes + m.pushBytes - m.pushInitialBytes;

/**
 * Where each pull mode starts moving more bytes to the edge than push (origin bytes vs steady
 * push bytes), interpolated linearly between the measured rates; null when it never does in the
 * sweep, 'below' when it already does at the lowest rate.
 */
function cdnCrossovers(cdn: CdnResult): Array<{ mode: string; rate: number | null | 'below' }> {
  const out: Array<{ mode: string; rate: number | null | 'below' }> = [];
  for (const mode of ['ttl', 'validators', 'swr'] as const) {
    const diff = cdn.phases.map((p) => {
      const pull = p.modes.find((m) => m.mode === mode);
      const push = p.modes.find((m) => m.mode === 'push');
      return { rate: p.rate, d: pull && push ? toEdge(pull) - toEdge(push) : NaN };
    });
    let rate: number | null | 'below' = null;
    if (diff.length && diff[0].d > 0) rate = 'below';
    else {
      for (let i = 1; i < diff.length; i++) {
        const a = diff[i - 1];
        const b = diff[i];
        if (a.d <= 0 && b.d > 0) {
          rate = a.rate + ((b.rate - a.rate) * -a.d) / (b.d - a.d);
          break;
        }
      }
    }
    out.push({ mode: CDN_MODE_LABELS[mode], rate });
  }
  return out;
}

/** The crossovers in words. */
export function cdnCrossoverText(cdn: CdnResult): string {
  return cdnCrossovers(cdn)
    .map((c) => {
      const where =
        c.rate === null
          ? 'nowhere in the sweep'
          : c.rate === 'below'
            ? `already at ${cdn.phases[0]?.rate} req/s`
            : `at about ${c.rate.toFixed(1)} req/s`;
      return `${c.mode} passes push ${where}`;
    })
    .join('; ');
}

/** Bytes moved to the edge per mode as the request rate grows: where push and pull cross. */
export function cdnBytesChart(cdn: CdnResult): ChartSpec {
  const rows = cdn.phases.flatMap((p) =>
    p.modes.map((m) => ({ rate: p.rate, mode: CDN_MODE_LABELS[m.mode], 'MiB to the edge': toEdge(m) / MB })),
  );
  return chart(
    'cdn-bytes-vs-rate',
    'CDN: bytes to the edge vs request rate',
    `origin bytes + pushed bytes after the initial upload, per ${cdn.settings.seconds} s phase; ${cdnCrossoverText(cdn)}`,
    rows,
    {
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'rate', type: 'quantitative', title: 'requests per second (per mode)' },
        y: { field: 'MiB to the edge', type: 'quantitative' },
        color: { field: 'mode', type: 'nominal', legend: { orient: 'bottom', columns: 3 } },
      },
    },
  );
}

/** The seed's "redundant traffic": bytes re-pulled for content that had not changed. */
export function cdnRedundantChart(cdn: CdnResult): ChartSpec {
  const rows = cdn.phases.flatMap((p) =>
    p.modes.map((m) => ({ rate: p.rate, mode: CDN_MODE_LABELS[m.mode], 'MiB re-pulled unchanged': m.origin.redundantBytes / MB })),
  );
  return chart(
    'cdn-redundant',
    'CDN: bytes re-pulled for unchanged content',
    'origin 200s whose ETag equals the last one the edge was sent for that path',
    rows,
    {
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'rate', type: 'ordinal', title: 'requests per second (per mode)' },
        xOffset: { field: 'mode' },
        y: { field: 'MiB re-pulled unchanged', type: 'quantitative' },
        color: { field: 'mode', type: 'nominal', legend: { orient: 'bottom', columns: 2 } },
      },
    },
  );
}

/** Staleness after a change, per mode, at the highest rate: the distribution as a cumulative curve. */
export function cdnStalenessChart(cdn: CdnResult): ChartSpec {
  const phase = cdn.phases[cdn.phases.length - 1];
  const rows = phase.modes.flatMap((m) => m.staleness.lagsMs.map((ms) => ({ mode: CDN_MODE_LABELS[m.mode], seconds: ms / 1000 })));
  return chart(
    'cdn-staleness',
    'CDN: staleness after a change',
    `${phase.rate} req/s per mode, TTL ${cdn.settings.ttlSeconds} s` +
      ': the share of changes every later request saw within x seconds' +
      ' (one step per observed change; 0 = no request was served the old content)',
    rows,
    {
      transform: [{ window: [{ op: 'cume_dist', as: 'share of changes' }], sort: [{ field: 'seconds' }], groupby: ['mode'] }],
      mark: { type: 'line', interpolate: 'step-after' },
      encoding: {
        x: { field: 'seconds', type: 'quantitative', title: 'seconds until every request saw the change' },
        y: { field: 'share of changes', type: 'quantitative', scale: { domain: [0, 1] } },
        color: { field: 'mode', type: 'nominal', legend: { orient: 'bottom', columns: 3 } },
      },
    },
  );
}

/** Edge storage per mode (stored values on disk), at the highest rate. */
export function cdnStorageChart(cdn: CdnResult): ChartSpec {
  const phase = cdn.phases[cdn.phases.length - 1];
  const kinds = [
    ['cache', 'Cache API'],
    ['kv', 'KV'],
    ['r2', 'R2'],
  ] as const;
  const rows = phase.modes.flatMap((m) =>
    kinds.map(([k, label]) => ({ mode: CDN_MODE_LABELS[m.mode], store: label, MiB: m.storage[k].blobBytes / MB })),
  );
  return chart(
    'cdn-storage',
    'CDN: edge storage per mode',
    `stored values (blob files) the ${phase.rate} req/s phase added to each edge's local state`,
    rows,
    {
      mark: { type: 'bar' },
      encoding: {
        y: { field: 'mode', type: 'nominal', title: null },
        x: { field: 'MiB', type: 'quantitative', stack: 'zero' },
        color: { field: 'store', type: 'nominal' },
      },
    },
  );
}

/** First request vs hit latency per mode. */
export function cdnLatencyChart(cdn: CdnResult): ChartSpec {
  const phase = cdn.phases[cdn.phases.length - 1];
  const classes = [
    ['miss', 'first request (miss)'],
    ['hit', 'hit'],
    ['revalidated', 'revalidated (304)'],
    ['refetched', 'refetched (stale, 200)'],
    ['stale-served', 'stale served (SWR)'],
  ] as const;
  const rows = phase.modes.flatMap((m) =>
    classes
      .filter(([k]) => m.latency[k].count > 0)
      .map(([k, label]) => ({ mode: CDN_MODE_LABELS[m.mode], response: label, 'p50 ms': m.latency[k].p50, count: m.latency[k].count })),
  );
  return chart(
    'cdn-latency',
    'CDN: first request vs hit latency',
    `median client-side latency (full body) by how the edge answered, ${phase.rate} req/s per mode`,
    rows,
    {
      mark: { type: 'bar' },
      encoding: {
        y: { field: 'mode', type: 'nominal', title: null },
        yOffset: { field: 'response' },
        x: { field: 'p50 ms', type: 'quantitative' },
        color: { field: 'response', type: 'nominal', legend: { orient: 'bottom', columns: 3 } },
      },
    },
  );
}

/** Write calls reaching the store per second as sources grow. */
export function metricsStoreChart(m: MetricsResult): ChartSpec {
  const rows = m.scale.map((s) => ({
    sources: s.sources,
    way: DELIVERY_LABELS[s.delivery],
    'write calls/s at the store': s.storeWriteCallsPerSecond,
  }));
  return chart(
    'metrics-store-writes',
    'Metrics: write calls reaching the store',
    `counted by the store's shard (GET /api/v1/status/store)` +
      `; ${m.settings.seriesPerSource} series per source, every ${m.settings.intervalSeconds} s`,
    rows,
    {
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'sources', type: 'quantitative', scale: { type: 'log' }, title: 'sources' },
        y: { field: 'write calls/s at the store', type: 'quantitative' },
        color: { field: 'way', type: 'nominal', legend: { orient: 'bottom', columns: 2 } },
      },
    },
  );
}

/** Samples stored per second as sources grow. */
export function metricsSamplesChart(m: MetricsResult): ChartSpec {
  const rows = m.scale.map((s) => ({ sources: s.sources, way: DELIVERY_LABELS[s.delivery], 'samples/s written': s.storeSamplesPerSecond }));
  return chart(
    'metrics-samples',
    'Metrics: samples written to the store',
    'the Pushgateway re-emits every group each interval on top of the pushes',
    rows,
    {
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'sources', type: 'quantitative', scale: { type: 'log' } },
        y: { field: 'samples/s written', type: 'quantitative' },
        color: { field: 'way', type: 'nominal', legend: { orient: 'bottom', columns: 2 } },
      },
    },
  );
}

/** Load on each source: bytes per second it served (pull) or sent (push). */
export function metricsSourceLoadChart(m: MetricsResult): ChartSpec {
  const top = Math.max(...m.scale.map((s) => s.sources));
  const rows = m.scale
    .filter((s) => s.sources === top)
    .map((s) => ({
      way: DELIVERY_LABELS[s.delivery],
      'bytes/s per source': s.perSourceBytesPerSecond,
      'requests/s per source': s.perSourceRequestsPerSecond,
    }));
  return chart(
    'metrics-source-load',
    'Metrics: load on each source',
    `${top} sources: bytes each served (pull) or sent (push) per second`,
    rows,
    {
      mark: { type: 'bar' },
      encoding: {
        y: { field: 'way', type: 'nominal', title: null },
        x: { field: 'bytes/s per source', type: 'quantitative' },
        color: { field: 'way', type: 'nominal', legend: null },
      },
    },
  );
}

/** Short-lived jobs and individual events captured, per way. */
export function metricsCaptureChart(m: MetricsResult): ChartSpec {
  const rows: Array<Record<string, unknown>> = [];
  for (const [way, c] of Object.entries(m.shortJobs.captured)) {
    rows.push({ way, what: 'short-lived jobs (all)', fraction: c.all });
    if (c.shorterThanInterval !== null) rows.push({ way, what: 'jobs shorter than the interval', fraction: c.shorterThanInterval });
  }
  for (const [way, f] of Object.entries(m.events.captured)) rows.push({ way, what: 'individual events', fraction: f });
  return chart(
    'metrics-capture',
    'Metrics: short-lived jobs and events captured',
    `${m.shortJobs.jobs.length} jobs living ${Math.min(...m.settings.shortJobLifetimes)}-${Math.max(...m.settings.shortJobLifetimes)} s` +
      `; ${m.events.events} API requests; push = at exit (Pushgateway) / one point per event (line protocol)`,
    rows,
    {
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'what', type: 'nominal', title: null, axis: { labelAngle: 0 } },
        xOffset: { field: 'way' },
        y: { field: 'fraction', type: 'quantitative', scale: { domain: [0, 1] }, title: 'fraction in the store' },
        color: { field: 'way', type: 'nominal' },
      },
    },
  );
}

/** Time to notice a dead source. */
export function metricsDeadChart(m: MetricsResult): ChartSpec {
  const d = m.deadSource;
  const rows = [
    { way: 'pull (up == 0)', seconds: d.pull.noticedMs === null ? null : d.pull.noticedMs / 1000 },
    {
      way: `push: line protocol (no sample for ${d.timeoutSeconds} s)`,
      seconds: d.influx.noticedMs === null ? null : d.influx.noticedMs / 1000,
    },
    {
      way: `Pushgateway (push_time_seconds ${d.timeoutSeconds} s old)`,
      seconds: d.pushgateway.noticedMs === null ? null : d.pushgateway.noticedMs / 1000,
    },
  ].filter((r) => r.seconds !== null);
  return chart(
    'metrics-dead-source',
    'Metrics: time to notice a dead source',
    `interval ${m.settings.intervalSeconds} s; measured by polling the store after the source died`,
    rows,
    {
      mark: { type: 'bar' },
      encoding: {
        y: { field: 'way', type: 'nominal', title: null },
        x: { field: 'seconds', type: 'quantitative' },
        color: { field: 'way', type: 'nominal', legend: null },
      },
    },
  );
}

/** Reads per post at which two modes cost the same rows, from measured per-operation rows. */
export function feedCrossover(feed: FeedResult): Array<{ a: string; b: string; readsPerPost: number }> {
  const out: Array<{ a: string; b: string; readsPerPost: number }> = [];
  for (let i = 0; i < feed.configs.length; i++) {
    for (let j = i + 1; j < feed.configs.length; j++) {
      const a = feed.configs[i];
      const b = feed.configs[j];
      const dr = a.rowsReadPerPage - b.rowsReadPerPage;
      const dw = b.rowsWrittenPerPost - a.rowsWrittenPerPost;
      if (dr !== 0 && dw / dr > 0) out.push({ a: a.label, b: b.label, readsPerPost: dw / dr });
    }
  }
  return out;
}

/**
 * Rows per post (writes + reads) as the read/write ratio grows, per configuration: lines from the
 * measured per-operation rows, points for what each phase of the sweep measured as a whole.
 */
export function feedCostChart(feed: FeedResult): ChartSpec {
  const ratios = [0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000];
  const line = feed.configs.flatMap((c) =>
    ratios.map((x) => ({
      kind: 'per-operation rows x ratio',
      'timeline reads per post': x,
      config: c.label,
      'rows per post (written + read)': c.rowsWrittenPerPost + x * c.rowsReadPerPage,
    })),
  );
  const phases = feed.configs.flatMap((c) =>
    c.reads
      .filter((r) => r.posts > 0)
      .map((r) => ({
        kind: 'a phase, measured',
        'timeline reads per post': r.count / r.posts,
        config: c.label,
        'rows per post (written + read)': (r.rowsWritten + r.rowsRead) / r.posts,
      })),
  );
  const cross = feedCrossover(feed)
    .filter((x) => x.a === 'pull' && x.b === 'push')
    .map((x) => `pull = push at ${x.readsPerPost.toFixed(1)} reads/post`);
  return chart(
    'feed-cost-vs-ratio',
    'Feed: write cost vs read cost',
    `lines: rows written per post + ratio x rows read per page` +
      `; points: each phase's rows / posts; ${cross.join('; ') || 'no pull/push crossover'}`,
    [...line, ...phases],
    {
      layer: [
        { transform: [{ filter: "datum.kind === 'per-operation rows x ratio'" }], mark: { type: 'line' } },
        { transform: [{ filter: "datum.kind === 'a phase, measured'" }], mark: { type: 'point', filled: true, size: 70 } },
      ],
      encoding: {
        x: { field: 'timeline reads per post', type: 'quantitative', scale: { type: 'log' } },
        y: { field: 'rows per post (written + read)', type: 'quantitative', scale: { type: 'log' } },
        color: { field: 'config', type: 'nominal' },
      },
    },
  );
}

/** The HYBRID_THRESHOLD sweep: rows written per post and read p99. */
export function feedThresholdChart(feed: FeedResult): ChartSpec {
  const last = feed.settings.loads.length - 1;
  const load = feed.settings.loads[last];
  const rows = feed.configs
    .filter((c) => c.threshold !== null)
    .flatMap((c) => {
      const r = c.reads[last];
      return [
        { threshold: c.threshold, figure: 'timeline rows written per post', value: c.rowsWrittenPerPost },
        {
          threshold: c.threshold,
          figure: `read p99 ms (${load.postsPerSecond} posts + ${load.readsPerSecond} reads/s)`,
          value: r?.p99 ?? null,
        },
        { threshold: c.threshold, figure: 'rows read per page', value: c.rowsReadPerPage },
      ];
    });
  return chart(
    'feed-threshold-sweep',
    'Feed: HYBRID_THRESHOLD sweep',
    'authors with more followers than the threshold are merged at read time',
    rows,
    {
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'threshold', type: 'quantitative', scale: { type: 'log' }, title: 'HYBRID_THRESHOLD (followers)' },
        y: { field: 'value', type: 'quantitative', title: null },
        color: { field: 'figure', type: 'nominal', legend: { orient: 'bottom' } },
      },
    },
  );
}

/** Visibility lag p99 for ordinary and huge authors. */
export function feedVisibilityChart(feed: FeedResult): ChartSpec {
  const rows = feed.configs
    .flatMap((c) => [
      { config: c.label, authors: 'ordinary', 'p99 ms': c.visibility.ordinary.p99 },
      { config: c.label, authors: `huge (>= ${feed.settings.hugeFollowers} followers)`, 'p99 ms': c.visibility.huge.p99 },
    ])
    .filter((r) => Number.isFinite(r['p99 ms']));
  return chart(
    'feed-visibility',
    'Feed: visibility lag (post to every follower)',
    'p99 of post commit to fan-out settled; merged at read time = 0',
    rows,
    {
      mark: { type: 'bar' },
      encoding: {
        y: { field: 'config', type: 'nominal', title: null },
        yOffset: { field: 'authors' },
        x: { field: 'p99 ms', type: 'quantitative' },
        color: { field: 'authors', type: 'nominal', legend: { orient: 'bottom' } },
      },
    },
  );
}
