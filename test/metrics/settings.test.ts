import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import app from '../../workers/metrics/src/index';
import { readLimits } from '../../workers/metrics/src/limits';
import { auth } from './metrics-client';

async function fetchWith(vars: Record<string, string>, path: string, init?: RequestInit): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`http://metrics.test${path}`, init), { ...env, ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe('metrics settings', () => {
  it('reads the limits of this project (its test config sets small ones)', () => {
    expect(readLimits(env)).toMatchObject({ shardCount: 4, maxLinesPerRequest: 100, retentionDays: 15 });
  });

  it('refuses a zero, negative, fractional or non-numeric limit by name instead of falling back to the default', () => {
    for (const bad of ['0', '-5', '1.5', '50k', '']) {
      expect(() => readLimits({ MAX_LINES_PER_REQUEST: bad })).toThrow(
        `wrangler var MAX_LINES_PER_REQUEST must be an integer >= 1, got ${JSON.stringify(bad)}`,
      );
    }
    expect(readLimits({ RETENTION_DAYS: '0.5' }).retentionDays).toBe(0.5);
    expect(() => readLimits({ RETENTION_DAYS: '0' })).toThrow(/RETENTION_DAYS must be a number > 0/);
  });

  it('a malformed var makes the ingest paths answer 500 naming it, each in its own error shape', async () => {
    const influx = await fetchWith({ MAX_BODY_BYTES: '10MB' }, '/api/v2/write?bucket=b&org=o', {
      method: 'POST',
      headers: auth('Token'),
      body: 'cpu value=1',
    });
    expect(influx.status).toBe(500);
    expect(await influx.json()).toEqual({
      code: 'internal error',
      message: 'misconfigured: wrangler var MAX_BODY_BYTES must be an integer >= 1, got "10MB"',
    });
    const push = await fetchWith({ MAX_SERIES_PER_REQUEST: 'lots' }, '/metrics/job/settings', {
      method: 'PUT',
      headers: auth(),
      body: 'x 1\n',
    });
    expect(push.status).toBe(500);
    expect(await push.json()).toEqual({
      error: 'misconfigured',
      message: 'wrangler var MAX_SERIES_PER_REQUEST must be an integer >= 1, got "lots"',
      setting: 'MAX_SERIES_PER_REQUEST',
    });
  });
});
