import { describe, expect, it } from 'vitest';
import { api, deploy, get, json, putFile, sha, unique } from './push-api-client';

describe('single-file push (PUT /_push/files/<path>)', () => {
  it('refuses a missing or wrong token with 401 and changes nothing', async () => {
    const path = `/only-push/${unique('auth')}.txt`;
    const none = await api('/files' + path, { method: 'PUT', body: 'x', headers: { authorization: '' } });
    expect(none.status).toBe(401);
    expect((await json(none)).error).toBe('unauthorized');
    const wrong = await api('/files' + path, { method: 'PUT', body: 'x', headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const del = await api('/files' + path, { method: 'DELETE', headers: { authorization: 'Bearer nope' } });
    expect(del.status).toBe(401);
    expect((await api('/deploys', { headers: { authorization: 'Basic eDp5' } })).status).toBe(401);
    expect((await get(path)).status).toBe(404);
  });

  it('serves a pushed file with its Content-Type, Cache-Control, ETag, Last-Modified and Cache-Status', async () => {
    const path = `/only-push/${unique('page')}.html`;
    const body = '<h1>pushed</h1>';
    const put = await putFile(path, body, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'public, max-age=300' });
    expect(put.status).toBe(201);
    expect(await json(put)).toMatchObject({ path, sha256: sha(body), size: body.length, created: true, changed: true });

    const first = await get(path);
    expect(first.status).toBe(200);
    expect(first.body).toBe(body);
    expect(first.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(first.headers.get('cache-control')).toBe('public, max-age=300');
    expect(first.headers.get('etag')).toBe(`"${sha(body)}"`);
    expect(Date.parse(first.headers.get('last-modified') ?? '')).toBeGreaterThan(Date.now() - 60_000);
    expect(first.headers.get('cache-status')).toMatch(/fwd=/);
    expect(first.headers.get('x-pushpull-expires-at')).toBeNull();

    const second = await get(path);
    expect(second.body).toBe(body);
    expect(second.headers.get('cache-status')).toMatch(/hit/);
  });

  it('answers HEAD, If-None-Match (304), If-Modified-Since (304) and Range (206, 416)', async () => {
    const path = `/only-push/${unique('ranges')}.txt`;
    const body = '0123456789abcdef';
    expect((await putFile(path, body, { 'content-type': 'text/plain' })).status).toBe(201);
    // identity: the runtime gzips text for clients that accept it, which drops Content-Length.
    const head = await get(path, { 'accept-encoding': 'identity' }, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers.get('etag')).toBe(`"${sha(body)}"`);
    const etag = head.headers.get('etag') ?? '';
    expect((await get(path, { 'if-none-match': etag })).status).toBe(304);
    expect((await get(path, { 'if-modified-since': head.headers.get('last-modified') ?? '' })).status).toBe(304);
    expect((await get(path, { 'if-none-match': '"other"' })).status).toBe(200);
    const range = await get(path, { range: 'bytes=4-7' });
    expect(range.status).toBe(206);
    expect(range.body).toBe('4567');
    expect(range.headers.get('content-range')).toBe('bytes 4-7/16');
    const suffix = await get(path, { range: 'bytes=-3' });
    expect(suffix.body).toBe('def');
    expect((await get(path, { range: 'bytes=99-' })).status).toBe(416);
  });

  it('answers HEAD, conditionals and Range from the push store itself (GET /_push/raw/<path>, no cache)', async () => {
    const path = `/only-push/${unique('raw')}.txt`;
    const body = 'abcdefghij';
    await putFile(path, body, { 'content-type': 'text/plain', 'cache-control': 'public, max-age=60' });
    const full = await api('/raw' + path, { headers: { 'accept-encoding': 'identity' } });
    expect(full.status).toBe(200);
    expect(full.headers.get('cache-status')).toBeNull();
    expect(full.headers.get('content-length')).toBe('10');
    expect(await full.text()).toBe(body);
    const etag = full.headers.get('etag') ?? '';
    const lm = full.headers.get('last-modified') ?? '';
    const r304 = await api('/raw' + path, { headers: { 'if-none-match': `W/${etag}` } });
    expect(r304.status).toBe(304);
    expect(r304.headers.get('etag')).toBe(etag);
    expect((await api('/raw' + path, { headers: { 'if-modified-since': lm } })).status).toBe(304);
    const part = await api('/raw' + path, { headers: { range: 'bytes=2-4' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 2-4/10');
    expect(await part.text()).toBe('cde');
    const stale = await api('/raw' + path, { headers: { range: 'bytes=2-4', 'if-range': '"old"' } });
    expect(stale.status).toBe(200);
    expect(await stale.text()).toBe(body);
    const kept = await api('/raw' + path, { headers: { range: 'bytes=-2', 'if-range': etag } });
    expect(await kept.text()).toBe('ij');
    expect((await api('/raw' + path, { headers: { range: 'bytes=10-' } })).status).toBe(416);
    const head = await api('/raw' + path, { method: 'HEAD', headers: { range: 'bytes=0-1', 'accept-encoding': 'identity' } });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('10');
    expect((await api('/raw/only-push/never-pushed.txt')).status).toBe(404);
  });

  it('refuses bad paths and headers on a single-file PUT with 400, storing nothing', async () => {
    const cases: Array<[string, Record<string, string>, string]> = [
      ['/files/a%2F..%2Fsecret.txt', {}, 'invalid_path'],
      ['/files/a/%2E%2E%2Fb.txt', {}, 'invalid_path'],
      ['/files/bad%01name.txt', {}, 'invalid_path'],
      ['/files/bad%E0%A4%A.txt', {}, 'invalid_path'],
      ['/files/' + 'p'.repeat(64) + '/' + 'q'.repeat(64) + '/' + 'r'.repeat(64) + '/sssss', {}, 'path_too_long'], // 201 bytes
      ['/files/' + 'n'.repeat(65), {}, 'name_too_long'],
      ['/files/ok.txt', { 'cache-control': 'x'.repeat(101) }, 'header_too_long'],
    ];
    for (const [p, headers, expected] of cases) {
      const res = await api(p, { method: 'PUT', body: 'never stored', headers });
      const body = await json<{ error: string }>(res);
      expect(res.status, `${p} ${JSON.stringify(body)}`).toBe(400);
      expect(body.error).toBe(expected);
    }
    // Exactly at the limits: a 200-byte path with 64-byte names, a 100-byte header.
    const atEdge = '/' + 'p'.repeat(64) + '/' + 'q'.repeat(64) + '/' + 'r'.repeat(64) + '/ssss';
    expect(new TextEncoder().encode(atEdge).length).toBe(200);
    expect((await putFile(atEdge, 'at the edge', { 'cache-control': 'x'.repeat(100) })).status).toBe(201);
    expect((await api('/files/ok.txt')).status).toBe(404);
    const uploaded = await api('/uploads', { method: 'POST', body: JSON.stringify({ sha256: sha('never stored'), size: 12 }) });
    expect((await json<{ exists: boolean }>(uploaded)).exists).toBe(false);
  });

  it('serves the new version at once after a re-push, though the old one was cached', async () => {
    const path = `/only-push/${unique('repush')}.txt`;
    await putFile(path, 'version one', { 'cache-control': 'public, max-age=3600' });
    expect((await get(path)).body).toBe('version one');
    expect((await get(path)).headers.get('cache-status')).toMatch(/hit/);
    const again = await putFile(path, 'version two', { 'cache-control': 'public, max-age=3600' });
    expect(again.status).toBe(201);
    expect((await get(path)).body).toBe('version two');
  });

  it('pushes and serves an empty file, as a single file and as a blob', async () => {
    const path = `/only-push/${unique('empty')}.txt`;
    const put = await putFile(path, '', { 'x-content-sha256': sha('') });
    expect(put.status).toBe(201);
    const served = await get(path);
    expect(served.status).toBe(200);
    expect(served.body).toBe('');
    expect(served.headers.get('etag')).toBe(`"${sha('')}"`);
    const blob = await api('/blobs/' + sha(''), { method: 'PUT', body: '' });
    expect(blob.status).toBe(200);
  });

  it('re-pushing identical content and headers changes nothing (200, no new deploy)', async () => {
    const path = `/only-push/${unique('same')}.txt`;
    expect((await putFile(path, 'same', { 'content-type': 'text/plain' })).status).toBe(201);
    const again = await putFile(path, 'same', { 'content-type': 'text/plain' });
    expect(again.status).toBe(200);
    expect(await json(again)).toMatchObject({ changed: false, created: false, deployId: null });
  });

  it('refuses an X-Content-SHA256 mismatch with 400 and stores nothing', async () => {
    const path = `/only-push/${unique('sum')}.txt`;
    const bad = await putFile(path, 'real bytes', { 'x-content-sha256': sha('other bytes') });
    expect(bad.status).toBe(400);
    expect(await json(bad)).toMatchObject({ error: 'checksum_mismatch' });
    expect((await get(path)).status).toBe(404);
    expect((await api('/files' + path)).status).toBe(404);
    // The claimed content was not stored under that hash either.
    const created = await api('/deploys', {
      method: 'POST',
      body: JSON.stringify({ '/probe.txt': { sha256: sha('other bytes'), size: 11, contentType: 'text/plain' } }),
    });
    expect((await json<{ missing: string[] }>(created)).missing).toEqual([sha('other bytes')]);
    const good = await putFile(path, 'real bytes', { 'x-content-sha256': sha('real bytes').toUpperCase() });
    expect(good.status).toBe(201);
    expect((await get(path)).body).toBe('real bytes');
    const malformed = await putFile(path, 'real bytes', { 'x-content-sha256': 'abc' });
    expect(malformed.status).toBe(400);
    expect((await json(malformed)).error).toBe('invalid_sha256');
  });

  it('refuses re-sending stored content under a wrong X-Content-SHA256', async () => {
    const path = `/only-push/${unique('sum2')}.txt`;
    await putFile(path, 'stored once');
    const bad = await putFile(path + '.copy', 'different', { 'x-content-sha256': sha('stored once') });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toBe('checksum_mismatch');
    expect((await get(path + '.copy')).status).toBe(404);
  });

  it('DELETE stops serving a path at once; a second DELETE is 404', async () => {
    const path = `/only-push/${unique('del')}.txt`;
    await putFile(path, 'to delete', { 'cache-control': 'public, max-age=3600' });
    expect((await get(path)).body).toBe('to delete');
    const del = await api('/files' + path, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect((await get(path)).status).toBe(404);
    const again = await api('/files' + path, { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect((await json(again)).error).toBe('not_found');
  });

  it('lists files by prefix with a cursor', async () => {
    const dir = `/only-push/${unique('list')}/`;
    for (const name of ['a.txt', 'b.txt', 'c.txt']) await putFile(dir + name, name);
    const page1 = await json<{ files: Array<{ path: string; sha256: string }>; cursor: string | null }>(
      await api(`/files?prefix=${encodeURIComponent(dir)}&limit=2`),
    );
    expect(page1.files.map((f) => f.path)).toEqual([dir + 'a.txt', dir + 'b.txt']);
    expect(page1.files[0].sha256).toBe(sha('a.txt'));
    expect(page1.cursor).toBe(dir + 'b.txt');
    const page2 = await json<{ files: Array<{ path: string }>; cursor: string | null }>(
      await api(`/files?prefix=${encodeURIComponent(dir)}&limit=2&cursor=${encodeURIComponent(page1.cursor ?? '')}`),
    );
    expect(page2.files.map((f) => f.path)).toEqual([dir + 'c.txt']);
    expect(page2.cursor).toBeNull();
    expect((await api('/files?limit=0')).status).toBe(400);
  });

  it('keeps every one of many concurrent single-file pushes', async () => {
    const dir = `/only-push/${unique('race')}/`;
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => putFile(`${dir}${i}.txt`, `file ${i}`)));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(201));
    for (let i = 0; i < 8; i++) expect((await get(`${dir}${i}.txt`)).body).toBe(`file ${i}`);
  });
});

describe('expiry', () => {
  it('stops serving a file after its X-TTL, and says when in X-Expires-At style headers', async () => {
    const path = `/only-push/${unique('ttl')}.txt`;
    const put = await putFile(path, 'short-lived', { 'x-ttl': '2', 'cache-control': 'public, max-age=3600' });
    expect(put.status).toBe(201);
    const { expiresAt } = await json<{ expiresAt: number }>(put);
    const served = await get(path);
    expect(served.body).toBe('short-lived');
    expect(served.headers.get('x-pushpull-expires-at')).toBeNull(); // internal header is stripped
    expect(Date.parse(served.headers.get('expires') ?? '')).toBe(Math.floor(expiresAt / 1000) * 1000);
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 300));
    expect((await get(path)).status).toBe(404);
    const listed = await json<{ expired: boolean }>(await api('/files' + path));
    expect(listed.expired).toBe(true);
  });

  it('takes X-Expires-At as a date or Unix time and refuses past, malformed or double expiry', async () => {
    const path = `/only-push/${unique('exp')}.txt`;
    const at = new Date(Date.now() + 3_600_000);
    const ok = await putFile(path, 'x', { 'x-expires-at': at.toUTCString() });
    expect(ok.status).toBe(201);
    expect((await json<{ expiresAt: number }>(ok)).expiresAt).toBe(Math.floor(at.getTime() / 1000) * 1000);
    const unix = await putFile(path, 'y', { 'x-expires-at': String(Math.floor(at.getTime() / 1000)) });
    expect((await json<{ expiresAt: number }>(unix)).expiresAt).toBe(Math.floor(at.getTime() / 1000) * 1000);
    for (const [headers, code] of [
      [{ 'x-expires-at': new Date(Date.now() - 1000).toISOString() }, 'already_expired'],
      [{ 'x-expires-at': 'tomorrow-ish' }, 'invalid_expiry'],
      [{ 'x-ttl': '-5' }, 'invalid_expiry'],
      [{ 'x-ttl': '10', 'x-expires-at': at.toISOString() }, 'invalid_expiry'],
    ] as const) {
      const res = await putFile(path, 'z', headers);
      expect(res.status).toBe(400);
      expect((await json(res)).error).toBe(code);
    }
    expect((await get(path)).body).toBe('y');
  });
});

describe('one cached URL per pushed file (RFC 3986 §6.2.2)', () => {
  const cached = { 'cache-control': 'public, max-age=3600' };

  it('serves the new version after an activation under every spelling of a path, names with ?, # and % included', async () => {
    const dir = `/only-push/${unique('spell')}`;
    // Each pushed name, and the spellings of its URL a client may ask for.
    const spellings: Record<string, string[]> = {
      [`${dir}/what?.txt`]: [`${dir}/what%3F.txt`, `${dir}/what%3f.txt`],
      [`${dir}/a#b.txt`]: [`${dir}/a%23b.txt`],
      [`${dir}/100%.txt`]: [`${dir}/100%25.txt`, `${dir}/100%.txt`],
      [`${dir}/stale.txt`]: [`${dir}/stale.txt`, `${dir}/%73tale.txt`, `${dir}/st%61le.txt`],
      [`${dir}/cafés.txt`]: [`${dir}/caf%C3%A9s.txt`, `${dir}/caf%c3%a9s.txt`],
      [`${dir}/dir/index.html`]: [`${dir}/dir/`, `${dir}/dir/index.html`, `${dir}/dir/index%2Ehtml`, `${dir}/%64ir/`],
    };
    const version = (v: string): Record<string, string> => Object.fromEntries(Object.keys(spellings).map((name) => [name, `${v} ${name}`]));
    const extra = Object.fromEntries(Object.keys(spellings).map((name) => [name, { cacheControl: cached['cache-control'] }]));
    await deploy(version('one'), extra);
    for (const [name, urls] of Object.entries(spellings)) {
      for (const url of urls) {
        const got = await get(url);
        expect([url, got.status, got.body]).toEqual([url, 200, `one ${name}`]);
      }
      expect([urls[0], (await get(urls[0])).headers.get('cache-status')]).toEqual([urls[0], expect.stringMatching(/hit/)]);
    }
    await deploy(version('two'), extra);
    for (const [name, urls] of Object.entries(spellings)) {
      for (const url of urls) {
        const got = await get(url);
        expect([url, got.status, got.body]).toEqual([url, 200, `two ${name}`]);
      }
    }
  });

  it('does not serve a file under a URL with one of its reserved characters percent-encoded (another resource)', async () => {
    const dir = `/only-push/${unique('reserved')}`;
    await deploy(
      { [`${dir}/a+b.txt`]: 'plus', [`${dir}/sub/c.txt`]: 'nested' },
      { [`${dir}/a+b.txt`]: { cacheControl: cached['cache-control'] } },
    );
    expect((await get(`${dir}/a+b.txt`)).body).toBe('plus');
    expect((await get(`${dir}/a%2Bb.txt`)).status).toBe(404);
    expect((await get(`${dir}/sub%2Fc.txt`)).status).toBe(404);
    expect((await get(`${dir}/sub/c.txt`)).body).toBe('nested');
  });
});
