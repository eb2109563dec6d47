// The Grafana-facing endpoints besides queries: metadata kept from remote_write and Pushgateway pushes,
// empty rules/alerts/exemplars in Prometheus's shapes, and Prometheus's errors for bad parameters.
import { compress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { encodeWriteRequest, type WireMetricMetadata } from '@pushpull/wire/remote-write/protobuf';
import { auth, call, uniqueName } from './metrics-client';

async function get(path: string, init?: RequestInit) {
  const r = await call(`/api/v1/${path}`, init);
  return { status: r.status, body: r.json() };
}

const bad = (error: string) => ({ status: 400, body: { status: 'error', errorType: 'bad_data', error } });
const ok = (data: unknown) => ({ status: 200, body: { status: 'success', data } });

async function writeMetadata(metadata: WireMetricMetadata[]): Promise<number> {
  const headers = { ...auth(), 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' };
  const body = compress(encodeWriteRequest({ timeseries: [], metadata }));
  return (await call('/api/v1/write', { method: 'POST', body, headers })).status;
}

describe('/api/v1/metadata', () => {
  it('keeps the TYPE/HELP/UNIT a remote_write sends, distinct triples side by side', async () => {
    const a = uniqueName('md_a');
    const b = uniqueName('md_b');
    expect(
      await writeMetadata([
        { metric: a, type: 'counter', help: 'Requests served.', unit: '' },
        { metric: b, type: 'gauge', help: 'Temperature ✓', unit: 'celsius' },
        { metric: b, type: 'gauge', help: 'Temperature ✓', unit: 'celsius' },
      ]),
    ).toBe(204);
    expect(await writeMetadata([{ metric: a, type: 'counter', help: 'Requests served (v2).', unit: '' }])).toBe(204);
    expect(await get(`metadata?metric=${b}`)).toEqual(ok({ [b]: [{ type: 'gauge', help: 'Temperature ✓', unit: 'celsius' }] }));
    const both = (await get(`metadata?metric=${a}`)).body as { data: Record<string, { help: string }[]> };
    expect(both.data[a].map((m) => m.help).sort()).toEqual(['Requests served (v2).', 'Requests served.']);
    expect(await get(`metadata?metric=${a}&limit_per_metric=1`)).toEqual(
      ok({ [a]: [{ type: 'counter', help: 'Requests served (v2).', unit: '' }] }),
    );
    const all = (await get('metadata')).body as { data: Record<string, unknown> };
    expect(Object.keys(all.data)).toEqual(expect.arrayContaining([a, b]));
    expect(await get('metadata?metric=no_such_metric_anywhere')).toEqual(ok({}));
  });

  it('keeps the TYPE/HELP/UNIT lines of a Pushgateway push', async () => {
    const name = uniqueName('md_push');
    const page = `# HELP ${name} Jobs done.\n# TYPE ${name} counter\n${name} 3\n`;
    const r = await call(`/metrics/job/${name}`, { method: 'PUT', body: page, headers: auth() });
    expect(r.status).toBe(200);
    expect(await get(`metadata?metric=${name}`)).toEqual(ok({ [name]: [{ type: 'counter', help: 'Jobs done.', unit: '' }] }));
  });

  it('keeps at most 10 distinct entries a family, the newest', async () => {
    const name = uniqueName('md_cap');
    for (let i = 0; i < 12; i++) expect(await writeMetadata([{ metric: name, type: 'gauge', help: `v${i}`, unit: '' }])).toBe(204);
    const body = (await get(`metadata?metric=${name}`)).body as { data: Record<string, { help: string }[]> };
    expect(body.data[name]).toHaveLength(10);
    expect(body.data[name].map((m) => m.help)).not.toContain('v0');
    expect(body.data[name].map((m) => m.help)).not.toContain('v1');
    expect(body.data[name].map((m) => m.help)).toContain('v11');
  });

  it('limits families as Prometheus 2.42 does and refuses a limit that is not an integer', async () => {
    await writeMetadata([
      { metric: uniqueName('md_l1'), type: 'gauge', help: '', unit: '' },
      { metric: uniqueName('md_l2'), type: 'gauge', help: '', unit: '' },
    ]);
    expect(Object.keys(((await get('metadata?limit=1')).body as { data: object }).data)).toHaveLength(1);
    expect(Object.keys(((await get('metadata?limit=2')).body as { data: object }).data)).toHaveLength(2);
    expect(await get('metadata?limit=0')).toEqual(ok({}));
    expect(Object.keys(((await get('metadata?limit=-1')).body as { data: object }).data).length).toBeGreaterThanOrEqual(2);
    expect(await get('metadata?limit=x')).toEqual(bad('limit must be a number'));
    expect(await get('metadata?limit_per_metric=1.5')).toEqual(bad('limit_per_metric must be a number'));
  });
});

describe('rules, alerts, exemplars', () => {
  it('answers rules and alerts with empty, well-formed lists', async () => {
    expect(await get('rules')).toEqual(ok({ groups: [] }));
    expect(await get('rules?type=ALERT')).toEqual(ok({ groups: [] }));
    expect(await get('rules?type=xx')).toEqual(bad('invalid parameter "type": not supported value "xx"'));
    expect(await get('alerts')).toEqual(ok({ alerts: [] }));
  });

  it('answers exemplar queries with an empty list and rejects what Prometheus rejects', async () => {
    expect(await get('query_exemplars?query=up&start=10&end=20')).toEqual(ok([]));
    const form = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'query=rate(up%5B5m%5D)' };
    expect(await get('query_exemplars', form)).toEqual(ok([]));
    expect(await get('query_exemplars?query=')).toEqual(bad('1:1: parse error: no expression found in input'));
    expect(await get('query_exemplars?query=up&start=10&end=5')).toEqual(bad('end timestamp must not be before start timestamp'));
    expect((await get('query_exemplars?query=up&start=abc')).status).toBe(400);
  });
});
