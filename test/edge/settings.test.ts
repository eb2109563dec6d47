import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import app from '../../workers/edge/src/index';
import { cacheSettings } from '../../workers/edge/src/settings';

async function fetchWith(vars: Record<string, string>, path: string, init?: RequestInit): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`http://edge.test${path}`, init), { ...env, ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe('edge settings', () => {
  it('reads the vars of this project (a test config overrides ORIGIN_TIMEOUT_MS and COALESCE_MAX_BYTES)', () => {
    const s = cacheSettings(env);
    expect([s.defaultTtl, s.originTimeoutMs, s.coalesceMaxBytes]).toEqual([60, 3000, 65536]);
    expect(s.isIgnored('utm_source') && s.isIgnored('fbclid') && !s.isIgnored('page')).toBe(true);
  });

  it('a malformed var makes every request a 500 "misconfigured" naming it, cached path and API alike', async () => {
    const res = await fetchWith({ DEFAULT_TTL: '60s' }, '/settings/any');
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      error: 'misconfigured',
      message: 'wrangler var DEFAULT_TTL must be an integer >= 0, got "60s"',
      setting: 'DEFAULT_TTL',
    });
    const purge = await fetchWith({ ORIGIN_URL: '127.0.0.1:8080' }, '/_cache/purge', {
      method: 'POST',
      headers: { authorization: `Bearer ${env.PUSHPULL_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ urls: ['http://edge.test/x'] }),
    });
    expect(purge.status).toBe(500);
    expect(await purge.json()).toMatchObject({ error: 'misconfigured', setting: 'ORIGIN_URL' });
  });
});
