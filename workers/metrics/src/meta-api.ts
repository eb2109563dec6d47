/**
 * The Prometheus endpoints a Grafana data source calls besides queries and label browsing: /api/v1/metadata
 * (the TYPE/HELP/UNIT kept by metadata.ts), /api/v1/rules, /api/v1/alerts and /api/v1/query_exemplars.
 * pushpull evaluates no rules and stores no exemplars, so those answer Prometheus's well-formed empty shapes
 * (prometheus/web/api/v1/api.go), with Prometheus's bad_data errors for the parameters it would reject.
 */
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { parseTime } from './evaluate';
import { listMetadata } from './metadata';

/** A Prometheus API error of these endpoints (errorType and message, with its status). */
class MetaApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

const badData = (message: string): MetaApiError => new MetaApiError(400, 'bad_data', message);

/** URL and form parameters (form after URL, as Go's r.Form). */
async function params(c: Context): Promise<URLSearchParams> {
  const out = new URLSearchParams(new URL(c.req.url).search);
  const type = c.req.header('content-type') ?? '';
  if (c.req.method === 'POST' && type.startsWith('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer()))) out.append(k, v);
  }
  return out;
}

/** A time parameter, `undefined` when absent. */
function timeParam(p: URLSearchParams, name: string): number | undefined {
  const raw = p.get(name);
  if (raw === null || raw === '') return undefined;
  try {
    return parseTime(raw);
  } catch (e) {
    throw badData(`invalid parameter "${name}": ${(e as Error).message}`);
  }
}

/** An integer parameter as Go's strconv.Atoi reads it; absent = undefined. */
function intParam(p: URLSearchParams, name: string): number | undefined {
  const raw = p.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^[+-]?\d+$/.test(raw)) throw badData(`${name} must be a number`);
  return Number(raw);
}

const success = (c: Context, data: unknown): Response => c.json({ status: 'success', data });

/** The sub-app, mounted at /api/v1 before the query API. */
export const metaApi = new Hono<{ Bindings: Env }>();

metaApi.onError((err, c) => {
  if (err instanceof MetaApiError) return c.json({ status: 'error', errorType: err.errorType, error: err.message }, err.status);
  console.error('meta api failed', err);
  return c.json({ status: 'error', errorType: 'internal', error: 'internal error' }, 500);
});

metaApi.get('/rules', async (c) => {
  const type = ((await params(c)).get('type') ?? '').toLowerCase();
  if (type !== '' && type !== 'alert' && type !== 'record')
    throw badData(`invalid parameter "type": not supported value ${JSON.stringify(type)}`);
  return success(c, { groups: [] });
});

metaApi.get('/alerts', (c) => success(c, { alerts: [] }));

metaApi.on(['GET', 'POST'], '/query_exemplars', async (c) => {
  const p = await params(c);
  const start = timeParam(p, 'start');
  const end = timeParam(p, 'end');
  if (start !== undefined && end !== undefined && end < start) throw badData('end timestamp must not be before start timestamp');
  if ((p.get('query') ?? '').trim() === '') throw badData('1:1: parse error: no expression found in input');
  return success(c, []);
});

metaApi.get('/metadata', async (c) => {
  const p = await params(c);
  const limit = intParam(p, 'limit');
  const limitPerMetric = intParam(p, 'limit_per_metric');
  const metric = p.get('metric') || undefined;
  return success(c, await listMetadata(c.env, { metric, limit, limitPerMetric }));
});
