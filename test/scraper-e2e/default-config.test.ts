import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveScrapeConfig } from '../../workers/scraper/src/config';
import { scrapeLimits } from '../../workers/scraper/src/settings';
import { root } from '../support/dev-worker';

describe('the default SCRAPE_CONFIG in workers/scraper/wrangler.toml', () => {
  it('is valid and scrapes the local origin (127.0.0.1:8080/metrics, job origin) every 15 s', () => {
    const toml = readFileSync(join(root, 'workers/scraper/wrangler.toml'), 'utf8');
    const raw = /^SCRAPE_CONFIG\s*=\s*'(.*)'\s*$/m.exec(toml)?.[1];
    expect(raw).toBeDefined();
    const jobs = resolveScrapeConfig(JSON.parse(raw ?? ''), scrapeLimits({}));
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ jobName: 'origin', scrapeIntervalMs: 15_000, scrapeTimeoutMs: 10_000 });
    expect(jobs[0].targets.map((t) => t.scrapeUrl)).toEqual(['http://127.0.0.1:8080/metrics']);
  });
});
