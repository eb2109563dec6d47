import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pushDir, PushError, rollback } from '../../cli/push-client';
import { binPath } from '../../cli/build.mjs';
import { root, TOKEN } from './edge';
import { activeId, api, edge, get, sha, unique } from './push-api-client';

/** The URL a fetch was called with. */
const requestUrl = (input: string | URL | Request): string => (input instanceof Request ? input.url : input.toString());

const dirs: string[] = [];
function folder(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pushpull-client-'));
  dirs.push(dir);
  for (const [rel, body] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), body);
  }
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Real fetch, counting the requests and request-body bytes that reach the edge. */
function countingFetch(): { fetch: typeof fetch; requests: string[]; bodyBytes: () => number } {
  const requests: string[] = [];
  let bytes = 0;
  return {
    requests,
    bodyBytes: () => bytes,
    fetch: async (input, init) => {
      requests.push(`${init?.method ?? 'GET'} ${new URL(requestUrl(input)).pathname}`);
      const b = init?.body;
      if (b instanceof Uint8Array) bytes += b.byteLength;
      else if (typeof b === 'string') bytes += Buffer.byteLength(b);
      return fetch(input, init);
    },
  };
}

describe('push client (cli/push-client.ts) against the edge over HTTP', () => {
  it('re-pushing an unchanged 1,000-file folder uploads 0 bytes in 2 requests; changing 1 file uploads exactly that blob', async () => {
    const tag = unique('thousand');
    const files: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) files[`${tag}/d${i % 10}/f${i}.txt`] = `file ${i} of ${tag}\n`.repeat(20);
    const dir = folder(files);

    const first = countingFetch();
    const s1 = await pushDir({ dir, edgeUrl: edge(), token: TOKEN, fetch: first.fetch, concurrency: 6 });
    expect(s1).toMatchObject({ files: 1000, new: 1000, unchanged: 0, activated: true });
    expect(s1.bytesUploaded).toBe(Object.values(files).reduce((n, t) => n + Buffer.byteLength(t), 0));
    expect(first.requests.filter((r) => r.startsWith('PUT /_push/blobs/'))).toHaveLength(1000);
    expect((await get(`/${tag}/d7/f517.txt`)).body).toBe(files[`${tag}/d7/f517.txt`]);

    const again = countingFetch();
    const s2 = await pushDir({ dir, edgeUrl: edge(), token: TOKEN, fetch: again.fetch });
    expect(s2).toMatchObject({ files: 1000, new: 0, unchanged: 1000, bytesUploaded: 0, requests: 2 });
    expect(again.requests).toEqual(['POST /_push/deploys', `POST /_push/deploys/${s2.deployId}/activate`]);

    const changed = `changed ${tag}`;
    writeFileSync(join(dir, `${tag}/d3/f3.txt`), changed);
    const one = countingFetch();
    const s3 = await pushDir({ dir, edgeUrl: edge(), token: TOKEN, fetch: one.fetch });
    expect(s3).toMatchObject({ new: 1, unchanged: 999, bytesUploaded: changed.length, requests: 3 });
    expect(one.requests[1]).toBe(`PUT /_push/blobs/${sha(changed)}`);
    expect((await get(`/${tag}/d3/f3.txt`)).body).toBe(changed);

    // Rollback restores the previous content at every path.
    await rollback({ edgeUrl: edge(), token: TOKEN });
    expect(await activeId()).toBe(s2.deployId);
    expect((await get(`/${tag}/d3/f3.txt`)).body).toBe(files[`${tag}/d3/f3.txt`]);
  });

  it('honours .pushignore and rewrites absolute URLs in HTML and CSS before hashing', async () => {
    const tag = unique('ignore');
    const html =
      '<a href="https://origin.example/about.html">x</a> <img src="https://origin.example/logo.svg"> see https://origin.example.org';
    const css = 'body{background:url(https://origin.example/bg.png)} a{b:url("https://origin.example/c.png")}';
    const dir = folder({
      '.pushignore': '# drafts and secrets\n*.draft\nprivate/\n/top-only.txt\n!keep.draft\n',
      [`${tag}/index.html`]: html,
      [`${tag}/site.css`]: css,
      [`${tag}/post.draft`]: 'draft',
      [`${tag}/keep.draft`]: 'kept draft',
      [`${tag}/private/key.txt`]: 'secret',
      'top-only.txt': 'ignored at the root',
      [`${tag}/top-only.txt`]: 'not ignored below',
      [`${tag}/raw.txt`]: 'https://origin.example/untouched',
    });
    const s = await pushDir({
      dir,
      edgeUrl: edge(),
      token: TOKEN,
      rewrite: [{ from: 'https://origin.example/', to: 'https://cdn.example/' }],
    });
    expect(s.files).toBe(5);
    const served = await get(`/${tag}/index.html`);
    expect(served.body).toBe(html.replaceAll('"https://origin.example/', '"https://cdn.example/'));
    expect(served.headers.get('content-type')).toMatch(/^text\/html/);
    expect(served.headers.get('etag')).toBe(`"${sha(served.body)}"`);
    expect((await get(`/${tag}/site.css`)).body).toBe(
      'body{background:url(https://cdn.example/bg.png)} a{b:url("https://cdn.example/c.png")}',
    );
    expect((await get(`/${tag}/raw.txt`)).body).toBe('https://origin.example/untouched');
    expect((await get(`/${tag}/keep.draft`)).body).toBe('kept draft');
    expect((await get(`/${tag}/top-only.txt`)).status).toBe(200);
    for (const p of [`/${tag}/post.draft`, `/${tag}/private/key.txt`, '/top-only.txt', '/.pushignore']) {
      expect((await api('/files' + p)).status, p).toBe(404);
    }
  });

  it('retries transient failures with backoff; a failed run leaves the active deploy untouched and is resumed by the next', async () => {
    const tag = unique('fail');
    const dir = folder({ [`${tag}/a.txt`]: `a ${tag}`, [`${tag}/b.txt`]: `b ${tag}` });
    let failures = 2;
    const flaky: typeof fetch = async (input, init) => {
      if (requestUrl(input).includes('/_push/blobs/') && failures-- > 0) return new Response('upstream hiccup', { status: 503 });
      return fetch(input, init);
    };
    const ok = await pushDir({ dir, edgeUrl: edge(), token: TOKEN, fetch: flaky, backoffMs: 10 });
    expect(ok.new).toBe(2);
    expect(ok.requests).toBe(1 + 2 + 2 + 1);

    const before = await activeId();
    writeFileSync(join(dir, `${tag}/a.txt`), `a2 ${tag}`);
    const broken: typeof fetch = async (input, init) => {
      if (requestUrl(input).includes('/_push/blobs/')) throw new TypeError('fetch failed');
      return fetch(input, init);
    };
    const err = await pushDir({ dir, edgeUrl: edge(), token: TOKEN, fetch: broken, retries: 2, backoffMs: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PushError);
    expect((err as Error).message).toMatch(/uploading \/.*a\.txt: gave up after 3 attempts/);
    expect(await activeId()).toBe(before);
    expect((await get(`/${tag}/a.txt`)).body).toBe(`a ${tag}`);

    // Resuming: a second file uploaded fine in a run where another failed; the re-run sends only the failed one.
    writeFileSync(join(dir, `${tag}/c.txt`), `c ${tag}`);
    const onlyA: typeof fetch = async (input, init) => {
      if (requestUrl(input).includes(`/_push/blobs/${sha(`a2 ${tag}`)}`)) throw new TypeError('fetch failed');
      return fetch(input, init);
    };
    await expect(pushDir({ dir, edgeUrl: edge(), token: TOKEN, fetch: onlyA, retries: 1, backoffMs: 5, concurrency: 2 })).rejects.toThrow(
      /a\.txt/,
    );
    expect(await activeId()).toBe(before);
    const resumed = countingFetch();
    const done = await pushDir({ dir, edgeUrl: edge(), token: TOKEN, fetch: resumed.fetch });
    expect(done).toMatchObject({ new: 1, bytesUploaded: `a2 ${tag}`.length });
    expect(resumed.requests.filter((r) => r.startsWith('PUT'))).toEqual([`PUT /_push/blobs/${sha(`a2 ${tag}`)}`]);
    expect((await get(`/${tag}/a.txt`)).body).toBe(`a2 ${tag}`);
    expect((await get(`/${tag}/c.txt`)).body).toBe(`c ${tag}`);
    const current = await activeId();

    const denied = await pushDir({ dir, edgeUrl: edge(), token: 'wrong' }).catch((e: unknown) => e);
    expect((denied as Error).message).toMatch(/401 unauthorized/);
    expect(await activeId()).toBe(current);
  });

  it('sends files larger than a part through multipart', async () => {
    const tag = unique('multi');
    const big = new Uint8Array(5 * 1024 * 1024 + 4096);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) % 256;
    const dir = folder({ [`${tag}/big.bin`]: big, [`${tag}/small.txt`]: 'small' });
    const counter = countingFetch();
    const s = await pushDir({ dir, edgeUrl: edge(), token: TOKEN, fetch: counter.fetch });
    expect(s.new).toBe(2);
    expect(counter.requests.filter((r) => r.includes('/parts/'))).toHaveLength(2);
    const res = await fetch(`${edge()}/${tag}/big.bin`);
    expect(sha(new Uint8Array(await res.arrayBuffer()))).toBe(sha(big));
  });
});

