import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { canonicalKey, sortedLabelPairs } from '../../workers/metrics/src/series';
import { auth, call, env, instant, uniqueName } from './metrics-client';

const TEXT = { 'content-type': 'text/plain; version=0.0.4', ...auth() };

function push(method: 'PUT' | 'POST' | 'DELETE', path: string, body?: string, headers: Record<string, string> = TEXT) {
  return call(`/metrics/${path}`, { method, body, headers });
}

function b64url(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

describe('Pushgateway API', () => {
  it('PUT stores the group with grouping labels on every sample and push_time_seconds', async () => {
    const job = uniqueName('batch');
    const before = Date.now() / 1000;
    const r = await push(
      'PUT',
      `job/${job}/instance/host1`,
      `# TYPE done_total counter\ndone_total{kind="a"} 3\ndone_total{kind="b"} 4\n# TYPE took_seconds gauge\ntook_seconds 1.5\n`,
    );
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
    const done = await instant(`done_total{job="${job}"}`);
    expect(done.map((x) => [x.metric.kind, x.metric.instance, x.value[1]])).toEqual([
      ['a', 'host1', '3'],
      ['b', 'host1', '4'],
    ]);
    const pushTime = await instant(`push_time_seconds{job="${job}"}`);
    expect(pushTime).toHaveLength(1);
    expect(pushTime[0].metric).toEqual({ __name__: 'push_time_seconds', job, instance: 'host1' });
    expect(Number(pushTime[0].value[1])).toBeGreaterThanOrEqual(Math.floor(before));
    expect((await instant(`push_failure_time_seconds{job="${job}"}`))[0].value[1]).toBe('0');
  });

  it('grouping labels override a pushed label of the same name', async () => {
    const job = uniqueName('override');
    expect((await push('PUT', `job/${job}/instance/i1`, `m_override{job="other",instance="x",extra="e"} 1\n`)).status).toBe(200);
    const rows = await instant(`m_override{job="${job}"}`);
    expect(rows.map((x) => x.metric)).toEqual([{ __name__: 'm_override', job, instance: 'i1', extra: 'e' }]);
    expect(await instant('m_override{job="other"}')).toEqual([]);
  });

  it('POST replaces only the same-named metrics; PUT replaces the whole group (the rest goes stale)', async () => {
    const job = uniqueName('semantics');
    expect((await push('PUT', `job/${job}`, 'pg_a 1\npg_b 2\n')).status).toBe(200);
    expect((await push('POST', `job/${job}`, 'pg_a 10\n')).status).toBe(200);
    expect((await instant(`pg_a{job="${job}"}`))[0].value[1]).toBe('10');
    expect((await instant(`pg_b{job="${job}"}`))[0].value[1]).toBe('2');
    await new Promise((r) => setTimeout(r, 5));
    expect((await push('PUT', `job/${job}`, 'pg_a 11\n')).status).toBe(200);
    expect((await instant(`pg_a{job="${job}"}`))[0].value[1]).toBe('11');
    expect(await instant(`pg_b{job="${job}"}`)).toEqual([]);
  });

  it('DELETE answers 202 and the group disappears', async () => {
    const job = uniqueName('gone');
    await push('PUT', `job/${job}/instance/z`, 'pg_gone 1\n');
    await new Promise((r) => setTimeout(r, 5));
    const r = await push('DELETE', `job/${job}/instance/z`);
    expect(r.status).toBe(202);
    expect(await instant(`pg_gone{job="${job}"}`)).toEqual([]);
    expect(await instant(`push_time_seconds{job="${job}"}`)).toEqual([]);
  });

  it('PUT, DELETE, then PUT again on the same group stores the new push (the batch-job pattern)', async () => {
    const job = uniqueName('again');
    expect((await push('PUT', `job/${job}`, 'pg_again 1\n')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 5));
    expect((await push('DELETE', `job/${job}`)).status).toBe(202);
    await new Promise((r) => setTimeout(r, 5));
    const again = await push('PUT', `job/${job}`, 'pg_again 2\n');
    expect(again.text).toBe('');
    expect(again.status).toBe(200);
    expect((await instant(`pg_again{job="${job}"}`)).map((x) => x.value[1])).toEqual(['2']);
    // The group lives on: POST merges into it, a second DELETE removes it, a refused push records its failure.
    expect((await push('POST', `job/${job}`, 'pg_again_more 3\n')).status).toBe(200);
    expect((await instant(`pg_again_more{job="${job}"}`)).map((x) => x.value[1])).toEqual(['3']);
    await new Promise((r) => setTimeout(r, 5));
    expect((await push('DELETE', `job/${job}`)).status).toBe(202);
    expect(await instant(`pg_again{job="${job}"}`)).toEqual([]);
    await new Promise((r) => setTimeout(r, 5));
    expect((await push('PUT', `job/${job}`, `pg_again 4 ${Date.now()}\n`)).status).toBe(400);
    expect(Number((await instant(`push_failure_time_seconds{job="${job}"}`))[0].value[1])).toBeGreaterThan(0);
    const stub = env.PUSH_GROUPS.get(env.PUSH_GROUPS.idFromName(canonicalKey(sortedLabelPairs({ job }))));
    await new Promise((r) => setTimeout(r, 5));
    expect((await push('DELETE', `job/${job}`)).status).toBe(202);
    // No alarm is left behind by a deleted group.
    expect(await runDurableObjectAlarm(stub)).toBe(false);
  });

  it('the alarm completes a push or a DELETE that a crash cut off after its transaction (owed staleness markers)', async () => {
    const job = uniqueName('crash');
    const stub = env.PUSH_GROUPS.get(env.PUSH_GROUPS.idFromName(canonicalKey(sortedLabelPairs({ job }))));
    expect((await push('PUT', `job/${job}`, 'pg_crash{i="a"} 1\npg_crash{i="b"} 2\n')).status).toBe(200);
    const series = (i: string) => ({ __name__: 'pg_crash', job, i });
    // What a PUT of only i="a" commits before it writes to the store, left as a crash leaves it.
    await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec("UPDATE families SET samples = ? WHERE name = 'pg_crash'", JSON.stringify([[series('a'), '3']]));
      sql.exec(
        'INSERT INTO pending_stale (key, labels, at_ms) VALUES (?, ?, ?)',
        canonicalKey(sortedLabelPairs(series('b'))),
        JSON.stringify(series('b')),
        Date.now(),
      );
    });
    expect((await instant(`pg_crash{job="${job}"}`)).map((x) => [x.metric.i, x.value[1]])).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
    await new Promise((r) => setTimeout(r, 5));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await instant(`pg_crash{job="${job}"}`)).map((x) => [x.metric.i, x.value[1]])).toEqual([['a', '3']]);

    // What a DELETE commits before it writes its markers: the group gone, its series owed markers.
    await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      const now = Date.now();
      for (const labels of [series('a'), { __name__: 'push_time_seconds', job }, { __name__: 'push_failure_time_seconds', job }]) {
        sql.exec(
          'INSERT INTO pending_stale (key, labels, at_ms) VALUES (?, ?, ?)',
          canonicalKey(sortedLabelPairs(labels)),
          JSON.stringify(labels),
          now,
        );
      }
      sql.exec('DELETE FROM families');
      sql.exec('DELETE FROM meta');
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await instant(`{job="${job}"}`)).toEqual([]);
    // Settled: the object is empty and has no alarm left.
    expect(
      await runInDurableObject(stub, (_instance, state) => state.storage.sql.exec('SELECT name FROM sqlite_master').toArray()),
    ).toEqual([]);
    expect(await runDurableObjectAlarm(stub)).toBe(false);
  });

  it('refuses samples with timestamps (400), keeps the group and sets push_failure_time_seconds', async () => {
    const job = uniqueName('stamped');
    await push('PUT', `job/${job}`, 'pg_kept 5\n');
    const r = await push('PUT', `job/${job}`, `pg_kept 6 ${Date.now()}\n`);
    expect(r.status).toBe(400);
    expect((r.json() as { message: string }).message).toMatch(/must not have timestamps/);
    expect((await instant(`pg_kept{job="${job}"}`))[0].value[1]).toBe('5');
    expect(Number((await instant(`push_failure_time_seconds{job="${job}"}`))[0].value[1])).toBeGreaterThan(0);
  });

  it('refuses a page that does not parse (400) and an inconsistent push (duplicate series, 400)', async () => {
    const job = uniqueName('broken');
    expect((await push('PUT', `job/${job}`, 'pg_broken{ 1\n')).status).toBe(400);
    const dup = await push('PUT', `job/${job}`, 'pg_dup{a="1"} 1\npg_dup{a="1"} 2\n');
    expect(dup.status).toBe(400);
    expect(await instant(`pg_dup{job="${job}"}`)).toEqual([]);
  });

  it('refuses conflicting TYPE lines (and a second HELP) as the Pushgateway does, 400, nothing changes', async () => {
    const job = uniqueName('types');
    expect((await push('PUT', `job/${job}`, '# TYPE pg_typed gauge\npg_typed 1\n')).status).toBe(200);
    const conflict = await push('PUT', `job/${job}`, '# TYPE pg_typed counter\n# TYPE pg_typed gauge\npg_typed 2\n');
    expect(conflict.status).toBe(400);
    expect(conflict.json()).toEqual({
      error: 'bad_request',
      message: 'text format parsing error in line 2: second TYPE line for metric name "pg_typed", or TYPE reported after samples',
    });
    const help = await push('POST', `job/${job}`, '# HELP pg_typed one\n# HELP pg_typed two\npg_typed 3\n');
    expect(help.status).toBe(400);
    expect((help.json() as { message: string }).message).toBe(
      'text format parsing error in line 2: second HELP line for metric name "pg_typed"',
    );
    expect((await instant(`pg_typed{job="${job}"}`)).map((x) => x.value[1])).toEqual(['1']);
  });

  it('decodes @base64 segments (URL-safe, padding optional, = for the empty value)', async () => {
    const job = `a/b ${uniqueName('b64')}`;
    const path = `job@base64/${b64url(job)}/dir@base64/${b64url('/var/tmp')}=/empty@base64/=`;
    const r = await push('PUT', path, 'pg_b64 1\n');
    expect(r.status).toBe(200);
    const rows = await instant(`pg_b64{dir="/var/tmp"}`);
    const mine = rows.filter((x) => x.metric.job === job);
    expect(mine.map((x) => x.metric)).toEqual([{ __name__: 'pg_b64', job, dir: '/var/tmp' }]);
  });

  it('refuses bad paths with 400 and pushes without a token with 401', async () => {
    expect((await push('PUT', 'job/x/odd', 'a 1\n')).status).toBe(400);
    expect((await push('PUT', 'job/x/__reserved/v', 'a 1\n')).status).toBe(400);
    expect((await push('PUT', 'job@base64/!!!', 'a 1\n')).status).toBe(400);
    expect((await push('PUT', 'nojob/x', 'a 1\n')).status).toBe(400);
    const job = uniqueName('anon');
    expect((await push('PUT', `job/${job}`, 'pg_anon 1\n', { 'content-type': 'text/plain' })).status).toBe(401);
    expect(await instant(`pg_anon{job="${job}"}`)).toEqual([]);
  });

  it('applies MAX_SERIES_PER_REQUEST to pushed samples (413) and MAX_BODY_BYTES (413)', async () => {
    const job = uniqueName('big');
    const max = Number(env.MAX_SERIES_PER_REQUEST);
    const page = (n: number) => Array.from({ length: n }, (_, i) => `pg_big{i="${i}"} ${i}`).join('\n') + '\n';
    expect((await push('PUT', `job/${job}`, page(max + 1))).status).toBe(413);
    expect(await instant(`pg_big{job="${job}"}`)).toEqual([]);
    expect((await push('PUT', `job/${job}`, page(max))).status).toBe(200);
    expect(await instant(`pg_big{job="${job}"}`)).toHaveLength(max);
    expect((await push('PUT', `job/${job}`, '#'.repeat(Number(env.MAX_BODY_BYTES) + 1))).status).toBe(413);
  });

  it('re-emits the current values on its alarm, so history builds up between pushes', async () => {
    const job = uniqueName('reemit');
    const grouping = { job };
    await push('PUT', `job/${job}`, 'pg_reemit 7\n');
    const stub = env.PUSH_GROUPS.get(env.PUSH_GROUPS.idFromName(canonicalKey(sortedLabelPairs(grouping))));
    await new Promise((r) => setTimeout(r, 5));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const r = await call(`/api/v1/query?query=${encodeURIComponent(`pg_reemit{job="${job}"}[1m]`)}`);
    const body = r.json() as { data: { result: { values: [number, string][] }[] } };
    expect(body.data.result[0].values.map((v) => v[1])).toEqual(['7', '7']);
  });
});
