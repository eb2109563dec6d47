import { describe, expect, it } from 'vitest';
import { bearerChallenge, formatChallenge, quotedString, wwwAuthenticate } from './www-authenticate';

describe('WWW-Authenticate (RFC 9110 §11.6.1)', () => {
  it('formats Bearer challenges without and with an error (RFC 6750 §3)', () => {
    expect(wwwAuthenticate(bearerChallenge('pushpull'))).toBe('Bearer realm="pushpull"');
    expect(wwwAuthenticate(bearerChallenge('pushpull', { code: 'invalid_token', description: 'the token is not "dev-token"' }))).toBe(
      'Bearer realm="pushpull", error="invalid_token", error_description="the token is not \\"dev-token\\""',
    );
  });

  it('lists several challenges, e.g. Bearer and InfluxDB Token', () => {
    expect(wwwAuthenticate([bearerChallenge('metrics'), { scheme: 'Token', params: { realm: 'metrics' } }])).toBe(
      'Bearer realm="metrics", Token realm="metrics"',
    );
  });

  it('formats token68 and bare schemes', () => {
    expect(formatChallenge({ scheme: 'Negotiate', token68: 'YII=' })).toBe('Negotiate YII=');
    expect(formatChallenge({ scheme: 'Basic' })).toBe('Basic');
  });

  it('refuses what would not be a valid field value', () => {
    expect(() => wwwAuthenticate([])).toThrow(TypeError);
    expect(() => formatChallenge({ scheme: 'Bad Scheme' })).toThrow(TypeError);
    expect(() => formatChallenge({ scheme: 'Bearer', params: { 'real m': 'x' } })).toThrow(TypeError);
    expect(() => formatChallenge({ scheme: 'Bearer', token68: 'a b' })).toThrow(TypeError);
    expect(() => formatChallenge({ scheme: 'Bearer', token68: 'abc', params: { realm: 'x' } })).toThrow(TypeError);
    expect(() => quotedString('line\nbreak')).toThrow(TypeError);
    expect(quotedString('back\\slash')).toBe('"back\\\\slash"');
  });
});
