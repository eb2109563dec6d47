import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { presentedCredentials, requireToken } from './auth';
import { jsonErrorHandler } from './errors';

describe('presentedCredentials (RFC 9110 §11.6.2)', () => {
  it('reads a token of an accepted scheme, case-insensitively', () => {
    expect(presentedCredentials('Bearer abc', ['bearer'])).toEqual({ kind: 'token', scheme: 'bearer', token: 'abc' });
    expect(presentedCredentials('bEaReR   abc ', ['bearer'])).toEqual({ kind: 'token', scheme: 'bearer', token: 'abc' });
  });

  it('tells no credentials from credentials of another scheme', () => {
    for (const none of [undefined, '', '   ', 'Bearer', 'Bearer   '])
      expect(presentedCredentials(none, ['bearer']), String(none)).toEqual({ kind: 'none' });
    expect(presentedCredentials('Basic dXNlcjpwYXNz', ['bearer'])).toEqual({ kind: 'other-scheme', scheme: 'Basic' });
    expect(presentedCredentials('Token abc', ['bearer'])).toEqual({ kind: 'other-scheme', scheme: 'Token' });
    expect(presentedCredentials('{weird} abc', ['bearer'])).toEqual({ kind: 'other-scheme', scheme: '{weird}' });
  });
});

describe('requireToken', () => {
  const appWith = (secret: string | undefined, schemes?: string[]) => {
    const app = new Hono();
    app.onError(jsonErrorHandler);
    app.get('/x', requireToken({ secret: () => secret, schemes }), (c) => c.text('ok'));
    return (authorization?: string) => app.request('/x', { headers: authorization === undefined ? {} : { authorization } });
  };

  it('admits the token and challenges everything else (RFC 9110 §15.5.2, RFC 6750 §3)', async () => {
    const get = appWith('s3cret');
    expect((await get('Bearer s3cret')).status).toBe(200);
    const none = await get();
    expect([none.status, none.headers.get('www-authenticate')]).toEqual([401, 'Bearer realm="pushpull"']);
    expect(await none.json()).toEqual({ error: 'unauthorized', message: 'missing Authorization header (expected: Bearer <token>)' });
    const wrong = await get('Bearer nope');
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="pushpull", error="invalid_token"');
  });

  it('answers a wrong scheme as a wrong scheme, not as a missing header (issue 16)', async () => {
    const res = await appWith('s3cret')('Basic dXNlcjpwYXNz');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="pushpull"');
    expect(((await res.json()) as { message: string }).message).toBe(
      'the Authorization scheme "Basic" is not accepted here (expected: Bearer <token>)',
    );
  });

  it('challenges every accepted scheme, and refuses everyone without a secret', async () => {
    const get = appWith('s3cret', ['Token', 'Bearer']);
    expect((await get('Token s3cret')).status).toBe(200);
    expect((await get()).headers.get('www-authenticate')).toBe('Token realm="pushpull", Bearer realm="pushpull"');
    const disabled = await appWith(undefined)('Bearer anything');
    expect([disabled.status, disabled.headers.get('www-authenticate')]).toEqual([401, 'Bearer realm="pushpull"']);
  });
});
