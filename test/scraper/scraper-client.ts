// The scraper Worker as its tests call it (in workerd): requests, config, targets of the test setup.
import { env, exports } from 'cloudflare:workers';

/** The token the test config sets. */
const TOKEN = 'test-token';
export const AUTH = { authorization: `Bearer ${TOKEN}` };

/** Settings the test config adds (not in the Worker's generated Env). */
interface TestEnv {
  TARGETS_PORT: string;
  TOGGLE_PORT: string;
  /** The real metrics Worker's HTTP side (query API). */
  METRICS_HTTP: Fetcher;
}
export const testEnv = env as unknown as Env & TestEnv;

/** `127.0.0.1:<port>` of the test targets. */
export const targets = (): string => `127.0.0.1:${testEnv.TARGETS_PORT}`;

/** One request through the scraper Worker. */
export async function call(
  path: string,
  init?: RequestInit,
): Promise<{ status: number; headers: Headers; text: string; json: <T = unknown>() => T }> {
  const res = await exports.default.fetch(new Request(`http://scraper.test${path}`, init));
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
}

/** PUT /api/v1/config (must succeed). */
export async function putConfig(doc: unknown): Promise<void> {
  const r = await call('/api/v1/config', {
    method: 'PUT',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: JSON.stringify(doc),
  });
  if (r.status !== 200) throw new Error(`PUT /api/v1/config: ${r.status} ${r.text}`);
}

/** A Prometheus activeTargets entry. */
export interface ActiveTarget {
  labels: Record<string, string>;
  discoveredLabels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
  lastSamples: number;
  health: string;
  scrapeInterval: string;
  scrapeTimeout: string;
}

/** POST /api/v1/scrape?job=… : one round now; the job's targets' health. */
export async function scrapeJob(job: string): Promise<ActiveTarget[]> {
  const r = await call(`/api/v1/scrape?job=${encodeURIComponent(job)}`, { method: 'POST', headers: AUTH });
  if (r.status !== 200) throw new Error(`POST /api/v1/scrape: ${r.status} ${r.text}`);
  return r.json<{ data: { activeTargets: ActiveTarget[] } }>().data.activeTargets;
}

/** GET /api/v1/query on the real metrics store; its `data.result`. */
async function queryResult<R>(q: string, timeSeconds: number | undefined): Promise<R[]> {
  const params = new URLSearchParams({ query: q });
  if (timeSeconds !== undefined) params.set('time', String(timeSeconds));
  const res = await testEnv.METRICS_HTTP.fetch(`http://metrics.test/api/v1/query?${params.toString()}`);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`query ${q}: ${res.status} ${text}`);
  return (JSON.parse(text) as { data: { result: R[] } }).data.result;
}

/** An instant query against the real metrics store. */
export function query(q: string, timeSeconds?: number): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  return queryResult(q, timeSeconds);
}

/** A range-vector query's raw samples ([seconds, value] pairs) per series. */
export function rawSamples(q: string, timeSeconds?: number): Promise<{ metric: Record<string, string>; values: [number, string][] }[]> {
  return queryResult(q, timeSeconds);
}

/** Value of a single-series query, or undefined when absent. */
export async function value(q: string): Promise<string | undefined> {
  const r = await query(q);
  if (r.length > 1) throw new Error(`${q} matched ${r.length} series`);
  return r[0]?.value[1];
}

/** A job scraping the given metrics paths of the test targets. */
export function job(name: string, paths: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    job_name: name,
    scrape_interval: '1h', // rounds are driven by the tests, not the alarm
    scrape_timeout: '10s', // generous: a loaded CI machine must not turn a good target down
    ...extra,
    static_configs: paths.map((p) => ({ targets: [targets()], labels: { __metrics_path__: p, path: p } })),
  };
}

/** Targets' health by the `path` label. */
export function byPath(ts: ActiveTarget[]): Record<string, ActiveTarget> {
  return Object.fromEntries(ts.map((t) => [t.labels.path, t]));
}
