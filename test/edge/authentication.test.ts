/**
 * Every authenticated endpoint of the edge Worker (the push API and the purge API) answers a
 * 401 with a Bearer WWW-Authenticate (RFC 9110 §15.5.2, RFC 6750 §3), and a wrong auth scheme
 * as such (issue 16).
 */
import { describe, it } from 'vitest';
import { BEARER_ONLY, expectRefusals } from '../support/challenges';
import { edge } from './edge-client';

const ENDPOINTS = [
  ['GET', '/_push/deploys'],
  ['POST', '/_push/deploys'],
  ['PUT', '/_push/files/auth/check.txt'],
  ['DELETE', '/_push/files/auth/check.txt'],
  ['GET', '/_push/raw/auth/check.txt'],
  ['PUT', `/_push/blobs/${'a'.repeat(64)}`],
  ['POST', '/_cache/purge'],
] as const;

async function call(
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Headers; text: string }> {
  const { res, body } = await edge(path, { method, headers, body: method === 'GET' || method === 'DELETE' ? undefined : '{}' });
  return { status: res.status, headers: res.headers, text: body };
}

describe('401 answers of the edge Worker', () => {
  for (const [method, path] of ENDPOINTS) {
    it(`${method} ${path} challenges Bearer, and says when the scheme is wrong`, async () => {
      await expectRefusals(`${method} ${path}`, (headers) => call(method, path, headers), BEARER_ONLY);
    });
  }
});
