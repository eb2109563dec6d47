import { exports, env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

describe('edge worker', () => {
  it('answers', async () => {
    const res = await exports.default.fetch('http://edge.test/');
    expect(res.status).toBe(200);
    expect(env.ORIGIN_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
