import { describe, expect, it } from 'vitest';
import { rawRequest, SECRET, serveFixture } from './fixture';

const site = serveFixture();

describe('path safety', () => {
  it('refuses raw dot-dot segments with 400, sent byte for byte', async () => {
    for (const target of ['/../secret.txt', '/assets/../../secret.txt', '/..', '/docs/./../../secret.txt']) {
      const res = await rawRequest(site.origin.port, target);
      expect(res.status, target).toBe(400);
      expect(res.body).not.toContain(SECRET);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'bad_path' });
    }
  });

  it('refuses percent-encoded traversal, encoded slashes and backslashes with 400', async () => {
    const targets = [
      '/%2e%2e/secret.txt',
      '/%2E%2E/secret.txt',
      '/.%2e/secret.txt',
      '/%2e./secret.txt',
      '/assets%2f..%2f..%2fsecret.txt',
      '/%2e%2e%2fsecret.txt',
      '/..%5csecret.txt',
      '/%5c..%5csecret.txt',
      '/%252e%252e/secret.txt',
    ];
    for (const target of targets) {
      const res = await rawRequest(site.origin.port, target);
      expect(res.body, target).not.toContain(SECRET);
      // A double-encoded %252e decodes once to the literal name "%2e%2e", which does not exist.
      expect([400, 404], target).toContain(res.status);
    }
    expect((await rawRequest(site.origin.port, '/%2e%2e/secret.txt')).status).toBe(400);
    expect((await rawRequest(site.origin.port, '/assets%2fapp.1234abcd.js')).status).toBe(400);
  });

  it('refuses NUL bytes and malformed percent-encoding with 400', async () => {
    for (const target of ['/about.html%00.txt', '/%00', '/bad%zzname']) {
      const res = await rawRequest(site.origin.port, target);
      expect(res.status, target).toBe(400);
    }
  });

  it('never follows a symlink that points outside the folder, for files or directories', async () => {
    const leak = await rawRequest(site.origin.port, '/leak.txt');
    expect(leak.status).toBe(404);
    expect(leak.body).not.toContain(SECRET);
    const viaDir = await rawRequest(site.origin.port, '/up/secret.txt');
    expect(viaDir.status).toBe(404);
    expect(viaDir.body).not.toContain(SECRET);
    const head = await rawRequest(site.origin.port, '/leak.txt', 'HEAD');
    expect(head.status).toBe(404);
  });

  it('follows a symlink that stays inside the folder', async () => {
    const res = await rawRequest(site.origin.port, '/inner-link.txt');
    expect(res.status).toBe(200);
    expect(res.body).toBe('inside');
  });

  it('never redirects a directory to another host (scheme-relative Location)', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(`${site.fx.site}/evil.example`, { recursive: true });
    const res = await rawRequest(site.origin.port, '//evil.example');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('/evil.example/');
  });

  it('never serves dotfiles', async () => {
    for (const target of ['/.env', '/%2eenv']) {
      const res = await rawRequest(site.origin.port, target);
      expect(res.status, target).toBe(404);
      expect(res.body).not.toContain(SECRET);
    }
  });

  it('still serves normal files (including an encoded space in a name) through the same checks', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${site.fx.site}/with space.txt`, 'spaced');
    const res = await rawRequest(site.origin.port, '/with%20space.txt');
    expect(res.status).toBe(200);
    expect(res.body).toBe('spaced');
  });
});
