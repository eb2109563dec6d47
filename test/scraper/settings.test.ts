import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../workers/scraper/src/index';
import { scrapeLimits, scraperSettings } from '../../workers/scraper/src/settings';

async function fetchWith(vars: Record<string, string>, path: string, init?: RequestInit): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://scraper.test${path}`, init), { ...env, ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe('scraper settings', () => {
  it('defaults MAX_SAMPLES_PER_SCRAPE to 20000, as wrangler.toml and the docs say', () => {
    expect(scrapeLimits({}).maxSamplesPerScrape).toBe(20_000);
    expect(scraperSettings({})).toMatchObject({ maxConcurrentScrapes: 6, writeBatchSeries: 10_000, maxConfigBytes: 262_144 });
    expect(scraperSettings(env).maxConcurrentScrapes).toBe(3);
  });

  it('refuses a malformed limit by name instead of falling back to the default', () => {
    expect(() => scraperSettings({ MAX_CONCURRENT_SCRAPES: '0' })).toThrow(
      'wrangler var MAX_CONCURRENT_SCRAPES must be an integer >= 1, got "0"',
    );
    expect(() => scraperSettings({ WRITE_BATCH_SERIES: 'ten thousand' })).toThrow(/WRITE_BATCH_SERIES/);
  });

  it('checks SCRAPE_CONFIG against the limits when the settings are read', () => {
    expect(() => scraperSettings({ SCRAPE_CONFIG: '{"scrape_configs":' })).toThrow(/^wrangler var SCRAPE_CONFIG must be a JSON object/);
    const tooFast = JSON.stringify({ scrape_configs: [{ job_name: 'a', scrape_interval: '1s', static_configs: [{ targets: ['x:1'] }] }] });
    expect(() => scraperSettings({ SCRAPE_CONFIG: tooFast, MIN_SCRAPE_INTERVAL_SECONDS: '5' })).toThrow(
      'wrangler var SCRAPE_CONFIG is not a usable scrape configuration: scrape_configs[0].scrape_interval below the minimum of 5s',
    );
  });

  it('a malformed var makes the API answer 500 "misconfigured" naming it', async () => {
    const res = await fetchWith({ MAX_CONFIG_BYTES: '256KiB' }, '/api/v1/config', {
      method: 'PUT',
      headers: { authorization: `Bearer ${env.PUSHPULL_TOKEN}` },
      body: JSON.stringify({ scrape_configs: [] }),
    });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      error: 'misconfigured',
      message: 'wrangler var MAX_CONFIG_BYTES must be an integer >= 2, got "256KiB"',
      setting: 'MAX_CONFIG_BYTES',
    });
  });
});
