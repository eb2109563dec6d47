/**
 * Evaluation of selectors over raw samples, as Prometheus evaluates them (pure):
 * - an instant vector at t takes each series' newest sample in (t - lookback, t]; when that
 *   sample is a staleness marker the series is absent at t (Prometheus 3 lookback semantics);
 * - a range vector at t is the raw samples in (t - range, t], staleness markers dropped;
 * - a range query evaluates the instant vector at start, start+step, ... <= end.
 * Time parameters follow Prometheus's API: RFC 3339 or Unix seconds, durations as seconds or `1m`.
 */
import type { SeriesBatch } from '@pushpull/contracts/metrics';
import { formatPromValue } from './sample-value';
import { parsePromDuration } from './selector';

/** Prometheus's default lookback delta (--query.lookback-delta). */
export const LOOKBACK_MS = 5 * 60_000;
/** Prometheus's cap on points per series in a range query. */
export const MAX_POINTS_PER_SERIES = 11_000;

/** A [seconds, "value"] pair as Prometheus's JSON renders it. */
export type PromPoint = [number, string];

/** An instant-vector element. */
export interface VectorElement {
  metric: Record<string, string>;
  value: PromPoint;
}
/** A range-vector / matrix element. */
export interface MatrixElement {
  metric: Record<string, string>;
  values: PromPoint[];
}

function point(ms: number, value: number): PromPoint {
  return [ms / 1000, formatPromValue(value)];
}

/** Index of the newest sample with ts <= t (timestamps ascending), or -1. */
function lastAtOrBefore(ts: number[], t: number): number {
  let lo = 0;
  let hi = ts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ts[mid] <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** The instant vector of `series` at `t` (ms). */
export function instantVector(series: readonly SeriesBatch[], t: number, lookbackMs = LOOKBACK_MS): VectorElement[] {
  const out: VectorElement[] = [];
  for (const s of series) {
    const i = lastAtOrBefore(s.timestamps, t);
    if (i < 0 || s.timestamps[i] <= t - lookbackMs) continue;
    if (s.staleAt?.includes(i)) continue;
    out.push({ metric: s.labels, value: point(s.timestamps[i], s.values[i]) });
  }
  // Prometheus stamps instant-vector results with the evaluation time.
  for (const e of out) e.value[0] = t / 1000;
  return out;
}

/** The range vector `[rangeMs]` of `series` at `t`: raw samples, staleness markers dropped. */
export function rangeVector(series: readonly SeriesBatch[], t: number, rangeMs: number): MatrixElement[] {
  const out: MatrixElement[] = [];
  for (const s of series) {
    const stale = new Set(s.staleAt ?? []);
    const values: PromPoint[] = [];
    for (let i = 0; i < s.timestamps.length; i++) {
      const ts = s.timestamps[i];
      if (ts > t - rangeMs && ts <= t && !stale.has(i)) values.push(point(ts, s.values[i]));
    }
    if (values.length) out.push({ metric: s.labels, values });
  }
  return out;
}

/** The matrix of a range query over an instant-vector selector. */
export function rangeQuery(
  series: readonly SeriesBatch[],
  startMs: number,
  endMs: number,
  stepMs: number,
  lookbackMs = LOOKBACK_MS,
): MatrixElement[] {
  const out: MatrixElement[] = [];
  for (const s of series) {
    const stale = new Set(s.staleAt ?? []);
    const values: PromPoint[] = [];
    let i = -1;
    for (let t = startMs; t <= endMs; t += stepMs) {
      while (i + 1 < s.timestamps.length && s.timestamps[i + 1] <= t) i++;
      if (i < 0 || s.timestamps[i] <= t - lookbackMs || stale.has(i)) continue;
      values.push([t / 1000, formatPromValue(s.values[i])]);
    }
    if (values.length) out.push({ metric: s.labels, values });
  }
  return out;
}

/** Steps of a range query (for the 11,000-point cap). */
export function stepCount(startMs: number, endMs: number, stepMs: number): number {
  return Math.floor((endMs - startMs) / stepMs) + 1;
}

/** A bad time or duration parameter. */
export class ParamError extends Error {}

/** Prometheus's parseTime: Unix seconds (fractions allowed) or RFC 3339; milliseconds out. */
export function parseTime(text: string): number {
  const trimmed = text.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed)) {
    const seconds = Number(trimmed);
    if (Number.isFinite(seconds)) return Math.round(seconds * 1000);
  }
  if (/^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(trimmed)) {
    const ms = Date.parse(trimmed.replace(/(\.\d{3})\d+/, '$1'));
    if (Number.isFinite(ms)) return ms;
  }
  throw new ParamError(`cannot parse ${JSON.stringify(text)} to a valid timestamp`);
}

/** Prometheus's parseDuration: seconds (fractions allowed) or a duration like `1m30s`; ms out. */
export function parseDurationParam(text: string): number {
  const trimmed = text.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed)) {
    const seconds = Number(trimmed);
    if (Number.isFinite(seconds)) return Math.round(seconds * 1000);
  }
  const ms = parsePromDuration(trimmed);
  if (ms !== undefined) return ms;
  throw new ParamError(`cannot parse ${JSON.stringify(text)} to a valid duration`);
}
