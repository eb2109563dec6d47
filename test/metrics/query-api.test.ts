import { exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, env, uniqueName } from './metrics-client';

const name = uniqueName('q_http');
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000; // a whole minute, 30 min ago

async function get(path: string) {
  const r = await call(path);
  return {
    status: r.status,
    body: r.json() as { status: string; data: { resultType: string; result: unknown[] } & unknown[]; errorType?: string; error?: string },
  };
}

beforeAll(async () => {
  // 200 code: samples every 15 s for 10 min; 500 code: two samples then a staleness marker.
  const ts = Array.from({ length: 41 }, (_, i) => T0 + i * 15_000);
  await exports.MetricsRpc.write([
    { labels: { __name__: name, code: '200', path: '/a' }, timestamps: ts, values: ts.map((_, i) => i) },
    { labels: { __name__: name, code: '500', path: '/b' }, timestamps: [T0, T0 + 15_000, T0 + 30_000], values: [1, 2, NaN], staleAt: [2] },
    { labels: { __name__: name, code: '404', path: '/a/b' }, timestamps: [T0], values: [9] },
  ]);
});

const q = (query: string, extra = '') => `/api/v1/query?query=${encodeURIComponent(query)}${extra}`;
const at = (ms: number) => `&time=${ms / 1000}`;

describe('/api/v1/query', () => {
  it('evaluates = != =~ !~ matchers, regexes fully anchored', async () => {
    const codes = async (sel: string) =>
      ((await get(q(sel, at(T0 + 20_000)))).body.data.result as { metric: { code: string } }[]).map((r) => r.metric.code);
    expect(await codes(`${name}{code="200"}`)).toEqual(['200']);
    expect(await codes(`${name}{code!="200"}`)).toEqual(['404', '500']);
    expect(await codes(`${name}{path=~"/a"}`)).toEqual(['200']);
    expect(await codes(`${name}{path=~"/a.*"}`)).toEqual(['200', '404']);
    expect(await codes(`${name}{path!~"/a.*"}`)).toEqual(['500']);
    expect(await codes(`{__name__="${name}",code=~"4..|5.."}`)).toEqual(['404', '500']);
  });

  it('answers an instant vector with the evaluation time and the newest sample within 5 minutes', async () => {
    const r = await get(q(`${name}{code="200"}`, at(T0 + 22_000)));
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      status: 'success',
      data: { resultType: 'vector', result: [{ metric: { __name__: name, code: '200', path: '/a' }, value: [(T0 + 22_000) / 1000, '1'] }] },
    });
    const lookback = await get(q(`${name}{code="404"}`, at(T0 + 299_000)));
    expect(lookback.body.data.result).toHaveLength(1);
    const expired = await get(q(`${name}{code="404"}`, at(T0 + 300_000)));
    expect(expired.body.data.result).toHaveLength(0);
  });

  it('ends a series at its staleness marker', async () => {
    expect((await get(q(`${name}{code="500"}`, at(T0 + 29_000)))).body.data.result).toHaveLength(1);
    expect((await get(q(`${name}{code="500"}`, at(T0 + 30_000)))).body.data.result).toHaveLength(0);
  });

  it('returns raw samples for a range selector (a matrix), staleness markers dropped', async () => {
    const r = await get(q(`${name}{code="500"}[1m]`, at(T0 + 45_000)));
    expect(r.body.data.resultType).toBe('matrix');
    expect(r.body.data.result).toEqual([
      {
        metric: { __name__: name, code: '500', path: '/b' },
        values: [
          [T0 / 1000, '1'],
          [(T0 + 15_000) / 1000, '2'],
        ],
      },
    ]);
  });

  it('accepts form POST, RFC 3339 times and number literals (scalar)', async () => {
    const body = new URLSearchParams({ query: `${name}{code="200"}`, time: new Date(T0 + 15_000).toISOString() });
    const r = await call('/api/v1/query', { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(r.status).toBe(200);
    expect((r.json() as { data: { result: { value: [number, string] }[] } }).data.result[0].value).toEqual([(T0 + 15_000) / 1000, '1']);
    const scalar = await get(q('42', at(T0)));
    expect(scalar.body.data).toEqual({ resultType: 'scalar', result: [T0 / 1000, '42'] });
  });

  it('evaluates PromQL: functions, aggregations, operators, offset, subqueries', async () => {
    const t = at(T0 + 600_000);
    const value = async (query: string) => {
      const r = await get(q(query, t));
      expect(r.status, `${query}: ${JSON.stringify(r.body)}`).toBe(200);
      return r.body.data.result as { metric: Record<string, string>; value: [number, string] }[];
    };
    // 200: value i at T0 + 15 s·i, i = 0..40: at T0 + 10 min, rate over 5 min is 1/15 per second.
    expect((await value(`rate(${name}{code="200"}[5m])`)).map((x) => [x.metric, Number(x.value[1]).toFixed(6)])).toEqual([
      [{ code: '200', path: '/a' }, (1 / 15).toFixed(6)],
    ]);
    expect(await value(`sum(${name}{code="200"}) + 1`)).toEqual([{ metric: {}, value: [(T0 + 600_000) / 1000, '41'] }]);
    expect((await value(`${name}{code="200"} offset 5m`))[0].value[1]).toBe('20');
    expect((await value(`max_over_time(${name}{code="200"}[10m:1m])`))[0].value[1]).toBe('40');
    expect(await value(`count by (code) (${name})`)).toEqual([{ metric: { code: '200' }, value: [(T0 + 600_000) / 1000, '1'] }]);
    expect((await get(q('1+1'))).body.data).toMatchObject({ resultType: 'scalar' });
  });

  it('refuses malformed PromQL with 400 bad_data and the position', async () => {
    for (const query of [
      '{code="200"',
      '{code=""}',
      `${name}{code=~"("}`,
      '',
      `rate(${name})`,
      `sum(${name}[5m])`,
      `${name} offset 1m offset 2m`,
      `histogram_count(${name})`,
      `no_such_function(${name})`,
      `1 > 2`,
    ]) {
      const r = await get(q(query));
      expect(r.status, query).toBe(400);
      expect(r.body.status).toBe('error');
      expect(r.body.errorType).toBe('bad_data');
      if (query !== '') expect(r.body.error, query).toMatch(/^invalid parameter "query": \d+:\d+: parse error: /);
    }
    const badTime = await get(q(name, '&time=yesterday'));
    expect(badTime.status).toBe(400);
    expect(badTime.body.error).toBe('invalid parameter "time": cannot parse "yesterday" to a valid timestamp');
  });

  it('answers evaluation errors with 422 execution, worded as Prometheus', async () => {
    const r = await get(q(`${name} + on() ${name}`, at(T0 + 20_000)));
    expect(r.status).toBe(422);
    expect(r.body.errorType).toBe('execution');
    expect(r.body.error).toMatch(/many-to-many matching not allowed: matching labels must be unique on one side$/);
  });

  it('matches regexes with RE2 in linear time, and refuses a value that would close the anchoring group', async () => {
    // Backtracking engines take exponential time here; RE2 answers at once (the test times out otherwise).
    const slow = await get(q(`${name}{path=~"(.*.*)*X"}`, at(T0 + 20_000)));
    expect(slow.status).toBe(200);
    expect(slow.body.data.result).toEqual([]);
    const escape = await get(q(`${name}{path=~"nomatch)|(.*"}`));
    expect(escape.status).toBe(400);
    expect(escape.body.errorType).toBe('bad_data');
    const lookahead = await get(q(`${name}{path=~"a(?=b)"}`));
    expect(lookahead.status).toBe(400);
    const caseless = await get(q(`${name}{path=~"(?i)/A"}`, at(T0 + 20_000)));
    expect((caseless.body.data.result as { metric: { code: string } }[]).map((x) => x.metric.code)).toEqual(['200']);
  });
});

