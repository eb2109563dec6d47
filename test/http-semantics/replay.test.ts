/**
 * The cases table of packages/http/semantics/cases.ts over real HTTP, against each server that
 * answers GET/HEAD from a stored representation: the Node origin, the edge cache on a miss and
 * on a hit (from the isolate's memory tier and from the Cache API), and the push store behind
 * the edge. A row a server gets wrong today is listed in known-failures.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASES, FIXTURES, fillTokens, type Fixture, type SemanticsCase, type ServedFacts } from '@pushpull/http/semantics/cases';
import { checkAnswer } from '@pushpull/http/semantics/cases-check';
import { parseHttpDate } from '@pushpull/http/semantics/http-date';
import { send } from './http';
import { knownFailure } from './known-failures';
import { edgeUrl, originUrl, TOKEN } from './servers';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One server (and path through it) the table is replayed against. */
interface Target {
  name: string;
  /** Whether this server can hold the fixture (only the scripted origin has weak or no validators). */
  holds(fixture: Fixture): boolean;
  /** Where a fixture is, for a label unique to the request (a fresh cache key on the edge). */
  url(fixture: Fixture, label: string): string;
  /** The answer must come from the cache: the target primes each URL first. */
  cached?: 'memory' | 'cache-api';
  /** Fields every request to this target carries (the push API's token). */
  headers?: Record<string, string>;
}

const strong = (f: Fixture): boolean => f.etag === 'strong' && f.lastModified;
const TARGETS: Target[] = [
  { name: 'origin', holds: strong, url: (f, label) => `${originUrl()}/semantics/${f.name}?c=${label}` },
  { name: 'edge miss', holds: () => true, url: (f, label) => `${edgeUrl()}/pulled/${f.name}?t=miss&c=${label}` },
  {
    name: 'edge hit (memory)',
    holds: () => true,
    url: (f, label) => `${edgeUrl()}/pulled/${f.name}?t=memory&c=${label}`,
    cached: 'memory',
  },
  {
    name: 'edge hit (Cache API)',
    holds: () => true,
    url: (f, label) => `${edgeUrl()}/pulled/${f.name}?t=api&c=${label}`,
    cached: 'cache-api',
  },
  {
    // The push store itself (GET /_push/raw/*), without the edge cache in front.
    name: 'push store',
    holds: strong,
    url: (f, label) => `${edgeUrl()}/_push/raw/pushed/${f.name}?c=${label}`,
    headers: { authorization: `Bearer ${TOKEN}` },
  },
  { name: 'push miss', holds: strong, url: (f, label) => `${edgeUrl()}/pushed/${f.name}?t=miss&c=${label}` },
  { name: 'push hit (memory)', holds: strong, url: (f, label) => `${edgeUrl()}/pushed/${f.name}?t=memory&c=${label}`, cached: 'memory' },
  { name: 'push hit (Cache API)', holds: strong, url: (f, label) => `${edgeUrl()}/pushed/${f.name}?t=api&c=${label}`, cached: 'cache-api' },
];

/** Primes the edge with a plain GET until it answers from the cache. */
async function prime(url: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const r = await send(url);
    if ((r.headers.get('cache-status') ?? '').includes('hit')) return;
    await sleep(20);
  }
  throw new Error(`${url} is never answered from the cache`);
}

const failures = new Map<string, Array<[string, string]>>();

for (const target of TARGETS) {
  describe(`${target.name}`, () => {
    const rows = CASES.filter((row) => target.holds(FIXTURES[row.fixture]));
    const facts = new Map<string, ServedFacts>();

    beforeAll(async () => {
      // The validators as this server serves them (its own ETag and Last-Modified).
      for (const fixture of Object.values(FIXTURES).filter((f) => target.holds(f))) {
        const r = await send(target.url(fixture, 'facts'), { headers: target.headers });
        if (r.status !== 200) throw new Error(`${target.name}: ${fixture.name} answered ${r.status}`);
        const lm = r.headers.get('last-modified');
        facts.set(fixture.name, {
          etag: r.headers.get('etag'),
          lastModified: lm === null ? null : parseHttpDate(lm),
          size: fixture.body.length,
        });
      }
      if (target.cached) {
        for (const row of rows) await prime(target.url(FIXTURES[row.fixture], row.id));
        // Past MEMORY_CACHE_TTL_MS (1 s), the isolate's copy is no longer trusted: the Cache API answers.
        if (target.cached === 'cache-api') await sleep(1200);
      }
    });

    for (const row of rows) {
      const why = knownFailure(target.name, row.id);
      const test = why === undefined ? it : it.fails;
      test(`${row.id}: ${row.behaviour} (RFC ${row.rfc})${why === undefined ? '' : ` — known failure: ${why}`}`, async () => {
        const problems = await replay(target, row, facts);
        if (problems.length > 0) failures.set(target.name, [...(failures.get(target.name) ?? []), [row.id, problems.join('; ')]]);
        expect(problems).toEqual([]);
      });
    }
  });
}

async function replay(target: Target, row: SemanticsCase, facts: Map<string, ServedFacts>): Promise<string[]> {
  const fixture = FIXTURES[row.fixture];
  const served = facts.get(fixture.name);
  if (!served) throw new Error(`no facts for ${fixture.name}`);
  const headers = {
    ...target.headers,
    ...Object.fromEntries(Object.entries(row.request.headers ?? {}).map(([k, v]) => [k, fillTokens(v, served)])),
  };
  const answer = await send(target.url(fixture, row.id), { method: row.request.method, headers });
  const problems = checkAnswer(row, answer, served);
  if (target.cached && !(answer.headers.get('cache-status') ?? '').includes('hit')) {
    problems.push(`not answered from the cache (Cache-Status: ${answer.headers.get('cache-status')})`);
  }
  return problems;
}

afterAll(() => {
  const lines = [...failures.entries()].flatMap(([target, rows]) => [
    `${target} (${rows.length}):`,
    ...rows.map(([id, why]) => `  ${id}: ${why}`),
  ]);
  console.log(`cases table: ${CASES.length} rows; failing today:\n${lines.join('\n') || '(none)'}`);
});
