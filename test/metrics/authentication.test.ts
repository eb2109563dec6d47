/**
 * Every authenticated endpoint of the metrics Worker answers a 401 with WWW-Authenticate
 * (RFC 9110 §15.5.2), and a wrong auth scheme as such (issue 16). The InfluxDB endpoints send
 * the challenges InfluxDB's clients know: 1.x `/write` a Basic challenge (what influxd 1.x
 * sends), `/api/v2/write` Token and Bearer (InfluxDB 2.x sends none; the RFC requires one).
 */
import { describe, expect, it } from 'vitest';
import { BEARER_ONLY, expectRefusals } from '../support/challenges';
import { call } from './metrics-client';

const BEARER_ENDPOINTS = [
  ['PUT', '/metrics/job/auth_check'],
  ['POST', '/metrics/job/auth_check'],
  ['DELETE', '/metrics/job/auth_check'],
  ['POST', '/api/v1/write'],
] as const;

describe('401 answers of the metrics Worker', () => {
  for (const [method, path] of BEARER_ENDPOINTS) {
    it(`${method} ${path} challenges Bearer, and says when the scheme is wrong`, async () => {
      await expectRefusals(
        `${method} ${path}`,
        (headers) => call(path, { method, headers, body: method === 'DELETE' ? undefined : 'x 1\n' }),
        BEARER_ONLY,
      );
    });
  }

  it('POST /api/v2/write challenges Token and Bearer, with InfluxDB 2.x error fields', async () => {
    const path = '/api/v2/write?bucket=auth&precision=s';
    await expectRefusals(`POST ${path}`, (headers) => call(path, { method: 'POST', headers, body: 'm v=1' }), {
      challenge: 'Token realm="pushpull", Bearer realm="pushpull"',
      invalid: 'Token realm="pushpull", Bearer realm="pushpull", error="invalid_token"',
      otherScheme: { authorization: 'Basic dXNlcjpwYXNz', scheme: 'Basic' },
      wrongToken: 'Token not-the-token',
    });
    const refused = await call(path, { method: 'POST', body: 'm v=1' });
    expect(refused.headers.get('x-platform-error-code')).toBe('unauthorized');
    expect(refused.json()).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/^unauthorized access/) as unknown });
  });

  it('POST /write (InfluxDB 1.x) challenges Basic, as influxd does', async () => {
    const path = '/write?db=auth&precision=s';
    await expectRefusals(`POST ${path}`, (headers) => call(path, { method: 'POST', headers, body: 'm v=1' }), {
      challenge: 'Basic realm="pushpull"',
      invalid: 'Basic realm="pushpull"',
      otherScheme: { authorization: 'Digest username="x"', scheme: 'Digest' },
      wrongToken: `Basic ${btoa('user:not-the-token')}`,
    });
    expect((await call(`${path}&p=not-the-token`, { method: 'POST', body: 'm v=1' })).headers.get('www-authenticate')).toBe(
      'Basic realm="pushpull"',
    );
  });
});
