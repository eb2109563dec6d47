import { InfluxDB, Point } from '@influxdata/influxdb-client';
import { Pushgateway, Registry, Counter, Gauge } from 'prom-client';
import { describe, expect, inject, it } from 'vitest';

const url = inject('metricsUrl');
const token = inject('metricsToken');

async function query(q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  expect(res.status).toBe(200);
  return body.data.result;
}

describe('@influxdata/influxdb-client WriteApi → /api/v2/write', () => {
  it('writes points that read back through /api/v1/query', async () => {
    const tag = `run${Date.now()}`;
    const writeApi = new InfluxDB({ url, token }).getWriteApi('pushpull', 'e2e', 'ms');
    writeApi.useDefaultTags({ run: tag });
    writeApi.writePoint(
      new Point('e2e_cpu')
        .tag('host', 'h1')
        .floatField('usage', 0.25)
        .intField('cores', 8)
        .booleanField('up', true)
        .stringField('model', 'x'),
    );
    writeApi.writePoint(new Point('e2e_cpu').tag('host', 'h2').floatField('usage', 0.75).intField('cores', 4).booleanField('up', false));
    await writeApi.close();
    const usage = await query(`e2e_cpu_usage{run="${tag}"}`);
    expect(usage.map((r) => [r.metric.host, r.metric.db, r.value[1]])).toEqual([
      ['h1', 'e2e', '0.25'],
      ['h2', 'e2e', '0.75'],
    ]);
    expect((await query(`e2e_cpu_cores{run="${tag}"}`)).map((r) => r.value[1])).toEqual(['8', '4']);
    expect((await query(`e2e_cpu_up{run="${tag}"}`)).map((r) => r.value[1])).toEqual(['1', '0']);
  });

  it('surfaces a wrong token as an error from the client', async () => {
    const writeApi = new InfluxDB({ url, token: 'wrong' }).getWriteApi('pushpull', 'e2e', 'ms', { maxRetries: 0 });
    writeApi.writePoint(new Point('e2e_denied').floatField('v', 1));
    await expect(writeApi.close()).rejects.toMatchObject({ statusCode: 401 });
    expect(await query('e2e_denied_v')).toEqual([]);
  });
});

describe("prom-client's Pushgateway → /metrics/job/...", () => {
  it('push (PUT), pushAdd (POST) and delete behave as on a Pushgateway', async () => {
    const job = `e2e_job_${Date.now()}`;
    const registry = new Registry();
    const runs = new Counter({ name: 'e2e_runs_total', help: 'runs', registers: [registry] });
    const last = new Gauge({ name: 'e2e_last_duration_seconds', help: 'duration', labelNames: ['step'], registers: [registry] });
    runs.inc(3);
    last.set({ step: 'load' }, 1.5);
    const gateway = new Pushgateway(url, { headers: { Authorization: `Bearer ${token}` } }, registry);
    const pushed = await gateway.push({ jobName: job, groupings: { instance: 'worker-1' } });
    expect((pushed.resp as { statusCode: number }).statusCode).toBe(200);
    expect(await query(`e2e_runs_total{job="${job}"}`)).toEqual([
      { metric: { __name__: 'e2e_runs_total', job, instance: 'worker-1' }, value: [expect.any(Number), '3'] },
    ]);
    expect((await query(`e2e_last_duration_seconds{job="${job}"}`))[0].metric.step).toBe('load');
    expect(await query(`push_time_seconds{job="${job}"}`)).toHaveLength(1);

    const onlyRuns = new Registry();
    new Counter({ name: 'e2e_runs_total', help: 'runs', registers: [onlyRuns] }).inc(5);
    const added = await new Pushgateway(url, { headers: { Authorization: `Bearer ${token}` } }, onlyRuns).pushAdd({
      jobName: job,
      groupings: { instance: 'worker-1' },
    });
    expect((added.resp as { statusCode: number }).statusCode).toBe(200);
    expect((await query(`e2e_runs_total{job="${job}"}`))[0].value[1]).toBe('5');
    expect((await query(`e2e_last_duration_seconds{job="${job}"}`))[0].value[1]).toBe('1.5');

    await new Promise((r) => setTimeout(r, 5));
    const deleted = await gateway.delete({ jobName: job, groupings: { instance: 'worker-1' } });
    expect((deleted.resp as { statusCode: number }).statusCode).toBe(202);
    expect(await query(`e2e_runs_total{job="${job}"}`)).toEqual([]);
  });

  it('without a token the push is refused (401) and nothing is stored', async () => {
    const registry = new Registry();
    new Gauge({ name: 'e2e_anon', help: 'x', registers: [registry] }).set(1);
    const job = `e2e_anon_${Date.now()}`;
    const r = await new Pushgateway(url, {}, registry).push({ jobName: job }).catch((e: unknown) => e);
    expect(String(r)).toMatch(/401/);
    expect(await query(`e2e_anon{job="${job}"}`)).toEqual([]);
  });
});