describe('/api/v1/query_range limits', () => {
  it('refuses times past the supported range at once (no loop over steps that cannot advance)', async () => {
    const r = await get('/api/v1/query_range?query=1&start=100000000000000000&end=100000000000000000&step=0.001');
    expect(r.status).toBe(400);
    expect(r.body.errorType).toBe('bad_data');
    expect(r.body.error).toMatch(/^invalid parameter "start": /);
  });

  it('counts output points against QUERY_MAX_SAMPLES (5000 here): at the limit answered, past it 422', async () => {
    // A scalar query: one point per step. 5000 steps is the limit; 5001 is past it.
    const ok = await get(`/api/v1/query_range?query=1&start=0&end=4999&step=1`);
    expect(ok.status).toBe(200);
    expect((ok.body.data.result as { values: unknown[] }[])[0].values).toHaveLength(5000);
    const over = await get(`/api/v1/query_range?query=1&start=0&end=5000&step=1`);
    expect(over.status).toBe(422);
    expect(over.body).toEqual({
      status: 'error',
      errorType: 'execution',
      error: 'query processing would load too many samples into memory in query execution',
    });
  });
});

describe('/api/v1/query_range', () => {
  const range = (query: string, start: number, end: number, step: string) =>
    `/api/v1/query_range?query=${encodeURIComponent(query)}&start=${start / 1000}&end=${end / 1000}&step=${step}`;

  it('evaluates each step with the lookback and staleness', async () => {
    const r = await get(range(`${name}{code=~"500|404"}`, T0, T0 + 60_000, '15s'));
    expect(r.status).toBe(200);
    expect(r.body.data.resultType).toBe('matrix');
    const [c404, c500] = r.body.data.result as { metric: { code: string }; values: [number, string][] }[];
    expect(c404.values).toHaveLength(5);
    expect(c500.values).toEqual([
      [T0 / 1000, '1'],
      [(T0 + 15_000) / 1000, '2'],
    ]);
  });

  it('parses durations like 1m and plain seconds for step', async () => {
    const a = await get(range(`${name}{code="200"}`, T0, T0 + 600_000, '1m'));
    const b = await get(range(`${name}{code="200"}`, T0, T0 + 600_000, '60'));
    expect(a.body.data.result).toEqual(b.body.data.result);
    expect((a.body.data.result[0] as { values: unknown[] }).values).toHaveLength(11);
  });

  it('refuses range selectors, bad steps, end before start and too many points', async () => {
    const rangeSel = await get(range(`${name}[1m]`, T0, T0 + 60_000, '15s'));
    expect(rangeSel.status).toBe(400);
    expect(rangeSel.body.error).toMatch(/invalid expression type "range vector" for range query/);
    expect((await get(range(name, T0, T0 + 60_000, '0'))).status).toBe(400);
    expect((await get(range(name, T0, T0 + 60_000, 'abc'))).status).toBe(400);
    expect((await get(range(name, T0 + 60_000, T0, '15s'))).status).toBe(400);
    const points = await get(range(name, T0, T0 + 11_000_000, '1'));
    expect(points.status).toBe(400);
    expect(points.body.error).toMatch(/11,000 points/);
  });

  it('answers 422 execution when a query would load more than QUERY_MAX_SAMPLES', async () => {
    const big = uniqueName('q_big');
    const max = Number(env.QUERY_MAX_SAMPLES);
    const ts = Array.from({ length: max + 1 }, (_, i) => T0 + i);
    for (let i = 0; i < ts.length; i += 1000) {
      await exports.MetricsRpc.write([
        { labels: { __name__: big }, timestamps: ts.slice(i, i + 1000), values: ts.slice(i, i + 1000).map(() => 1) },
      ]);
    }
    const r = await get(range(big, T0, T0 + 60_000, '15s'));
    expect(r.status).toBe(422);
    expect(r.body.errorType).toBe('execution');
  });
});

