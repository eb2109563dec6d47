/**
 * The scrape configuration, in Prometheus's own terms (`scrape_configs` of prometheus.yml,
 * written as JSON): jobs with `static_configs`, `scrape_interval`, `scrape_timeout`,
 * `metrics_path`, `scheme`, `params`, `honor_labels`, `honor_timestamps`, `follow_redirects`, `sample_limit`,
 * `body_size_limit`. Validation and defaults follow Prometheus 2.x `config/config.go`.
 * Pure: no bindings.
 */

import { isPromDurationSyntax, parsePromDuration } from '@pushpull/wire/prometheus-model/duration';

/** A target after defaults: what one scrape needs. */
export interface TargetConfig {
  /** `host:port` as written in `static_configs` (becomes `instance` unless a label sets it). */
  address: string;
  /** Target labels: `job`, `instance` and the static labels (Prometheus's labels after relabeling). */
  labels: Record<string, string>;
  /** The URL scraped: scheme://address/metrics_path?params. */
  scrapeUrl: string;
}

/** A job after defaults and limits. */
export interface JobConfig {
  jobName: string;
  scrapeIntervalMs: number;
  scrapeTimeoutMs: number;
  metricsPath: string;
  scheme: 'http' | 'https';
  params: Record<string, string[]>;
  honorLabels: boolean;
  honorTimestamps: boolean;
  /** Prometheus's `follow_redirects` (its HTTP client setting, default true). */
  followRedirects: boolean;
  /** Effective limit (the job's, capped by MAX_SAMPLES_PER_SCRAPE). */
  sampleLimit: number;
  /** Effective limit in bytes (the job's, capped by MAX_BODY_SIZE). */
  bodySizeLimit: number;
  targets: TargetConfig[];
}

/** Operator limits from the Worker's settings. */
export interface ScrapeLimits {
  maxBodySize: number;
  maxSamplesPerScrape: number;
  maxTargets: number;
  minScrapeIntervalMs: number;
}

/** A configuration that cannot be used; `problems` names every field at fault. */
export class ScrapeConfigError extends Error {
  override readonly name = 'ScrapeConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid scrape configuration: ${problems.join('; ')}`);
  }
}

/**
 * The longest `scrape_interval` (100 years): the next round is a Durable Object alarm one interval
 * on, and workerd refuses alarms past the year 2189 ("This API doesn't support dates after 2189").
 */
export const MAX_SCRAPE_INTERVAL_MS = 100 * 365 * 86_400_000;

const SIZE_RE = /^(\d+)(B|KB|KiB|MB|MiB|GB|GiB|TB|TiB)?$/;
const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1024,
  KiB: 1024,
  MB: 1024 ** 2,
  MiB: 1024 ** 2,
  GB: 1024 ** 3,
  GiB: 1024 ** 3,
  TB: 1024 ** 4,
  TiB: 1024 ** 4,
};

/** Prometheus's `body_size_limit` syntax (base-2 units: `10MB` = 10 MiB; `0` = no limit). */
export function parseByteSize(s: string): number | undefined {
  const m = SIZE_RE.exec(s);
  if (m === null) return undefined;
  return Number(m[1]) * SIZE_UNITS[m[2] ?? 'B'];
}

const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const JOB_NAME_MAX = 128;
const DOCUMENT_KEYS = new Set(['global', 'scrape_configs']);
const JOB_KEYS = new Set([
  'job_name',
  'static_configs',
  'scrape_interval',
  'scrape_timeout',
  'metrics_path',
  'scheme',
  'params',
  'honor_labels',
  'honor_timestamps',
  'follow_redirects',
  'sample_limit',
  'body_size_limit',
]);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validates a configuration document and applies Prometheus's defaults (global
 * scrape_interval 1m, scrape_timeout 10s but never above the interval, metrics_path
 * /metrics, scheme http, honor_timestamps true) and the operator's limits.
 * Throws {@link ScrapeConfigError} listing every problem.
 */
