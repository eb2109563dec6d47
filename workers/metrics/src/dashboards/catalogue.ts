/**
 * The catalogue of the series the stack records about itself: the contract between the
 * Workers that push their own counters and histograms (self-metrics), the scraped pages the
 * stack already has, and the dashboards that chart both. A dashboard may only name a metric
 * listed here (test/ui/catalogue.test.ts checks it); docs/dashboard.md explains the labels and how a
 * Worker pushes.
 *
 * Every series carries `collection`: `"push"` when a Worker pushed it into the store,
 * `"pull"` when the scraper fetched it from a target's /metrics page (the default scrape
 * configuration sets it as a target label). Pushed series also carry `job` (the Worker's
 * name) and `instance` (the pushing isolate's id), so that counters from isolates never
 * overwrite each other; dashboards sum `instance` away.
 */

/** The Prometheus metric types the stack uses (float samples only). */
type MetricType = 'counter' | 'gauge' | 'histogram';

/** How a series reaches the store. */
type Collection = 'push' | 'pull';

/**
 * Whether the series exists today: `live` ones are written by the stack as it is
 * (the scraper's report series, the origin's page); `planned` ones are the self-metrics
 * contract, pushed once the Workers record them.
 */
type MetricStatus = 'live' | 'planned';

/** One metric family. */
export interface MetricDefinition {
  /** The metric name; for histograms the family name (`_bucket`, `_sum`, `_count` follow). */
  name: string;
  type: MetricType;
  collection: Collection;
  /** The component that records it (the Worker for pushed series, the target for pulled ones). */
  source: 'edge' | 'push-api' | 'metrics' | 'scraper' | 'feed' | 'origin';
  status: MetricStatus;
  /** What one unit of it means (Prometheus HELP text). */
  help: string;
  /** Labels beyond `job`, `instance` and `collection`, each with its meaning or values. */
  labels: Record<string, string>;
  /** Upper bounds of a histogram's buckets (`le`), `+Inf` implied. */
  buckets?: readonly number[];
}

/** Buckets for request and query latencies, in seconds (1 ms to 10 s). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** Buckets for the feed's visibility lag, in seconds (10 ms to 2 min). */
const LAG_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60, 120] as const;

const CACHE_STATUS = 'hit | miss | stale | revalidated | collapsed | bypass | error';
const MODEL = 'pull (Cache API in front of the origin) | push (the push store, KV + R2)';
const FEED_MODE = 'push | pull | hybrid';

