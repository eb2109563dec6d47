/**
 * InfluxDB write API: `POST /api/v2/write` (InfluxDB 2.x), `POST /write` (1.x compatibility),
 * `GET|HEAD /ping`, `GET /health`. Status codes and JSON bodies as InfluxDB answers them:
 *   204 written; 400 {"code":"invalid","message":"partial write error (N written): ...","line":L}
 *   (the good lines are kept); 401 {"code":"unauthorized",...}; 413 {"code":"request too large",...}.
 * Points map onto series as described in influx-mapping.ts (VictoriaMetrics style).
 */
import { Hono, type Context } from 'hono';
import {
  challengesFor,
  missingTokenMessage,
  presentedCredentials,
  requireToken,
  timingSafeEqualStrings,
  type TokenAuth,
} from '@pushpull/http/auth';
import { wwwAuthenticate } from '@pushpull/http/semantics/www-authenticate';
import { ApiError } from '@pushpull/http/errors';
import { pointsToSeries, type MappingOptions } from '@pushpull/wire/influx/series-mapping';
import { SettingError } from '@pushpull/http/settings';
import { readLimits, type MetricsLimits } from './limits';
import { parseLineProtocol, type LineError, type ParseResult, type Precision } from '@pushpull/wire/influx/line-protocol';
import type { Point } from '@pushpull/wire/influx/point-columns';
import { BodyError, readBody } from '@pushpull/http/request-body';
import { prepareSeries, type PreparedWrite } from './series';
import { recordIngested } from './self-metrics';
import { storePrepared } from './store';

/** The version the ping and health endpoints report. */
const INFLUX_VERSION = 'v2.7.0';

