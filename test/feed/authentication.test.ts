/**
 * Every authenticated endpoint of the feed Worker (a user's own endpoints, with the user's
 * token, and the admin API, with the Worker's token) answers a 401 with a Bearer
 * WWW-Authenticate (RFC 9110 §15.5.2, RFC 6750 §3), and a wrong auth scheme as such (issue 16).
 */
import { exports } from 'cloudflare:workers';
import { describe, it } from 'vitest';
import { BEARER_ONLY, expectRefusals } from '../support/challenges';
import { createUser } from './feed-client';

async function call(
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Headers; text: string }> {
  const body = method === 'POST' || method === 'PUT' ? '{}' : undefined;
  const res = await exports.default.fetch(`http://feed.test${path}`, {
    method,
    headers: { ...headers, 'content-type': 'application/json' },
    body,
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('401 answers of the feed Worker', () => {
  it("a user's own endpoints challenge Bearer, and say when the scheme is wrong", async () => {
    const [alice, bob] = [await createUser('auth'), await createUser('auth')];
    for (const [method, path] of [
      ['POST', `/users/${alice.id}/posts`],
      ['DELETE', `/users/${alice.id}/posts/1`],
      ['PUT', `/users/${alice.id}/following/${bob.id}`],
      ['DELETE', `/users/${alice.id}/following/${bob.id}`],
      ['GET', `/users/${alice.id}/timeline`],
    ] as const) {
      await expectRefusals(`${method} ${path}`, (headers) => call(method, path, headers), BEARER_ONLY);
    }
  });

  for (const [method, path] of [
    ['POST', '/admin/bulk'],
    ['POST', '/admin/rebuild'],
    ['POST', '/admin/probe'],
    ['GET', '/admin/fanout'],
  ] as const) {
    it(`${method} ${path} challenges Bearer, and says when the scheme is wrong`, async () => {
      await expectRefusals(`${method} ${path}`, (headers) => call(method, path, headers), BEARER_ONLY);
    });
  }
});
