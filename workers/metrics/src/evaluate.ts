/**
 * The query API's time parameters, as Prometheus's API reads them: RFC 3339 or Unix seconds,
 * durations as seconds or `1m`; and the range query's step count (evaluation: promql/).
 */
import { parsePromDuration } from '@pushpull/wire/prometheus-model/duration';

/** Prometheus's cap on points per series in a range query. */
export const MAX_POINTS_PER_SERIES = 11_000;

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