function cli(args: string[], token = TOKEN): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(binPath, args, {
      cwd: root,
      env: { ...process.env, PUSHPULL_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', (err) => resolve({ code: -1, stdout, stderr: `${stderr}${err.message}` }));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('pushpull CLI (the compiled bin, cli/dist/pushpull.mjs)', () => {
  it('push, deploys, ls and rollback; non-zero exit naming the failure', async () => {
    const tag = unique('cli');
    const dir = folder({ [`${tag}/index.html`]: '<p>one</p>', [`${tag}/app.js`]: 'console.log(1)' });
    const pushed = await cli(['push', dir, '--to', edge(), '--json', '--cache-control', 'public, max-age=60']);
    expect(pushed.code, pushed.stderr).toBe(0);
    const summary = JSON.parse(pushed.stdout) as { deployId: string; files: number; new: number };
    expect(summary).toMatchObject({ files: 2, new: 2 });
    const page = await get(`/${tag}/`);
    expect(page.body).toBe('<p>one</p>');
    expect(page.headers.get('cache-control')).toBe('public, max-age=60');
    expect(page.headers.get('cache-status')).toBeTruthy();

    writeFileSync(join(dir, `${tag}/index.html`), '<p>two</p>');
    const text = await cli(['push', dir, '--to', edge()]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/2 files, 1 new, 1 unchanged, 10 B uploaded in 3 requests/);
    expect((await get(`/${tag}/`)).body).toBe('<p>two</p>');

    const ls = await cli(['ls', `/${tag}/`, '--to', edge()]);
    expect(ls.stdout).toContain(`/${tag}/app.js  14  text/javascript`);
    const deploys = await cli(['deploys', '--to', edge(), '--json']);
    expect((JSON.parse(deploys.stdout) as { deploys: Array<{ id: string }> }).deploys.map((d) => d.id)).toContain(summary.deployId);

    const back = await cli(['rollback', summary.deployId, '--to', edge()]);
    expect(back.code).toBe(0);
    expect(back.stdout).toContain(`active: ${summary.deployId}`);
    expect((await get(`/${tag}/`)).body).toBe('<p>one</p>');

    const denied = await cli(['push', dir, '--to', edge()], 'wrong-token');
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/push failed: POST \/_push\/deploys: 401 unauthorized/);
    const usage = await cli(['push', '--to', edge()]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/push needs a folder/);
    const badRewrite = await cli(['push', dir, '--to', edge(), '--rewrite', 'nonsense']);
    expect(badRewrite.code).toBe(1);
    expect(badRewrite.stderr).toMatch(/--rewrite expects/);
  });
});