export function resolveScrapeConfig(doc: unknown, limits: ScrapeLimits): JobConfig[] {
  const problems: string[] = [];
  if (!isRecord(doc)) throw new ScrapeConfigError(['the configuration must be a JSON object']);
  for (const k of Object.keys(doc)) if (!DOCUMENT_KEYS.has(k)) problems.push(`unknown field "${k}"`);
  const global = doc.global === undefined ? {} : doc.global;
  if (!isRecord(global)) throw new ScrapeConfigError(['global must be an object']);
  const gInterval = durationField(global.scrape_interval, 'global.scrape_interval', 60_000, problems);
  const gTimeoutGiven = global.scrape_timeout !== undefined;
  const gTimeout = durationField(global.scrape_timeout, 'global.scrape_timeout', 10_000, problems);
  if (gTimeoutGiven && gTimeout > gInterval) problems.push('global.scrape_timeout greater than global.scrape_interval');
  const jobsIn = doc.scrape_configs;
  if (!Array.isArray(jobsIn)) throw new ScrapeConfigError([...problems, 'scrape_configs must be an array']);
  const jobs: JobConfig[] = [];
  const names = new Set<string>();
  const urls = new Set<string>();
  let targetCount = 0;
  jobsIn.forEach((raw: unknown, j) => {
    const at = `scrape_configs[${j}]`;
    if (!isRecord(raw)) {
      problems.push(`${at} must be an object`);
      return;
    }
    for (const k of Object.keys(raw)) if (!JOB_KEYS.has(k)) problems.push(`${at}: unknown field "${k}"`);
    const jobName = raw.job_name;
    if (typeof jobName !== 'string' || jobName === '' || jobName.length > JOB_NAME_MAX) {
      problems.push(`${at}.job_name must be a non-empty string of at most ${JOB_NAME_MAX} characters`);
      return;
    }
    if (names.has(jobName)) problems.push(`found multiple scrape configs with job name "${jobName}"`);
    names.add(jobName);
    const interval = durationField(raw.scrape_interval, `${at}.scrape_interval`, gInterval, problems);
    // Prometheus: a job without its own timeout takes the global one, capped at its interval.
    const timeout =
      raw.scrape_timeout === undefined
        ? Math.min(gTimeout, interval)
        : durationField(raw.scrape_timeout, `${at}.scrape_timeout`, gTimeout, problems);
    if (interval < limits.minScrapeIntervalMs)
      problems.push(`${at}.scrape_interval below the minimum of ${limits.minScrapeIntervalMs / 1000}s`);
    if (interval > MAX_SCRAPE_INTERVAL_MS)
      problems.push(`${at}.scrape_interval above the maximum of 100y (the next scrape is an alarm, which cannot be set past 2189)`);
    if (timeout > interval)
      problems.push(`${at}: scrape timeout greater than scrape interval for scrape config with job name "${jobName}"`);
    if (timeout <= 0) problems.push(`${at}.scrape_timeout must be positive`);
    const rawPath = raw.metrics_path ?? '/metrics';
    if (typeof rawPath !== 'string' || !rawPath.startsWith('/')) problems.push(`${at}.metrics_path must be a path starting with /`);
    const metricsPath = typeof rawPath === 'string' ? rawPath : '/metrics';
    const scheme = raw.scheme ?? 'http';
    if (scheme !== 'http' && scheme !== 'https') problems.push(`${at}.scheme must be http or https`);
    const params: Record<string, string[]> = {};
    if (raw.params !== undefined) {
      if (!isRecord(raw.params)) problems.push(`${at}.params must be an object of string arrays`);
      else {
        for (const [k, v] of Object.entries(raw.params)) {
          if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) problems.push(`${at}.params.${k} must be an array of strings`);
          else params[k] = v;
        }
      }
    }
    const honorLabels = boolField(raw.honor_labels, `${at}.honor_labels`, false, problems);
    const honorTimestamps = boolField(raw.honor_timestamps, `${at}.honor_timestamps`, true, problems);
    const followRedirects = boolField(raw.follow_redirects, `${at}.follow_redirects`, true, problems);
    let sampleLimit = limits.maxSamplesPerScrape;
    if (raw.sample_limit !== undefined) {
      if (typeof raw.sample_limit !== 'number' || !Number.isInteger(raw.sample_limit) || raw.sample_limit < 0)
        problems.push(`${at}.sample_limit must be a non-negative integer`);
      else if (raw.sample_limit > 0) sampleLimit = Math.min(raw.sample_limit, limits.maxSamplesPerScrape);
    }
    let bodySizeLimit = limits.maxBodySize;
    if (raw.body_size_limit !== undefined) {
      const size = typeof raw.body_size_limit === 'string' ? parseByteSize(raw.body_size_limit) : undefined;
      if (size === undefined) problems.push(`${at}.body_size_limit must be a size like "10MB"`);
      else if (size > 0) bodySizeLimit = Math.min(size, limits.maxBodySize);
    }
    const targets: TargetConfig[] = [];
    const statics = raw.static_configs ?? [];
    if (!Array.isArray(statics)) problems.push(`${at}.static_configs must be an array`);
    else {
      statics.forEach((sc: unknown, s) => {
        const sat = `${at}.static_configs[${s}]`;
        if (!isRecord(sc) || !Array.isArray(sc.targets)) {
          problems.push(`${sat}.targets must be an array of "host:port" strings`);
          return;
        }
        const extra: Record<string, string> = {};
        if (sc.labels !== undefined) {
          if (!isRecord(sc.labels)) problems.push(`${sat}.labels must be an object of strings`);
          else {
            for (const [k, v] of Object.entries(sc.labels)) {
              if (!LABEL_NAME_RE.test(k)) problems.push(`${sat}.labels: "${k}" is not a valid label name`);
              else if (typeof v !== 'string') problems.push(`${sat}.labels.${k} must be a string`);
              else if (k === '__metrics_path__' && !v.startsWith('/')) problems.push(`${sat}.labels.__metrics_path__ must start with /`);
              else if (k === '__scheme__' && v !== 'http' && v !== 'https') problems.push(`${sat}.labels.__scheme__ must be http or https`);
              else extra[k] = v;
            }
          }
        }
        for (const t of sc.targets as unknown[]) {
          if (typeof t !== 'string' || !/^[^\s/?#@]+$/.test(t) || t.includes('://')) {
            problems.push(`${sat}: target ${JSON.stringify(t)} must be "host:port" (no scheme or path)`);
            continue;
          }
          // Prometheus meta labels in static labels override the job's settings per target
          // (`__metrics_path__`, `__scheme__`, `__param_<name>`); other `__` labels are dropped.
          const targetParams: Record<string, string[]> = { ...params };
          for (const [k, v] of Object.entries(extra)) if (k.startsWith('__param_')) targetParams[k.slice(8)] = [v];
          const url = targetUrl(
            extra.__scheme__ ?? (typeof scheme === 'string' ? scheme : 'http'),
            t,
            extra.__metrics_path__ ?? metricsPath,
            targetParams,
          );
          if (url === undefined) {
            problems.push(`${sat}: target ${JSON.stringify(t)} is not a valid host:port`);
            continue;
          }
          if (urls.has(`${jobName} ${url}`)) continue; // Prometheus deduplicates identical targets
          urls.add(`${jobName} ${url}`);
          // Target labels: the static labels, then job/instance unless set (Prometheus populateLabels).
          const labels: Record<string, string> = {};
          for (const [k, v] of Object.entries(extra)) if (!k.startsWith('__')) labels[k] = v;
          labels.job ??= jobName;
          labels.instance ??= t;
          for (const k of Object.keys(labels)) if (labels[k] === '') delete labels[k];
          targets.push({ address: t, labels, scrapeUrl: url });
          targetCount++;
        }
      });
    }
    jobs.push({
      jobName,
      scrapeIntervalMs: interval,
      scrapeTimeoutMs: timeout,
      metricsPath,
      scheme: scheme === 'https' ? 'https' : 'http',
      params,
      honorLabels,
      honorTimestamps,
      followRedirects,
      sampleLimit,
      bodySizeLimit,
      targets,
    });
  });
  if (targetCount > limits.maxTargets) problems.push(`${targetCount} targets exceed MAX_TARGETS (${limits.maxTargets})`);
  if (problems.length > 0) throw new ScrapeConfigError(problems);
  return jobs;
}

function targetUrl(scheme: string, address: string, path: string, params: Record<string, string[]>): string | undefined {
  try {
    const url = new URL(`${scheme}://${address}${path}`);
    if (url.host === '' || url.username !== '') return undefined;
    for (const [k, vs] of Object.entries(params)) for (const v of vs) url.searchParams.append(k, v);
    return url.toString();
  } catch {
    return undefined;
  }
}

function durationField(v: unknown, at: string, dflt: number, problems: string[]): number {
  if (v === undefined) return dflt;
  const ms = typeof v === 'string' ? parsePromDuration(v) : undefined;
  if (ms === undefined) {
    problems.push(
      typeof v === 'string' && isPromDurationSyntax(v)
        ? `${at}: duration out of range (at most 106751d23h47m16s854ms, as in Prometheus)`
        : `${at} must be a duration like "15s" or "1m"`,
    );
    return dflt;
  }
  return ms;
}

function boolField(v: unknown, at: string, dflt: boolean, problems: string[]): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') {
    problems.push(`${at} must be true or false`);
    return dflt;
  }
  return v;
}
