/**
 * The Prometheus-compatible read API: /api/v1/query, /api/v1/query_range, /api/v1/series,
 * /api/v1/labels, /api/v1/label/<name>/values, /api/v1/status/buildinfo. GET and form POST,
 * Prometheus's envelope (`{"status":"success","data":...}`) and error types
 * (`bad_data` 400, `execution` 422, `internal` 500), as in prometheus/web/api/v1/api.go.
 */
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { MAX_POINTS_PER_SERIES, ParamError, parseDurationParam, parseTime, stepCount } from './evaluate';
import { readLimits } from './limits';
import type { Expr } from './promql/ast';
import { instantQuery, rangeQuery, RangeQueryTypeError, type EngineOptions, type Storage } from './promql/engine';
import { parsePromQL } from './promql/parse';
import { EvalError, QueryTimeoutError } from './promql/values';
import { parseSelector, SelectorParseError, type LabelMatcher } from './selector';
import { MAX_TIME_MS, MIN_TIME_MS } from './shard';
import { selectLabelSets, selectSeries, TooManySamplesError } from './store';

/** A Prometheus API error: errorType plus message, with its status code. */
class PromApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

const MIN_TIME = MIN_TIME_MS;
const MAX_TIME = MAX_TIME_MS;

function badData(message: string): PromApiError {
  return new PromApiError(400, 'bad_data', message);
}

/** Query and form parameters together (form values after URL ones, as Go's r.Form). */
async function params(c: Context): Promise<URLSearchParams> {
  const out = new URLSearchParams(new URL(c.req.url).search);
  if (c.req.method === 'POST') {
    const type = c.req.header('content-type') ?? '';
    if (type.startsWith('application/x-www-form-urlencoded')) {
      for (const [k, v] of new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer()))) out.append(k, v);
    } else if (type.startsWith('multipart/form-data')) {
      let form: FormData;
      try {
        form = await c.req.formData();
      } catch (e) {
        // A missing boundary or a body that does not follow it; Prometheus words it as Go's ParseForm error.
        throw badData(`error parsing form values: ${e instanceof Error ? e.message : String(e)}`);
      }
      for (const [k, v] of form) if (typeof v === 'string') out.append(k, v);
    }
  }
  return out;
}

function timeParam(p: URLSearchParams, name: string, fallback: number | undefined): number {
  const raw = p.get(name);
  if (raw === null || raw === '') {
    if (fallback !== undefined) return fallback;
    throw badData(`invalid parameter "${name}": cannot parse "" to a valid timestamp`);
  }
  let ms: number;
  try {
    ms = parseTime(raw);
  } catch (e) {
    throw badData(`invalid parameter "${name}": ${(e as Error).message}`);
  }
  if (ms < MIN_TIME || ms > MAX_TIME) {
    throw badData(`invalid parameter "${name}": ${JSON.stringify(raw)} is outside the supported time range (years 0001 to 9999)`);
  }
  return ms;
}

function parseQuery(p: URLSearchParams): Expr {
  const q = p.get('query');
  if (q === null || q.trim() === '') throw badData('invalid parameter "query": 1:1: parse error: no expression found in input');
  try {
    return parsePromQL(q);
  } catch (e) {
    if (e instanceof SelectorParseError) throw badData(`invalid parameter "query": ${e.message}`);
    throw e;
  }
}

function matchParams(p: URLSearchParams): LabelMatcher[][] {
  return p.getAll('match[]').map((m) => {
    let expr;
    try {
      expr = parseSelector(m);
    } catch (e) {
      if (e instanceof SelectorParseError) throw badData(`invalid parameter "match[]": ${e.message}`);
      throw e;
    }
    if (expr.kind !== 'vector' || expr.rangeMs !== undefined)
      throw badData(`invalid parameter "match[]": ${JSON.stringify(m)} is not a vector selector`);
    return expr.matchers;
  });
}

function success(c: Context, data: unknown): Response {
  return c.json({ status: 'success', data });
}

/** The read API sub-app, mounted at /api/v1. */
export const queryApi = new Hono<{ Bindings: Env }>();

queryApi.onError((err, c) => {
  if (err instanceof PromApiError) return c.json({ status: 'error', errorType: err.errorType, error: err.message }, err.status);
  if (err instanceof TooManySamplesError || err instanceof EvalError) {
    return c.json({ status: 'error', errorType: 'execution', error: err.message }, 422);
  }
  if (err instanceof QueryTimeoutError) return c.json({ status: 'error', errorType: 'timeout', error: err.message }, 503);
  console.error('query failed', err);
  return c.json({ status: 'error', errorType: 'internal', error: 'internal error' }, 500);
});

