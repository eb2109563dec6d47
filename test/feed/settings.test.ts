import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../workers/feed/src/index';

describe('feed settings', () => {
  it('a malformed var makes every request a 500 "misconfigured" naming it', async () => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request('http://feed.test/users/1/timeline'), { ...env, PAGE_LIMIT_MAX: '4O' }, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      error: 'misconfigured',
      message: 'wrangler var PAGE_LIMIT_MAX must be an integer >= 1, got "4O"',
      setting: 'PAGE_LIMIT_MAX',
    });
  });
});
