import { describe, expect, it } from 'vitest';
import { utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { startOrigin } from '../../origin/server';
import { BINARY, serveFixture } from './fixture';

// Last-Modified of every fixture file, pinned so date comparisons are exact.
const MTIME = new Date('2026-01-02T03:04:05Z');

const site = serveFixture(
  {
    cacheControl: {
      defaultCacheControl: 'public, max-age=120',
      rules: [
        { match: '/assets/*', cacheControl: 'public, max-age=31536000, immutable', cacheTag: ['assets', 'static'] },
        { match: '*.html', cacheControl: 'public, max-age=60', cacheTag: 'html' },
        { match: '/data.json', cacheControl: 'no-cache' },
      ],
    },
  },
  async (fx) => {
    for (const f of ['index.html', 'about.html', 'style.css', 'blob.bin', 'data.json']) {
      await utimes(join(fx.site, f), MTIME, MTIME);
    }
  },
);
const url = (path: string): string => `${site.origin.url}${path}`;

describe('static files', () => {
  it('serves a file with a strong ETag, Last-Modified, Content-Type and Content-Length', async () => {
    const res = await fetch(url('/style.css'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('body { color: red }');
    expect(res.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(res.headers.get('last-modified')).toBe(MTIME.toUTCString());
    expect(res.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(res.headers.get('content-length')).toBe('19');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
  });

  it('keeps the same ETag for an unchanged file and changes it when the bytes change', async () => {
    const a = (await fetch(url('/about.html'))).headers.get('etag');
    const b = (await fetch(url('/about.html'))).headers.get('etag');
    expect(a).toBe(b);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(site.fx.site, 'changing.txt'), 'one');
    const first = await fetch(url('/changing.txt'));
    expect(await first.text()).toBe('one');
    await writeFile(join(site.fx.site, 'changing.txt'), 'two!');
    const second = await fetch(url('/changing.txt'));
    expect(await second.text()).toBe('two!');
    expect(second.headers.get('etag')).not.toBe(first.headers.get('etag'));
  });

  it('never sends a Last-Modified later than Date, even for a file dated in the future', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(site.fx.site, 'future.txt'), 'from the future');
    const future = new Date(Date.now() + 86_400_000);
    await utimes(join(site.fx.site, 'future.txt'), future, future);
    const res = await fetch(url('/future.txt'));
    await res.arrayBuffer();
    const lastModified = Date.parse(res.headers.get('last-modified') ?? '');
    const date = Date.parse(res.headers.get('date') ?? '');
    expect(lastModified).toBeLessThanOrEqual(date);
  });

  it('sets Content-Type by extension', async () => {
    const types: Record<string, string> = {
      '/about.html': 'text/html; charset=utf-8',
      '/data.json': 'application/json',
      '/logo.svg': 'image/svg+xml; charset=utf-8',
      '/assets/app.1234abcd.js': 'text/javascript; charset=utf-8',
      '/blob.bin': 'application/octet-stream',
    };
    for (const [path, type] of Object.entries(types)) {
      const res = await fetch(url(path));
      await res.arrayBuffer();
      expect(res.headers.get('content-type'), path).toBe(type);
    }
  });

  it('serves index.html for a directory and redirects a directory without its trailing slash', async () => {
    const root = await fetch(url('/'));
    expect(await root.text()).toContain('<title>home</title>');
    const docs = await fetch(url('/docs/'));
    expect(await docs.text()).toContain('<title>docs</title>');
    const bare = await fetch(url('/docs?x=1'), { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/docs/?x=1');
  });

  it('answers 404 with a JSON body for a missing file, a file with a trailing slash and a dotfile', async () => {
    for (const path of ['/nope.html', '/about.html/', '/.env']) {
      const res = await fetch(url(path));
      expect(res.status, path).toBe(404);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = (await res.json()) as { error: string };
      expect(body.error).toBe('not_found');
    }
  });

  it('answers HEAD with the same headers as GET and no body', async () => {
    const get = await fetch(url('/blob.bin'));
    await get.arrayBuffer();
    const head = await fetch(url('/blob.bin'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    for (const name of ['etag', 'last-modified', 'content-type', 'content-length', 'cache-control', 'accept-ranges']) {
      expect(head.headers.get(name), name).toBe(get.headers.get(name));
    }
    expect(head.headers.get('content-length')).toBe('1000');
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it('answers 405 with Allow for other methods on static files', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const res = await fetch(url('/about.html'), { method, body: method === 'POST' || method === 'PUT' ? 'x' : undefined });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
      expect(((await res.json()) as { error: string }).error).toBe('method_not_allowed');
    }
  });
});

describe('Cache-Control rules', () => {
  it('applies the first matching rule, its Cache-Tag, and the default elsewhere', async () => {
    const cases: [string, string, string | null][] = [
      ['/assets/app.1234abcd.js', 'public, max-age=31536000, immutable', 'assets,static'],
      ['/about.html', 'public, max-age=60', 'html'],
      ['/nested/deep/page.html', 'public, max-age=60', 'html'],
      ['/', 'public, max-age=60', 'html'],
      ['/data.json', 'no-cache', null],
      ['/style.css', 'public, max-age=120', null],
    ];
    for (const [path, cc, tag] of cases) {
      const res = await fetch(url(path));
      await res.arrayBuffer();
      expect(res.headers.get('cache-control'), path).toBe(cc);
      expect(res.headers.get('cache-tag'), path).toBe(tag);
    }
  });

  it('uses the built-in defaults when no rules are given', async () => {
    const plain = await startOrigin({ port: 0, dir: site.fx.site, defaultMetrics: false });
    try {
      const asset = await fetch(`${plain.url}/assets/app.1234abcd.js`);
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(asset.headers.get('cache-tag')).toBe('assets');
      const page = await fetch(`${plain.url}/about.html`);
      expect(page.headers.get('cache-control')).toBe('public, max-age=60');
      const css = await fetch(`${plain.url}/style.css`);
      expect(css.headers.get('cache-control')).toBe('public, max-age=300');
      await Promise.all([asset.arrayBuffer(), page.arrayBuffer(), css.arrayBuffer()]);
    } finally {
      await plain.close();
    }
  });
});

describe('conditional requests (RFC 9110 §13)', () => {
  async function validators(path: string): Promise<{ etag: string; lastModified: string }> {
    const res = await fetch(url(path));
    await res.arrayBuffer();
    return { etag: res.headers.get('etag') ?? '', lastModified: res.headers.get('last-modified') ?? '' };
  }

  it('answers If-None-Match with 304, no body, and the validators and Cache-Control', async () => {
    const { etag } = await validators('/about.html');
    const res = await fetch(url('/about.html'), { headers: { 'if-none-match': etag } });
    expect(res.status).toBe(304);
    expect(await res.text()).toBe('');
    expect(res.headers.get('etag')).toBe(etag);
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    expect(res.headers.get('cache-tag')).toBe('html');
    expect(res.headers.get('last-modified')).toBe(MTIME.toUTCString());
  });

  it('uses weak comparison for If-None-Match, in a list, and for *', async () => {
    const { etag } = await validators('/about.html');
    for (const inm of [`W/${etag}`, `"other", ${etag}`, '*']) {
      const res = await fetch(url('/about.html'), { headers: { 'if-none-match': inm } });
      expect(res.status, inm).toBe(304);
    }
    const miss = await fetch(url('/about.html'), { headers: { 'if-none-match': '"something-else"' } });
    expect(miss.status).toBe(200);
    expect(await miss.text()).toContain('about');
  });

  it('answers If-None-Match on HEAD with 304', async () => {
    const { etag } = await validators('/style.css');
    const res = await fetch(url('/style.css'), { method: 'HEAD', headers: { 'if-none-match': etag } });
    expect(res.status).toBe(304);
  });

  it('answers If-Modified-Since with 304 when not modified and 200 when modified since', async () => {
    const same = await fetch(url('/style.css'), { headers: { 'if-modified-since': MTIME.toUTCString() } });
    expect(same.status).toBe(304);
    const later = await fetch(url('/style.css'), { headers: { 'if-modified-since': new Date(MTIME.getTime() + 60_000).toUTCString() } });
    expect(later.status).toBe(304);
    const earlier = await fetch(url('/style.css'), { headers: { 'if-modified-since': new Date(MTIME.getTime() - 1000).toUTCString() } });
    expect(earlier.status).toBe(200);
    expect(await earlier.text()).toBe('body { color: red }');
    const invalid = await fetch(url('/style.css'), { headers: { 'if-modified-since': 'yesterday-ish' } });
    expect(invalid.status).toBe(200);
    await invalid.arrayBuffer();
  });

  it('ignores If-Modified-Since when If-None-Match is present', async () => {
    const res = await fetch(url('/style.css'), {
      headers: { 'if-none-match': '"not-the-etag"', 'if-modified-since': MTIME.toUTCString() },
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  });

  it('answers a failed If-Match or If-Unmodified-Since with 412 and a JSON body', async () => {
    const { etag } = await validators('/style.css');
    const wrong = await fetch(url('/style.css'), { headers: { 'if-match': '"nope"' } });
    expect(wrong.status).toBe(412);
    expect(((await wrong.json()) as { error: string }).error).toBe('precondition_failed');
    // If-Match uses strong comparison: a weak tag never matches.
    const weak = await fetch(url('/style.css'), { headers: { 'if-match': `W/${etag}` } });
    expect(weak.status).toBe(412);
    await weak.arrayBuffer();
    const ok = await fetch(url('/style.css'), { headers: { 'if-match': etag } });
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
    const star = await fetch(url('/style.css'), { headers: { 'if-match': '*' } });
    expect(star.status).toBe(200);
    await star.arrayBuffer();
    const ius = await fetch(url('/style.css'), { headers: { 'if-unmodified-since': new Date(MTIME.getTime() - 1000).toUTCString() } });
    expect(ius.status).toBe(412);
    await ius.arrayBuffer();
    const iusOk = await fetch(url('/style.css'), { headers: { 'if-unmodified-since': MTIME.toUTCString() } });
    expect(iusOk.status).toBe(200);
    await iusOk.arrayBuffer();
  });
});

describe('Range requests (RFC 9110 §14)', () => {
  const slice = (start: number, end: number): Buffer => BINARY.subarray(start, end + 1);

  it('serves a single range as 206 with Content-Range', async () => {
    const res = await fetch(url('/blob.bin'), { headers: { range: 'bytes=10-19' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 10-19/1000');
    expect(res.headers.get('content-length')).toBe('10');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(slice(10, 19));
  });

  it('serves open-ended and suffix ranges, clamping past the end', async () => {
    const open = await fetch(url('/blob.bin'), { headers: { range: 'bytes=990-' } });
    expect(open.headers.get('content-range')).toBe('bytes 990-999/1000');
    expect(Buffer.from(await open.arrayBuffer())).toEqual(slice(990, 999));
    const suffix = await fetch(url('/blob.bin'), { headers: { range: 'bytes=-5' } });
    expect(suffix.status).toBe(206);
    expect(suffix.headers.get('content-range')).toBe('bytes 995-999/1000');
    expect(Buffer.from(await suffix.arrayBuffer())).toEqual(slice(995, 999));
    const past = await fetch(url('/blob.bin'), { headers: { range: 'bytes=900-5000' } });
    expect(past.headers.get('content-range')).toBe('bytes 900-999/1000');
    expect((await past.arrayBuffer()).byteLength).toBe(100);
  });

  it('serves several ranges as multipart/byteranges with an exact Content-Length', async () => {
    const res = await fetch(url('/blob.bin'), { headers: { range: 'bytes=0-3, 100-104,-2' } });
    expect(res.status).toBe(206);
    const type = res.headers.get('content-type') ?? '';
    const m = /^multipart\/byteranges; boundary=(\S+)$/.exec(type);
    expect(m).not.toBeNull();
    const boundary = m?.[1] ?? '';
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.headers.get('content-length')).toBe(String(body.length));
    const text = body.toString('latin1');
    const parts = text.split(`--${boundary}`);
    // preamble (empty), 3 parts, and the closing "--\r\n"
    expect(parts).toHaveLength(5);
    expect(parts[4]).toBe('--\r\n');
    const expected: [number, number][] = [
      [0, 3],
      [100, 104],
      [998, 999],
    ];
    expected.forEach(([start, end], i) => {
      const part = parts[i + 1] ?? '';
      const [head, data] = part.split('\r\n\r\n');
      expect(head).toContain('Content-Type: application/octet-stream');
      expect(head).toContain(`Content-Range: bytes ${start}-${end}/1000`);
      expect(Buffer.from((data ?? '').replace(/\r\n$/, ''), 'latin1')).toEqual(slice(start, end));
    });
  });

  it('merges overlapping ranges', async () => {
    const res = await fetch(url('/blob.bin'), { headers: { range: 'bytes=0-9,5-14' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 0-14/1000');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(slice(0, 14));
  });

  it('answers an unsatisfiable range with 416 and Content-Range bytes */length', async () => {
    for (const range of ['bytes=1000-', 'bytes=5000-6000', 'bytes=-0']) {
      const res = await fetch(url('/blob.bin'), { headers: { range } });
      expect(res.status, range).toBe(416);
      expect(res.headers.get('content-range')).toBe('bytes */1000');
      expect(((await res.json()) as { error: string }).error).toBe('range_not_satisfiable');
    }
    const empty = await fetch(url('/empty.txt'), { headers: { range: 'bytes=0-' } });
    expect(empty.status).toBe(416);
    expect(empty.headers.get('content-range')).toBe('bytes */0');
    await empty.arrayBuffer();
  });

  it('ignores malformed ranges, other units and HEAD, answering 200 with the whole body', async () => {
    for (const range of ['bytes=5-2', 'bytes=abc', 'items=0-1', 'bytes=']) {
      const res = await fetch(url('/blob.bin'), { headers: { range } });
      expect(res.status, range).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBe(1000);
    }
    const head = await fetch(url('/blob.bin'), { method: 'HEAD', headers: { range: 'bytes=0-1' } });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('1000');
  });

  it('honours If-Range only when it matches (strong ETag or exact date); otherwise sends 200', async () => {
    const full = await fetch(url('/blob.bin'));
    await full.arrayBuffer();
    const etag = full.headers.get('etag') ?? '';
    const match = await fetch(url('/blob.bin'), { headers: { range: 'bytes=0-1', 'if-range': etag } });
    expect(match.status).toBe(206);
    expect((await match.arrayBuffer()).byteLength).toBe(2);
    const byDate = await fetch(url('/blob.bin'), { headers: { range: 'bytes=0-1', 'if-range': MTIME.toUTCString() } });
    expect(byDate.status).toBe(206);
    await byDate.arrayBuffer();
    for (const ifRange of ['"stale-etag"', `W/${etag}`, new Date(MTIME.getTime() - 1000).toUTCString()]) {
      const res = await fetch(url('/blob.bin'), { headers: { range: 'bytes=0-1', 'if-range': ifRange } });
      expect(res.status, ifRange).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBe(1000);
    }
  });

  it('answers 304 before looking at Range when If-None-Match matches', async () => {
    const full = await fetch(url('/blob.bin'));
    await full.arrayBuffer();
    const res = await fetch(url('/blob.bin'), { headers: { range: 'bytes=0-1', 'if-none-match': full.headers.get('etag') ?? '' } });
    expect(res.status).toBe(304);
  });
});
