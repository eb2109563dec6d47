// The oracle: every query of corpus.txt, as instant and range queries, sent to a real Prometheus 2.42 and to
// pushpull holding the same samples; any difference not listed (with its reason) in corpus.txt fails.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ask, difference } from './compare';
import { readCorpus, requestsFor, type CorpusQuery } from './corpus';
import { dataset } from './dataset';

const prometheus = inject('prometheusUrl');
const pushpull = inject('pushpullUrl');
const base = inject('oracleBase');

/** `sort(…)` and `sort_desc(…)` answers are ordered; every other vector is a set. */
const ordered = (expr: string): boolean => /^\s*sort(_desc)?\s*\(/.test(expr);

/** The differences of one query (empty when pushpull agrees with Prometheus on every request). */
async function check(q: CorpusQuery): Promise<{ diffs: string[]; prometheusErrors: number; requests: number }> {
  const diffs: string[] = [];
  let prometheusErrors = 0;
  const requests = requestsFor(q, { base });
  for (const req of requests) {
    const [ours, theirs] = await Promise.all([ask(pushpull, req.path), ask(prometheus, req.path)]);
    if ((theirs.body as { status?: string }).status === 'error') prometheusErrors++;
    const d = difference(ours, theirs, ordered(q.expr));
    if (d) diffs.push(`${req.label}: ${d}`);
  }
  return { diffs, prometheusErrors, requests: requests.length };
}

const corpus = readCorpus();
const PENDING_FILE = join(import.meta.dirname, 'pending.txt');
const pendingHeader = readFileSync(PENDING_FILE, 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('#'));
/** Corpus queries pushpull does not answer as Prometheus does yet (pending.txt): each must still differ. */
const pending = new Set(
  readFileSync(PENDING_FILE, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#')),
);
/** ORACLE_UPDATE_PENDING=1 rewrites pending.txt with the queries that differ now, instead of failing on them. */
const updating = process.env.ORACLE_UPDATE_PENDING === '1';
const differingNow: string[] = [];

afterAll(() => {
  if (updating)
    writeFileSync(
      PENDING_FILE,
      [...pendingHeader, ...differingNow, ...[...pending].filter((p) => p.startsWith('param: '))].join('\n') + '\n',
    );
});
const sections = [...new Set(corpus.map((q) => q.section))];

describe('PromQL oracle: pushpull vs Prometheus 2.42 on corpus.txt', () => {
  it('has at least 400 queries in sections, over the whole data set in both stores', async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(400);
    expect(sections.length).toBeGreaterThan(10);
    const path = `series?match[]=${encodeURIComponent('{__name__=~".+"}')}&start=${base}&end=${base + 4 * 3600}`;
    const [ours, theirs] = await Promise.all([ask(pushpull, path), ask(prometheus, path)]);
    expect((theirs.body as { data: unknown[] }).data).toHaveLength(dataset(base * 1000).length);
    expect(difference(ours, theirs)).toBeUndefined();
  });

  for (const section of sections) {
    it(section, async () => {
      const failures: string[] = [];
      for (const q of corpus.filter((c) => c.section === section)) {
        const { diffs, prometheusErrors, requests } = await check(q);
        const where = `corpus.txt:${q.line} ${q.expr}`;
        if (process.env.ORACLE_REPORT && diffs.length > 0) appendFileSync(process.env.ORACLE_REPORT, `${where}\n  ${diffs.join('\n  ')}\n`);
        // A known 2.x/3.x difference may differ (and may agree while pushpull refuses both ways).
        if (q.expect.kind === 'differs') continue;
        if (q.expect.kind === 'error' && prometheusErrors !== requests) failures.push(`${where}: Prometheus answered, not an error query`);
        if (updating) {
          if (diffs.length > 0) differingNow.push(q.expr);
        } else if (pending.has(q.expr)) {
          if (diffs.length === 0) failures.push(`${where}: listed in pending.txt but both now agree: remove it there`);
        } else if (diffs.length > 0) failures.push(`${where}\n    ${diffs.join('\n    ')}`);
      }
      expect(failures, failures.join('\n')).toEqual([]);
    });
  }
});

describe('PromQL oracle: parameter errors', () => {
  const t = base + 9000;
  // [name, path]: the name is how pending.txt lists a case pushpull does not answer as Prometheus yet.
  const cases: [string, string][] = [
    ['bad time', `query?query=up&time=abc`],
    ['bad timeout', `query?query=up&time=${t}&timeout=xyz`],
    ['end before start', `query_range?query=up&start=${t}&end=${t - 60}&step=15`],
    ['zero step', `query_range?query=up&start=${t - 600}&end=${t}&step=0`],
    ['negative step', `query_range?query=up&start=${t - 600}&end=${t}&step=-5`],
    ['bad step', `query_range?query=up&start=${t - 600}&end=${t}&step=abc`],
    ['no step', `query_range?query=up&start=${t - 600}&end=${t}`],
    ['too many points', `query_range?query=up&start=${t - 86_400}&end=${t}&step=1`],
    ['bad start', `query_range?query=up&start=x&end=${t}&step=15`],
    ['no start', `query_range?query=up&end=${t}&step=15`],
    ['no query', `query?time=${t}`],
    ['empty query', `query?query=&time=${t}`],
  ];
  it.each(cases)('%s', async (name, path) => {
    const [ours, theirs] = await Promise.all([ask(pushpull, path), ask(prometheus, path)]);
    expect((theirs.body as { status: string }).status).toBe('error');
    const d = difference(ours, theirs);
    if (pending.has(`param: ${name}`)) expect(d, `"param: ${name}" is listed in pending.txt but both now agree`).toBeDefined();
    else expect(d).toBeUndefined();
  });

  it('answers form POST as GET', async () => {
    const body = `query=${encodeURIComponent('http_requests_total{code="500"}')}&time=${t}`;
    const init = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body };
    const [ours, theirs] = await Promise.all([ask(pushpull, 'query', init), ask(prometheus, 'query', init)]);
    expect((theirs.body as { data: { result: unknown[] } }).data.result.length).toBe(8);
    expect(difference(ours, theirs)).toBeUndefined();
  });
});