/** An InfluxDB-style error: `{"code": ..., "message": ..., "line"?: ...}`. */
class InfluxError extends Error {
  constructor(
    readonly status: 400 | 401 | 404 | 413 | 415 | 500,
    readonly code: string,
    message: string,
    readonly line?: number,
    /** Fields of the answer (a 401's `WWW-Authenticate`). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

const INFLUX_CODES: Record<number, string> = {
  400: 'invalid',
  401: 'unauthorized',
  404: 'not found',
  413: 'request too large',
  415: 'unsupported media type',
  500: 'internal error',
};

/** The InfluxDB sub-app, mounted at /. */
export const influxApi = new Hono<{ Bindings: Env }>();

// InfluxDB 2.x names the error code of every error answer in X-Platform-Error-Code too
// (kit/transport/http/error_handler.go), so clients read it without parsing the body.
influxApi.onError((err, c) => {
  if (err instanceof InfluxError) {
    const body: Record<string, unknown> = { code: err.code, message: err.message };
    if (err.line !== undefined) body.line = err.line;
    return c.json(body, err.status, { ...err.headers, 'x-platform-error-code': err.code });
  }
  if (err instanceof ApiError) {
    const status = err.status as 400 | 401 | 413 | 415;
    const code = INFLUX_CODES[status] ?? 'invalid';
    return c.json({ code, message: err.status === 401 ? `unauthorized access: ${err.message}` : err.message }, status, {
      ...err.headers,
      'x-platform-error-code': code,
    });
  }
  if (err instanceof SettingError) {
    console.error('misconfigured Worker:', err.message);
    return c.json({ code: 'internal error', message: `misconfigured: ${err.message}` }, 500);
  }
  console.error('influx write failed', err);
  return c.json({ code: 'internal error', message: 'internal error: the write may be retried' }, 500);
});

const V2_PRECISIONS = new Set(['ns', 'us', 'ms', 's']);
const V1_PRECISIONS = new Set(['ns', 'n', 'us', 'u', 'ms', 's', 'm', 'h']);

influxApi.on(['GET', 'HEAD'], '/ping', (c) => {
  c.header('X-Influxdb-Version', INFLUX_VERSION);
  c.header('X-Influxdb-Build', 'OSS');
  if (c.req.query('verbose') === 'true') return c.json({ version: INFLUX_VERSION });
  return c.body(null, 204);
});

influxApi.get('/health', (c) =>
  c.json({
    name: 'influxdb',
    message: 'ready for queries and writes',
    status: 'pass',
    checks: [],
    version: INFLUX_VERSION,
    commit: 'pushpull',
  }),
);

/**
 * InfluxDB 2.x's own 401 carries no challenge; RFC 9110 §15.5.2 requires one, so it names the
 * schemes its clients send (`Token`, what the official clients use, and `Bearer`).
 */
const V2_AUTH: TokenAuth = { schemes: ['Token', 'Bearer'] };

/**
 * The 1.x API (`/write`): InfluxDB 1.x answers every 401 with `WWW-Authenticate: Basic
 * realm="InfluxDB"` (measured against influxd 1.6.7); pushpull sends the same challenge in its
 * own realm, and accepts `Token` and `Bearer` too, as the 2.x compatibility API does.
 */
const V1_AUTH: TokenAuth = {
  schemes: ['Basic'],
  hint: 'Token <token>, Bearer <token>, Basic auth with the token as password, or the p parameter',
};

influxApi.post('/api/v2/write', requireToken({ secret: (env) => (env as Env).PUSHPULL_TOKEN, ...V2_AUTH }), async (c) => {
  const precision = c.req.query('precision') ?? 'ns';
  if (!V2_PRECISIONS.has(precision))
    throw new InfluxError(400, 'invalid', 'invalid precision; valid precision units are ns, us, ms, and s');
  const bucket = c.req.query('bucket');
  if (!bucket) throw new InfluxError(400, 'invalid', 'bucket not specified: the bucket query parameter is required');
  return ingest(c, precision as Precision, { bucket, org: c.req.query('org') });
});

influxApi.post('/write', async (c) => {
  await requireV1Token(c);
  const precision = c.req.query('precision') || 'ns';
  if (!V1_PRECISIONS.has(precision))
    throw new InfluxError(400, 'invalid', 'invalid precision; valid precision units are n, ns, u, us, ms, s, m and h');
  const db = c.req.query('db');
  if (!db) throw new InfluxError(400, 'invalid', 'database is required: the db query parameter is missing');
  return ingest(c, precision as Precision, { db });
});

/**
 * InfluxDB 1.x authentication, as the 2.x compatibility API accepts it: `Authorization: Token`
 * or `Bearer`, Basic auth with the token as password, or the `p` query parameter.
 */
async function requireV1Token(c: Context<{ Bindings: Env }>): Promise<void> {
  const challenge = { 'www-authenticate': wwwAuthenticate(challengesFor(V1_AUTH)) };
  const refuse = (message: string): InfluxError => new InfluxError(401, 'unauthorized', message, undefined, challenge);
  const expected = c.env.PUSHPULL_TOKEN;
  if (!expected) throw refuse('unauthorized access: no token secret (PUSHPULL_TOKEN) is set');
  const header = c.req.header('authorization');
  const credentials = presentedCredentials(header, ['token', 'bearer', 'basic']);
  let presented: string | undefined;
  if (credentials.kind === 'token' && credentials.scheme === 'basic') {
    try {
      const decoded = atob(credentials.token);
      presented = decoded.slice(decoded.indexOf(':') + 1);
    } catch {
      presented = undefined;
    }
  } else if (credentials.kind === 'token') {
    presented = credentials.token;
  }
  presented ??= c.req.query('p');
  if (presented === undefined || presented === '') {
    throw refuse(
      credentials.kind === 'other-scheme'
        ? `unauthorized access: ${missingTokenMessage(credentials, V1_AUTH)}`
        : 'unauthorized access: no token (Authorization header, basic auth password or p parameter)',
    );
  }
  if (!(await timingSafeEqualStrings(presented, expected))) throw refuse('unauthorized access');
}

async function ingest(c: Context<{ Bindings: Env }>, precision: Precision, mapping: MappingOptions): Promise<Response> {
  const limits = readLimits(c.env);
  let body: Uint8Array;
  try {
    // The parser walks the UTF-8 bytes itself (and refuses invalid UTF-8 per line).
    body = (await readBody(c.req.raw, limits)).bytes;
  } catch (e) {
    if (e instanceof BodyError) {
      if (e.status === 413) throw new InfluxError(413, 'request too large', `unable to read data: ${e.message}`);
      throw new InfluxError(e.status, INFLUX_CODES[e.status], e.message);
    }
    throw e;
  }
  const now = Date.now();
  const parsed = parseLineProtocol(body, { precision, now: () => now, maxLines: limits.maxLinesPerRequest });
  if (parsed.limitExceeded) {
    throw new InfluxError(
      413,
      'request too large',
      `unable to read data: more than MAX_LINES_PER_REQUEST (${limits.maxLinesPerRequest}) lines: nothing written`,
    );
  }
  const { written, refused, prepared } = dropInvalidPoints(parsed, mapping, limits, now);
  if (prepared.series.length > limits.maxSeriesPerRequest) {
    throw new InfluxError(
      413,
      'request too large',
      `unable to read data: ${prepared.series.length} series, more than MAX_SERIES_PER_REQUEST (${limits.maxSeriesPerRequest}): ` +
        `nothing written`,
    );
  }
  if (prepared.series.length) recordIngested(c.env, 'influx', (await storePrepared(c.env, prepared, limits)).samples);
  const errors = [...parsed.errors, ...refused].sort((a, b) => a.line - b.line);
  if (errors.length === 0) return c.body(null, 204);
  const shown = errors
    .slice(0, 10)
    .map((e) => e.message)
    .join('; ');
  const more = errors.length > 10 ? `; and ${errors.length - 10} more errors` : '';
  throw new InfluxError(400, 'invalid', `partial write error (${written} written): ${shown}${more}`, errors[0].line);
}

/**
 * Points whose series the store would refuse (label limits, timestamps out of bounds) become
 * line errors, so the partial write names their lines and every other line is kept. The fast
 * path maps the whole request once; only when something is refused is each point checked alone.
 */
function dropInvalidPoints(
  parsed: ParseResult,
  mapping: MappingOptions,
  limits: MetricsLimits,
  now: number,
): { written: number; refused: LineError[]; prepared: PreparedWrite } {
  const all = prepareSeries(pointsToSeries(parsed.columns, mapping).series, limits, now);
  if (all.refused.length === 0) return { written: parsed.columns.length, refused: [], prepared: all };
  const kept: Point[] = [];
  const refused: LineError[] = [];
  for (const p of parsed.points) {
    const problems = prepareSeries(pointsToSeries([p], mapping).series, limits, now).refused;
    if (problems.length === 0) {
      kept.push(p);
      continue;
    }
    const reason = problems[0].message;
    refused.push({ line: p.line, reason, message: `unable to store line ${p.line}: ${reason}` });
  }
  return { written: kept.length, refused, prepared: prepareSeries(pointsToSeries(kept, mapping).series, limits, now) };
}