/** Every metric family of the stack. */
export const METRIC_CATALOGUE: readonly MetricDefinition[] = [
  // Content delivery: the edge (push collection).
  {
    name: 'pushpull_edge_requests_total',
    type: 'counter',
    collection: 'push',
    source: 'edge',
    status: 'live',
    help: 'Requests answered by the edge, by how the cache answered them.',
    labels: { cache_status: CACHE_STATUS, model: MODEL, code: 'HTTP status code of the response' },
  },
  {
    name: 'pushpull_edge_request_duration_seconds',
    type: 'histogram',
    collection: 'push',
    source: 'edge',
    status: 'live',
    help: 'Time from request to response headers at the edge.',
    labels: { cache_status: CACHE_STATUS, model: MODEL },
    buckets: LATENCY_BUCKETS,
  },
  {
    name: 'pushpull_edge_origin_fetches_total',
    type: 'counter',
    collection: 'push',
    source: 'edge',
    status: 'live',
    help: 'Requests the edge sent to the origin.',
    labels: {
      reason:
        'miss | revalidate (stale entry with validators) | refresh (stale-while-revalidate) ' +
        '| bypass | method (unsafe methods passed through)',
      code: 'the origin\'s status code, or "error" when it was unreachable or timed out',
    },
  },
  {
    name: 'pushpull_edge_origin_bytes_total',
    type: 'counter',
    collection: 'push',
    source: 'edge',
    status: 'live',
    help: 'Response body bytes the edge received from the origin.',
    labels: {},
  },
  {
    name: 'pushpull_edge_response_bytes_total',
    type: 'counter',
    collection: 'push',
    source: 'edge',
    status: 'live',
    help: 'Response body bytes the edge sent to clients.',
    labels: { cache_status: CACHE_STATUS, model: MODEL },
  },
  {
    name: 'pushpull_edge_origin_bytes_saved_total',
    type: 'counter',
    collection: 'push',
    source: 'edge',
    status: 'live',
    help:
      'Body bytes sent to clients that the origin did not send for that request ' +
      '(hits, 304-revalidated and collapsed responses, push-store answers).',
    labels: { model: MODEL },
  },
  {
    name: 'pushpull_edge_purges_total',
    type: 'counter',
    collection: 'push',
    source: 'edge',
    status: 'live',
    help: 'Purge requests accepted, by what they named.',
    labels: { kind: 'urls | prefixes | tags | everything' },
  },
  // Content delivery: the push API (push collection).
  {
    name: 'pushpull_push_uploaded_bytes_total',
    type: 'counter',
    collection: 'push',
    source: 'push-api',
    status: 'planned',
    help: 'Blob bytes uploaded through the push API (content the edge did not have yet).',
    labels: {},
  },
  {
    name: 'pushpull_push_uploads_total',
    type: 'counter',
    collection: 'push',
    source: 'push-api',
    status: 'planned',
    help: 'Blob uploads through the push API.',
    labels: { result: 'stored | already_present' },
  },
  {
    name: 'pushpull_push_deploys_total',
    type: 'counter',
    collection: 'push',
    source: 'push-api',
    status: 'planned',
    help: 'Deploys created through the push API.',
    labels: { kind: 'site | file' },
  },
  {
    name: 'pushpull_push_activations_total',
    type: 'counter',
    collection: 'push',
    source: 'push-api',
    status: 'planned',
    help: 'Deploy activations (a rollback is the activation of an older deploy).',
    labels: { kind: 'activate | rollback' },
  },
  // Metrics: the metrics Worker (push collection).
  {
    name: 'pushpull_metrics_ingested_samples_total',
    type: 'counter',
    collection: 'push',
    source: 'metrics',
    status: 'live',
    help: 'Samples written into the store, by the protocol that brought them.',
    labels: { protocol: "influx (line protocol) | pushgateway | remote_write | rpc (the scraper's writes: pull)" },
  },
  {
    name: 'pushpull_metrics_ingest_requests_total',
    type: 'counter',
    collection: 'push',
    source: 'metrics',
    status: 'live',
    help: 'Write requests, by protocol and status code (refusals included).',
    labels: { protocol: 'influx | pushgateway | remote_write | rpc', code: 'HTTP status code answered' },
  },
  {
    name: 'pushpull_metrics_query_duration_seconds',
    type: 'histogram',
    collection: 'push',
    source: 'metrics',
    status: 'live',
    help: 'Time to answer a read API request.',
    labels: { endpoint: 'query | query_range | series | labels | label_values' },
    buckets: LATENCY_BUCKETS,
  },
  {
    name: 'pushpull_metrics_store_rows',
    type: 'gauge',
    collection: 'push',
    source: 'metrics',
    status: 'planned',
    help: "Rows in a shard's tables, sampled after each merge of its sample log.",
    labels: { shard: 'shard number, 0 to SHARD_COUNT-1', table: 'samples | series | sample_log' },
  },
  // Metrics: the scraper's report series for each target (pull collection).
  {
    name: 'up',
    type: 'gauge',
    collection: 'pull',
    source: 'scraper',
    status: 'live',
    help: "1 if the last scrape of the target succeeded, else 0 (Prometheus's report series).",
    labels: {},
  },
  {
    name: 'scrape_duration_seconds',
    type: 'gauge',
    collection: 'pull',
    source: 'scraper',
    status: 'live',
    help: 'Duration of the last scrape of the target.',
    labels: {},
  },
  {
    name: 'scrape_samples_scraped',
    type: 'gauge',
    collection: 'pull',
    source: 'scraper',
    status: 'live',
    help: "Samples the target's last page exposed.",
    labels: {},
  },
  {
    name: 'scrape_samples_post_metric_relabeling',
    type: 'gauge',
    collection: 'pull',
    source: 'scraper',
    status: 'live',
    help: 'Samples kept from the last page after metric relabelling.',
    labels: {},
  },
  {
    name: 'scrape_series_added',
    type: 'gauge',
    collection: 'pull',
    source: 'scraper',
    status: 'live',
    help: 'Series the last scrape added that the previous one did not have.',
    labels: {},
  },
  // The origin's /metrics page (pull collection; origin/metrics.ts).
  {
    name: 'origin_http_requests_total',
    type: 'counter',
    collection: 'pull',
    source: 'origin',
    status: 'live',
    help: 'HTTP requests answered by the origin (scrapes of /metrics excluded).',
    labels: { method: 'request method (OTHER for unknown ones)', status: 'HTTP status code' },
  },
  {
    name: 'origin_http_response_bytes_total',
    type: 'counter',
    collection: 'pull',
    source: 'origin',
    status: 'live',
    help: 'Response body bytes sent by the origin.',
    labels: { method: 'request method', status: 'HTTP status code' },
  },
  {
    name: 'origin_http_not_modified_total',
    type: 'counter',
    collection: 'pull',
    source: 'origin',
    status: 'live',
    help: '304 Not Modified responses sent by the origin.',
    labels: {},
  },
  {
    name: 'origin_http_request_duration_seconds',
    type: 'histogram',
    collection: 'pull',
    source: 'origin',
    status: 'live',
    help: 'Time from request to response headers at the origin.',
    labels: { method: 'request method', status: 'HTTP status code' },
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  },
  // News feed: the feed Worker (push collection).
  {
    name: 'pushpull_feed_posts_total',
    type: 'counter',
    collection: 'push',
    source: 'feed',
    status: 'planned',
    help: 'Posts accepted, by the timeline mode that delivers them.',
    labels: { mode: FEED_MODE },
  },
  {
    name: 'pushpull_feed_fanout_rows_total',
    type: 'counter',
    collection: 'push',
    source: 'feed',
    status: 'planned',
    help: 'Inbox rows written by fan-out on write (0 for pull; hybrid writes them only for authors under HYBRID_THRESHOLD).',
    labels: { mode: FEED_MODE },
  },
  {
    name: 'pushpull_feed_visibility_lag_seconds',
    type: 'histogram',
    collection: 'push',
    source: 'feed',
    status: 'planned',
    help:
      "Time from a post's acceptance until it is readable in a follower's timeline: " +
      'observed per fan-out batch when it lands in the inboxes (push, hybrid), ' +
      '0 when the timeline merges it at read time (pull, hybrid above the threshold).',
    labels: { mode: FEED_MODE },
    buckets: LAG_BUCKETS,
  },
  {
    name: 'pushpull_feed_timeline_read_duration_seconds',
    type: 'histogram',
    collection: 'push',
    source: 'feed',
    status: 'planned',
    help: 'Time to answer a timeline read.',
    labels: { mode: FEED_MODE },
    buckets: LATENCY_BUCKETS,
  },
];

const SUFFIXES = ['_bucket', '_sum', '_count'] as const;

/**
 * The catalogue entry a series name belongs to (a histogram's `_bucket`, `_sum` and `_count`
 * belong to the family), or undefined.
 */
export function catalogueEntry(seriesName: string): MetricDefinition | undefined {
  const direct = METRIC_CATALOGUE.find((m) => m.name === seriesName);
  if (direct) return direct;
  for (const suffix of SUFFIXES) {
    if (!seriesName.endsWith(suffix)) continue;
    const family = METRIC_CATALOGUE.find((m) => m.type === 'histogram' && m.name === seriesName.slice(0, -suffix.length));
    if (family) return family;
  }
  return undefined;
}

/** The catalogue entry of a metric family a Worker records (throws for a name the catalogue does not list). */
export function catalogueDefinition(name: string): MetricDefinition {
  const entry = METRIC_CATALOGUE.find((m) => m.name === name);
  if (!entry) throw new Error(`${name} is not in the metric catalogue`);
  return entry;
}