describe('/api/v1/series, /labels, /label/<name>/values, /status/buildinfo', () => {
  it('lists series matching any match[]', async () => {
    const r = await get(
      `/api/v1/series?match[]=${encodeURIComponent(`${name}{code="200"}`)}&match[]=${encodeURIComponent(`${name}{code="404"}`)}`,
    );
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual([
      { __name__: name, code: '200', path: '/a' },
      { __name__: name, code: '404', path: '/a/b' },
    ]);
    const none = await get('/api/v1/series');
    expect(none.status).toBe(400);
    expect(none.body.error).toBe('no match[] parameter provided');
  });

  it('honours start and end for series', async () => {
    const r = await get(`/api/v1/series?match[]=${name}&start=${(T0 + 31_000) / 1000}&end=${(T0 + 60_000) / 1000}`);
    expect((r.body.data as unknown as { code: string }[]).map((s) => s.code)).toEqual(['200']);
  });

  it('lists label names and values', async () => {
    const labels = await get(`/api/v1/labels?match[]=${name}`);
    expect(labels.body.data).toEqual(['__name__', 'code', 'path']);
    const values = await get(`/api/v1/label/code/values?match[]=${name}`);
    expect(values.body.data).toEqual(['200', '404', '500']);
    const names = await get('/api/v1/label/__name__/values');
    expect(names.body.data).toContain(name);
    expect((await get('/api/v1/label/bad-name/values')).status).toBe(400);
  });

  it('answers buildinfo in the envelope', async () => {
    const r = await get('/api/v1/status/buildinfo');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('success');
    expect((r.body.data as unknown as { version: string }).version).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('POST /api/v1/query with a multipart/form-data body', () => {
  const part = (boundary: string, field: string, value: string): string =>
    `--${boundary}\r\ncontent-disposition: form-data; name="${field}"\r\n\r\n${value}\r\n`;

  it('takes its parameters from a well-formed multipart body', async () => {
    const body = `${part('xyz', 'query', `${name}{code="200"}`)}${part('xyz', 'time', String((T0 + 15_000) / 1000))}--xyz--\r\n`;
    const r = await call('/api/v1/query', { method: 'POST', body, headers: { 'content-type': 'multipart/form-data; boundary=xyz' } });
    expect(r.status).toBe(200);
    expect((r.json() as { data: { result: { value: [number, string] }[] } }).data.result[0].value).toEqual([(T0 + 15_000) / 1000, '1']);
  });

  it('refuses a broken multipart body with 400 bad_data in the Prometheus error shape', async () => {
    for (const [contentType, body] of [
      ['multipart/form-data', part('xyz', 'query', name)], // no boundary
      ['multipart/form-data; boundary=xyz', 'not multipart at all'],
      ['multipart/form-data; boundary=xyz', part('xyz', 'query', name)], // no closing delimiter
      ['multipart/form-data; boundary=xyz', `--xyz\r\nno-blank-line-after-headers`],
    ]) {
      for (const path of ['/api/v1/query', '/api/v1/query_range', '/api/v1/series', '/api/v1/labels']) {
        const r = await call(path, { method: 'POST', body, headers: { 'content-type': contentType } });
        expect(r.status, `${path} ${contentType} ${JSON.stringify(body)}`).toBe(400);
        const error = r.json() as { status: string; errorType: string; error: string };
        expect(error).toMatchObject({ status: 'error', errorType: 'bad_data' });
        expect(error.error).toMatch(/^error parsing form values: /);
      }
    }
  });
});