/** The engine's settings for one request: the Worker's limits, the request's `timeout` (which may only shorten them). */
function engineOptions(c: Context<{ Bindings: Env }>, p: URLSearchParams): EngineOptions {
  const limits = readLimits(c.env);
  let timeoutMs = limits.queryTimeoutSeconds * 1000;
  const raw = p.get('timeout');
  if (raw !== null && raw !== '') {
    let asked: number;
    try {
      asked = parseDurationParam(raw);
    } catch (e) {
      if (e instanceof ParamError) throw badData(`invalid parameter "timeout": ${e.message}`);
      throw e;
    }
    if (asked > 0) timeoutMs = Math.min(timeoutMs, asked);
  }
  return {
    lookbackMs: limits.queryLookbackSeconds * 1000,
    maxSamples: limits.queryMaxSamples,
    defaultSubqueryStepMs: 60_000,
    deadline: Date.now() + timeoutMs,
  };
}

function storage(env: Env): Storage {
  return { select: (matchers, afterMs, untilMs) => selectSeries(env, { matchers, afterMs, untilMs }) };
}

queryApi.on(['GET', 'POST'], '/query', async (c) => {
  const p = await params(c);
  const t = timeParam(p, 'time', Date.now());
  const expr = parseQuery(p);
  return success(c, await instantQuery(expr, t, storage(c.env), engineOptions(c, p)));
});

queryApi.on(['GET', 'POST'], '/query_range', async (c) => {
  const p = await params(c);
  const start = timeParam(p, 'start', undefined);
  const end = timeParam(p, 'end', undefined);
  if (end < start) throw badData('invalid parameter "end": end timestamp must not be before start time');
  let step: number;
  try {
    step = parseDurationParam(p.get('step') ?? '');
  } catch (e) {
    if (e instanceof ParamError) throw badData(`invalid parameter "step": ${e.message}`);
    throw e;
  }
  if (!(step > 0))
    throw badData('invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer');
  // Counted by arithmetic: a loop of t += step would stall where t no longer changes (above 2^53 ms).
  if (stepCount(start, end, step) > MAX_POINTS_PER_SERIES) {
    throw badData('exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
  }
  const expr = parseQuery(p);
  try {
    return success(c, await rangeQuery(expr, start, end, step, storage(c.env), engineOptions(c, p)));
  } catch (e) {
    if (e instanceof RangeQueryTypeError) throw badData(`invalid parameter "query": ${e.message}`);
    throw e;
  }
});

queryApi.on(['GET', 'POST'], '/series', async (c) => {
  const p = await params(c);
  const sets = matchParams(p);
  if (sets.length === 0) throw badData('no match[] parameter provided');
  const start = timeParam(p, 'start', MIN_TIME);
  const end = timeParam(p, 'end', MAX_TIME);
  return success(c, await selectLabelSets(c.env, sets, start, end));
});

queryApi.on(['GET', 'POST'], '/labels', async (c) => {
  const p = await params(c);
  const sets = matchParams(p);
  const start = timeParam(p, 'start', MIN_TIME);
  const end = timeParam(p, 'end', MAX_TIME);
  const names = new Set<string>();
  for (const labels of await selectLabelSets(c.env, sets, start, end)) for (const k of Object.keys(labels)) names.add(k);
  return success(c, [...names].sort());
});

queryApi.get('/label/:name/values', async (c) => {
  const name = c.req.param('name');
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) throw badData(`invalid label name: ${JSON.stringify(name)}`);
  const p = await params(c);
  const sets = matchParams(p);
  const start = timeParam(p, 'start', MIN_TIME);
  const end = timeParam(p, 'end', MAX_TIME);
  const values = new Set<string>();
  for (const labels of await selectLabelSets(c.env, sets, start, end)) {
    const v = labels[name];
    if (v !== undefined) values.add(v);
  }
  return success(c, [...values].sort());
});

queryApi.get('/status/buildinfo', (c) =>
  success(c, {
    version: '3.0.0',
    revision: 'pushpull',
    branch: 'main',
    buildUser: 'pushpull',
    buildDate: '20261124-00:00:00',
    goVersion: 'workerd',
  }),
);
