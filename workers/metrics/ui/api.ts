/**
 * The browser's client of the Prometheus HTTP API on the same origin (/api/v1/*): instant and
 * range queries, with Prometheus's envelope and error types turned into {@link PromError}.
 */

/** One series of a range query (matrix) result. */
export interface RangeSeries {
  metric: Record<string, string>;
  values: [number, string][];
}
/** One sample of an instant query (vector) result. */
export interface InstantSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** An instant query's result, by its type. */
export type InstantResult =
  | { resultType: 'vector'; result: InstantSample[] }
  | { resultType: 'matrix'; result: RangeSeries[] }
  | { resultType: 'scalar' | 'string'; result: [number, string] };

/** Prometheus's answer to a failed request (`{"status":"error","errorType":…,"error":…}`). */
export class PromError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }

  /**
   * The position of a parse error (`1:5: parse error: …`, Prometheus's ParseErr) as a
   * 0-based offset into `expr`, or undefined.
   */
  position(expr: string): { offset: number; line: number; column: number } | undefined {
    const m = /(?:^|: )(\d+):(\d+)(?:-\d+:\d+)?: parse error/.exec(this.message);
    if (!m) return undefined;
    const line = Number(m[1]);
    const column = Number(m[2]);
    const lines = expr.split('\n');
    let offset = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) offset += (lines[i]?.length ?? 0) + 1;
    return { offset: Math.min(offset + column - 1, expr.length), line, column };
  }
}

interface Envelope<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
}

async function call<T>(path: string, params: Record<string, string>, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params),
      signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new PromError('unavailable', `the metrics Worker did not answer: ${err instanceof Error ? err.message : String(err)}`, 0);
  }
  const text = await res.text();
  let body: Envelope<T>;
  try {
    body = JSON.parse(text) as Envelope<T>;
  } catch {
    throw new PromError('bad_response', `HTTP ${res.status}: ${text.slice(0, 200)}`, res.status);
  }
  if (body.status !== 'success' || body.data === undefined) {
    throw new PromError(body.errorType ?? 'unknown', body.error ?? `HTTP ${res.status}`, res.status);
  }
  return body.data;
}

/** POST /api/v1/query_range; times in seconds since the epoch, step in seconds. */
export async function queryRange(expr: string, start: number, end: number, step: number, signal?: AbortSignal): Promise<RangeSeries[]> {
  const data = await call<{ resultType: string; result: RangeSeries[] }>(
    '/api/v1/query_range',
    {
      query: expr,
      start: String(start),
      end: String(end),
      step: String(step),
    },
    signal,
  );
  return data.result;
}

/** POST /api/v1/query at `time` (seconds since the epoch). */
export function queryInstant(expr: string, time: number, signal?: AbortSignal): Promise<InstantResult> {
  return call<InstantResult>('/api/v1/query', { query: expr, time: String(time) }, signal);
}

/** Every metric name in the store (GET /api/v1/label/__name__/values). */
export async function metricNames(): Promise<string[]> {
  const res = await fetch('/api/v1/label/__name__/values');
  const body = (await res.json()) as Envelope<string[]>;
  if (body.status !== 'success' || body.data === undefined)
    throw new PromError(body.errorType ?? 'unknown', body.error ?? `HTTP ${res.status}`, res.status);
  return body.data;
}
