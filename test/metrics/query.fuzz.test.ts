/**
 * Property-based fuzzing of the query API (issue 16): random PromQL built from the grammar's pieces (selectors
 * with every matcher, regexes that backtrack, functions with right and wrong arguments, aggregations, operators,
 * offset, @, subqueries) and random garbage, sent as instant and range queries with random times and steps.
 * Every request must be answered within FUZZ_BUDGET_MS, never with a 5xx, in Prometheus's envelope; the data
 * stored before the fuzzing is intact after it.
 *
 *   npx vitest run test/metrics/query.fuzz.test.ts
 *   FUZZ_SEED=$RANDOM FUZZ_RUNS=1000 npx vitest run test/metrics/query.fuzz.test.ts
 */
import { exports } from 'cloudflare:workers';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../workers/metrics/src/promql/signatures';
import { call, env, instant, uniqueName, withinBudget } from './metrics-client';

const fuzzVars = env as unknown as { FUZZ_SEED: string; FUZZ_RUNS: string; FUZZ_BUDGET_MS: string };
const SEED = Number(fuzzVars.FUZZ_SEED || 16_010);
const RUNS = Number(fuzzVars.FUZZ_RUNS || 300);
const BUDGET_MS = Number(fuzzVars.FUZZ_BUDGET_MS || 15_000);

const name = uniqueName('qfuzz');
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 20 * 60_000;

beforeAll(async () => {
  const ts = Array.from({ length: 60 }, (_, i) => T0 + i * 15_000);
  await exports.MetricsRpc.write([
    { labels: { __name__: name, job: 'a', le: '0.5', path: '/x\ny' }, timestamps: ts, values: ts.map((_, i) => i) },
    {
      labels: { __name__: name, job: 'b', le: '+Inf', path: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' },
      timestamps: ts,
      values: ts.map((_, i) => i * 2),
    },
    { labels: { __name__: name, job: 'c' }, timestamps: [T0, T0 + 15_000], values: [NaN, Infinity] },
  ]);
});

const labelName = fc.constantFrom('job', 'le', 'path', '__name__', 'nope', 'instance');
const labelValue = fc.constantFrom('a', 'b', '', '.*', '(.*.*)*X', 'nomatch)|(.*', 'a|b', '(?i)A', '\\\\d+', '[', 'x{1000}', 'é');
const matcher = fc
  .tuple(labelName, fc.constantFrom('=', '!=', '=~', '!~'), labelValue)
  .map(([l, op, v]) => `${l}${op}${JSON.stringify(v)}`);
const selector = fc
  .tuple(fc.constantFrom(name, '', 'up'), fc.array(matcher, { maxLength: 3 }))
  .map(([n, ms]) => (ms.length || !n ? `${n}{${ms.join(',')}}` : n));
const duration = fc.constantFrom('1m', '5m', '30s', '1h', '0s', '1ms', '10d', '90', '1y');
const number = fc.constantFrom('1', '0', '-1', '0.5', 'NaN', 'Inf', '-Inf', '1e308', '1.', '.5', '0x1f', '11000');

const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    selector,
    number,
    fc.constantFrom('"s"', 'time()', 'vector(1)'),
    fc.tuple(selector, duration).map(([s, d]) => `${s}[${d}]`),
    fc.tuple(tie('e'), duration, fc.option(duration)).map(([e, r, s]) => `(${e})[${r}:${s ?? ''}]`),
    fc
      .tuple(selector, fc.constantFrom('offset 5m', 'offset -1m', '@ start()', '@ end()', '@ 100', 'offset 1h @ end()'))
      .map(([s, m]) => `${s} ${m}`),
    fc
      .tuple(
        fc.constantFrom(...Object.keys(FUNCTIONS)),
        fc.array(tie('e'), { maxLength: 3 }),
        fc.array(fc.constantFrom('"a"', '"job"', '"(.*)"', '"$1"'), { maxLength: 2 }),
      )
      .map(([f, args, strs]) => `${f}(${[...args, ...strs].join(', ')})`),
    fc
      .tuple(
        fc.constantFrom('sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile'),
        fc.option(fc.constantFrom('1', '0.5', '"v"', '-1', 'NaN')),
        fc.option(fc.constantFrom('by (job)', 'without (le)', 'by ()', 'by (__name__)')),
        tie('e'),
      )
      .map(([op, p, g, e]) => `${op} ${g ?? ''} (${p ? `${p}, ` : ''}${e})`),
    fc
      .tuple(
        tie('e'),
        fc.constantFrom('+', '-', '*', '/', '%', '^', 'atan2', '==', '!=', '>', '<', '>=', '<=', 'and', 'or', 'unless', '> bool'),
        fc.option(fc.constantFrom('on (job)', 'ignoring (le)', 'on (job) group_left (le)', 'ignoring (path) group_right', 'on ()')),
        tie('e'),
      )
      .map(([l, op, m, r]) => `(${l}) ${op} ${m ?? ''} (${r})`),
    fc.tuple(fc.constantFrom('-', '+'), tie('e')).map(([op, e]) => `${op}(${e})`),
  ),
})).e;

const garbage = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('{', ')', '[5m]', 'sum(', 'a{b="', '1 +', '# only', '@', 'offset'));
const seconds = fc.constantFrom(String(T0 / 1000 + 600), String(T0 / 1000), '0', '-1', '1e20', 'now', '2026-12-04T00:00:00Z', 'NaN', '');
const step = fc.constantFrom('15', '15s', '0', '-1', '1ms', '0.001', '1e-9', 'x', '1h', '60');

const seen = new Set<number>();

async function ask(path: string): Promise<void> {
  const r = await withinBudget(path, BUDGET_MS, call(path));
  seen.add(r.status);
  if (r.status >= 500 && r.status !== 503) throw new Error(`${path} answered ${r.status}: ${r.text.slice(0, 500)}`);
  const body = r.json() as { status: string; errorType?: string; error?: string };
  if (r.status === 200) expect(body.status).toBe('success');
  else
    expect({ path, status: body.status, errorType: typeof body.errorType, error: typeof body.error }).toEqual({
      path,
      status: 'error',
      errorType: 'string',
      error: 'string',
    });
}

describe('fuzzing the query API (no 5xx, no hang, stored data intact)', () => {
  it('instant and range queries of random PromQL and garbage', async () => {
    const before = await instant(`${name}[1h]`, T0 / 1000 + 900);
    expect(before).toHaveLength(3);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 5, arbitrary: expr }, { weight: 1, arbitrary: garbage }),
        seconds,
        seconds,
        step,
        async (q, a, b, s) => {
          const query = encodeURIComponent(q);
          await ask(`/api/v1/query?query=${query}&time=${a}`);
          await ask(`/api/v1/query_range?query=${query}&start=${a}&end=${b}&step=${s}`);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    // The fuzzing must reach evaluation (answers) as well as refusals.
    expect([...seen].some((x) => x === 200)).toBe(true);
    expect([...seen].some((x) => x === 400)).toBe(true);
    expect(await instant(`${name}[1h]`, T0 / 1000 + 900)).toEqual(before);
  }, 600_000);
});
