/**
 * Every authenticated endpoint of the scraper Worker answers a 401 with a Bearer
 * WWW-Authenticate (RFC 9110 §15.5.2, RFC 6750 §3), and a wrong auth scheme as such (issue 16).
 */
import { describe, it } from 'vitest';
import { BEARER_ONLY, expectRefusals } from '../support/challenges';
import { call } from './scraper-client';

const ENDPOINTS = [
  ['GET', '/api/v1/config'],
  ['PUT', '/api/v1/config'],
  ['DELETE', '/api/v1/config'],
  ['PUT', '/api/v1/targets'],
  ['POST', '/api/v1/scrape'],
] as const;

describe('401 answers of the scraper Worker', () => {
  for (const [method, path] of ENDPOINTS) {
    it(`${method} ${path} challenges Bearer, and says when the scheme is wrong`, async () => {
      const body = method === 'PUT' ? '{}' : undefined;
      await expectRefusals(`${method} ${path}`, (headers) => call(path, { method, headers, body }), BEARER_ONLY);
    });
  }
});
