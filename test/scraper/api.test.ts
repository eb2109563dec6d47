import {
  createExecutionContext,
  createScheduledController,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../workers/scraper/src/index';
import { MAX_PROM_DURATION_MS, parsePromDuration } from '@pushpull/wire/prometheus-model/duration';
import {
  MAX_SCRAPE_INTERVAL_MS,
  parseByteSize,
  resolveScrapeConfig,
  ScrapeConfigError,
  type ScrapeLimits,
} from '../../workers/scraper/src/config';
import { applyTargetLabels } from '../../workers/scraper/src/scrape-series';
import { AUTH, call, job, putConfig, targets, testEnv, value, type ActiveTarget } from './scraper-client';

const LIMITS: ScrapeLimits = { maxBodySize: 1000, maxSamplesPerScrape: 500, maxTargets: 3, minScrapeIntervalMs: 1000 };

function problemsOf(doc: unknown): string[] {
  try {
    resolveScrapeConfig(doc, LIMITS);
  } catch (e) {
    if (e instanceof ScrapeConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('resolveScrapeConfig', () => {
  it("applies Prometheus's defaults and the operator's caps", () => {
    const [j] = resolveScrapeConfig({ scrape_configs: [{ job_name: 'a', static_configs: [{ targets: ['h:1'] }] }] }, LIMITS);
    expect(j).toMatchObject({
      scrapeIntervalMs: 60_000,
      scrapeTimeoutMs: 10_000,
      metricsPath: '/metrics',
      scheme: 'http',
      honorLabels: false,
      honorTimestamps: true,
      sampleLimit: 500,
      bodySizeLimit: 1000,
    });
    expect(j.targets).toEqual([{ address: 'h:1', labels: { job: 'a', instance: 'h:1' }, scrapeUrl: 'http://h:1/metrics' }]);
    const [k] = resolveScrapeConfig(
      {
        global: { scrape_interval: '15s', scrape_timeout: '10s' },
        scrape_configs: [
          {
            job_name: 'b',
            scrape_interval: '5s',
            sample_limit: 10,
            body_size_limit: '512B',
            scheme: 'https',
            metrics_path: '/m',
            params: { x: ['1', '2'] },
            static_configs: [{ targets: ['h:2'], labels: { team: 'x', instance: 'named', __param_y: 'z' } }],
          },
        ],
      },
      LIMITS,
    );
    // A job without its own timeout takes the global one capped at its interval.
    expect(k).toMatchObject({ scrapeIntervalMs: 5000, scrapeTimeoutMs: 5000, sampleLimit: 10, bodySizeLimit: 512 });
    expect(k.targets[0]).toEqual({
      address: 'h:2',
      labels: { team: 'x', instance: 'named', job: 'b' },
      scrapeUrl: 'https://h:2/m?x=1&x=2&y=z',
    });
  });

  it('names every problem', () => {
    const problems = problemsOf({
      scrape_configs: [
        { job_name: 'a', scrape_interval: '10s', scrape_timeout: '20s', static_configs: [{ targets: ['http://h:1/x'] }] },
        { job_name: 'a', scrape_interval: 'soon', bogus: 1, static_configs: [{ targets: ['h:1'], labels: { 'bad-name': 'v' } }] },
        { job_name: 'c', scrape_interval: '500ms' },
      ],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('scrape timeout greater than scrape interval'),
        expect.stringContaining('must be "host:port"'),
        'found multiple scrape configs with job name "a"',
        expect.stringContaining('scrape_interval must be a duration'),
        expect.stringContaining('unknown field "bogus"'),
        expect.stringContaining('"bad-name" is not a valid label name'),
        expect.stringContaining('below the minimum of 1s'),
      ]),
    );
    expect(
      problemsOf({ global: { scrape_interval: '9999999999999y' }, scrape_configs: [{ job_name: 'a', scrape_timeout: '293y' }] }),
    ).toEqual([
      'global.scrape_interval: duration out of range (at most 106751d23h47m16s854ms, as in Prometheus)',
      'scrape_configs[0].scrape_timeout: duration out of range (at most 106751d23h47m16s854ms, as in Prometheus)',
    ]);
  });

  it('refuses more targets than MAX_TARGETS, and accepts exactly that many', () => {
    const doc = (n: number) => ({
      scrape_configs: [{ job_name: 'a', static_configs: [{ targets: Array.from({ length: n }, (_, k) => `h:${k + 1}`) }] }],
    });
    expect(problemsOf(doc(3))).toEqual([]);
    expect(problemsOf(doc(4))).toEqual(['4 targets exceed MAX_TARGETS (3)']);
  });

  it('parses Prometheus durations and sizes', () => {
    expect(parsePromDuration('1h30m')).toBe(5_400_000);
    expect(parsePromDuration('15s')).toBe(15_000);
    expect(parsePromDuration('250ms')).toBe(250);
    expect(parsePromDuration('15')).toBeUndefined();
    // Prometheus's range (promtool check config): 2^63 - 1 ns.
    expect(parsePromDuration('292y')).toBe(292 * 365 * 86_400_000);
    expect(parsePromDuration('106751d23h47m16s854ms')).toBe(MAX_PROM_DURATION_MS);
    expect(parsePromDuration('106751d23h47m16s855ms')).toBeUndefined();
    expect(parsePromDuration('293y')).toBeUndefined();
    expect(parsePromDuration('9999999999999y')).toBeUndefined();
    expect(parsePromDuration(`${'9'.repeat(400)}ms`)).toBeUndefined();
    expect(parseByteSize('10MB')).toBe(10 * 1024 * 1024);
    expect(parseByteSize('0')).toBe(0);
    expect(parseByteSize('10 MB')).toBeUndefined();
  });
});

describe('applyTargetLabels', () => {
  it('renames colliding page labels exported_, again while taken, unless honor_labels', () => {
    const page = { __name__: 'm', job: 'p', exported_job: 'q', a: '' };
    const target = { job: 'j', instance: 'i' };
    expect(applyTargetLabels(page, target, false)).toEqual({
      __name__: 'm',
      job: 'j',
      instance: 'i',
      exported_job: 'q',
      exported_exported_job: 'p',
    });
    expect(applyTargetLabels(page, target, true)).toEqual({ __name__: 'm', job: 'p', exported_job: 'q', instance: 'i' });
  });
});

describe('the configuration API', () => {
  it('requires the token for the configuration, not for target health', async () => {
    expect((await call('/api/v1/config')).status).toBe(401);
    expect((await call('/api/v1/config', { method: 'PUT', body: '{}' })).status).toBe(401);
    expect((await call('/api/v1/config', { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await call('/api/v1/scrape', { method: 'POST' })).status).toBe(401);
    expect((await call('/api/v1/targets')).status).toBe(200);
  });

  it('stores a configuration, refuses a bad one without losing it, and resets to SCRAPE_CONFIG', async () => {
    const doc = { scrape_configs: [job('cfg1', ['/good'])] };
    await putConfig(doc);
    const got = await call('/api/v1/config', { headers: AUTH });
    expect(got.json()).toMatchObject({ source: 'api', config: doc });
    const bad = await call('/api/v1/config', {
      method: 'PUT',
      headers: AUTH,
      body: JSON.stringify({ scrape_configs: [{ job_name: 'x', scrape_timeout: '2m' }] }),
    });
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({
      error: 'invalid_config',
      problems: [expect.stringContaining('scrape timeout greater than scrape interval')],
    });
    const notJson = await call('/api/v1/config', { method: 'PUT', headers: AUTH, body: '{nope' });
    expect(notJson.status).toBe(400);
    expect(notJson.json()).toMatchObject({ error: 'invalid_json' });
    const huge = await call('/api/v1/config', {
      method: 'PUT',
      headers: AUTH,
      body: JSON.stringify({ scrape_configs: [], pad: 'x'.repeat(300_000) }),
    });
    expect(huge.status).toBe(413);
    expect((await call('/api/v1/config', { headers: AUTH })).json()).toMatchObject({ source: 'api', config: doc });
    // PUT /api/v1/targets is the same operation.
    const viaTargets = await call('/api/v1/targets', { method: 'PUT', headers: AUTH, body: JSON.stringify(doc) });
    expect(viaTargets.status).toBe(200);
    expect(viaTargets.json()).toMatchObject({ source: 'api', jobs: ['cfg1'], targets: 1 });
    expect((await call('/api/v1/targets', { method: 'PUT', body: JSON.stringify(doc) })).status).toBe(401);
    const reset = await call('/api/v1/config', { method: 'DELETE', headers: AUTH });
    expect(reset.json()).toMatchObject({ source: 'default', jobs: [], stopped: ['cfg1'] });
    expect((await call('/api/v1/config', { headers: AUTH })).json()).toMatchObject({ source: 'default', config: { scrape_configs: [] } });
  });

  it('answers /api/v1/targets like Prometheus, filtered by scrapePool', async () => {
    await putConfig({ scrape_configs: [job('health1', ['/good']), job('health2', ['/status500'])] });
    const before = await call('/api/v1/targets?scrapePool=health1');
    const [fresh] = before.json<{ data: { activeTargets: ActiveTarget[] } }>().data.activeTargets;
    expect(fresh).toMatchObject({ health: 'unknown', lastScrape: '0001-01-01T00:00:00Z', scrapePool: 'health1' });
    await call('/api/v1/scrape', { method: 'POST', headers: AUTH });
    const r = await call('/api/v1/targets');
    const body = r.json<{ status: string; data: { activeTargets: ActiveTarget[]; droppedTargets: unknown[] } }>();
    expect(body.status).toBe('success');
    expect(body.data.droppedTargets).toEqual([]);
    const t = body.data.activeTargets.find((x) => x.scrapePool === 'health1');
    expect(t).toMatchObject({
      discoveredLabels: {
        __address__: targets(),
        __metrics_path__: '/good',
        __scheme__: 'http',
        __scrape_interval__: '1h',
        __scrape_timeout__: '10s',
        job: 'health1',
      },
      labels: { job: 'health1', instance: targets(), path: '/good' },
      scrapeUrl: `http://${targets()}/good`,
      lastError: '',
      health: 'up',
      scrapeInterval: '1h',
      scrapeTimeout: '10s',
    });
    expect(Date.parse(t?.lastScrape ?? '')).toBeGreaterThan(Date.now() - 60_000);
    expect(body.data.activeTargets.find((x) => x.scrapePool === 'health2')?.health).toBe('down');
    expect((await call('/api/v1/targets?state=bogus')).status).toBe(400);
    expect((await call('/api/v1/scrape?job=nope', { method: 'POST', headers: AUTH })).status).toBe(404);
  });
});

describe('the schedule: cron keeps each job loop alive, the alarm scrapes and re-arms', () => {
  it('the cron configures the pool; its alarm scrapes every target and sets the next alarm one interval on', async () => {
    await putConfig({ scrape_configs: [{ ...job('cron1', ['/good']), scrape_interval: '30s' }] });
    const ctx = createExecutionContext();
    await worker.scheduled?.(createScheduledController({ cron: '* * * * *' }), testEnv, ctx);
    await waitOnExecutionContext(ctx);
    const stub = testEnv.SCRAPE_POOLS.get(testEnv.SCRAPE_POOLS.idFromName('cron1'));
    const armed = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
    expect(armed).not.toBeNull();
    const started = Date.now();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await value('up{job="cron1"}')).toBe('1');
    const next = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
    expect(next).not.toBeNull();
    expect(next ?? 0).toBeGreaterThanOrEqual(started + 29_000);
    expect(next ?? 0).toBeLessThanOrEqual(Date.now() + 30_000);
    const [t] = await stub.health();
    expect(t.health).toBe('up');
  });

  it('an interval past what Prometheus accepts, or past 100y, is refused; 100y schedules its next alarm that far on', async () => {
    const bad = await call('/api/v1/config', {
      method: 'PUT',
      headers: AUTH,
      body: JSON.stringify({ scrape_configs: [{ ...job('far1', ['/good']), scrape_interval: '9999999999999y' }] }),
    });
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({
      error: 'invalid_config',
      problems: ['scrape_configs[0].scrape_interval: duration out of range (at most 106751d23h47m16s854ms, as in Prometheus)'],
    });
    const past = await call('/api/v1/config', {
      method: 'PUT',
      headers: AUTH,
      body: JSON.stringify({ scrape_configs: [{ ...job('far1', ['/good']), scrape_interval: '100y1ms' }] }),
    });
    expect(past.status).toBe(400);
    expect(past.json()).toMatchObject({
      problems: [
        'scrape_configs[0].scrape_interval above the maximum of 100y (the next scrape is an alarm, which cannot be set past 2189)',
      ],
    });
    await putConfig({ scrape_configs: [{ ...job('far2', ['/good']), scrape_interval: '100y' }] });
    const stub = testEnv.SCRAPE_POOLS.get(testEnv.SCRAPE_POOLS.idFromName('far2'));
    const started = Date.now();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await value('up{job="far2"}')).toBe('1');
    const next = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
    expect(next ?? 0).toBeGreaterThanOrEqual(started + MAX_SCRAPE_INTERVAL_MS);
    expect(next ?? 0).toBeLessThanOrEqual(Date.now() + MAX_SCRAPE_INTERVAL_MS);
  });
});
