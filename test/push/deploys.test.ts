import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { TOKEN } from './edge';
import { activeId, api, deploy, edge, entry, get, json, originUrl, putFile, sha, unique } from './push-api-client';

interface Created {
  id: string;
  missing: string[];
  files: number;
  bytes: number;
  limits: { maxBodyBytes: number; partBytes: number };
}

async function create(manifest: Record<string, unknown>): Promise<Response> {
  return api('/deploys', { method: 'POST', body: JSON.stringify(manifest), headers: { 'content-type': 'application/json' } });
}

/** Sends a PUT's headers (with `Content-Length: length`) but no body, and reads the answer. */
function announceOnly(path: string, length: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      edge() + path,
      { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}`, 'content-length': String(length) } },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
          req.destroy();
        });
      },
    );
    req.on('error', reject);
    req.flushHeaders();
  });
}

describe('whole-site deploys', () => {
  it('answers which hashes are missing, takes only those, and switches every path at once', async () => {
    const tag = unique('site');
    const files = {
      [`/${tag}/index.html`]: `<p>${tag}</p>`,
      [`/${tag}/a.css`]: `a{} /*${tag}*/`,
      [`/${tag}/same.txt`]: `dup ${tag}`,
      [`/${tag}/same2.txt`]: `dup ${tag}`,
    };
    const manifest = Object.fromEntries(Object.entries(files).map(([p, t]) => [p, entry(t)]));
    const created = await create(manifest);
    expect(created.status).toBe(201);
    const body = await json<Created>(created);
    expect(body.files).toBe(4);
    expect(body.missing.sort()).toEqual([...new Set(Object.values(files).map(sha))].sort());
    // Not visible before activation.
    expect((await get(`/${tag}/a.css`)).status).not.toBe(200);
    for (const h of body.missing) {
      const text = Object.values(files).find((t) => sha(t) === h) ?? '';
      expect((await api('/blobs/' + h, { method: 'PUT', body: text })).status).toBe(201);
    }
    // Already stored content is accepted again without a second copy.
    expect((await api('/blobs/' + sha(files[`/${tag}/a.css`]), { method: 'PUT', body: files[`/${tag}/a.css`] })).status).toBe(200);
    const act = await api(`/deploys/${body.id}/activate`, { method: 'POST' });
    expect(act.status).toBe(200);
    expect(await activeId()).toBe(body.id);
    expect((await get(`/${tag}/`)).body).toBe(files[`/${tag}/index.html`]);
    expect((await get(`/${tag}/same2.txt`)).body).toBe(`dup ${tag}`);

    // A second deploy of the same content needs no upload; paths absent from it stop being served.
    const again = await json<Created>(await create({ [`/${tag}/a.css`]: manifest[`/${tag}/a.css`] }));
    expect(again.missing).toEqual([]);
    expect((await api(`/deploys/${again.id}/activate`, { method: 'POST' })).status).toBe(200);
    expect((await get(`/${tag}/a.css`)).body).toBe(files[`/${tag}/a.css`]);
    expect((await get(`/${tag}/same.txt`)).status).toBe(404);
  });

  it('never shows an interrupted deploy, and resumes it', async () => {
    const tag = unique('resume');
    await deploy({ [`/${tag}/v.txt`]: 'old' });
    const files = { [`/${tag}/v.txt`]: `new ${tag}`, [`/${tag}/w.txt`]: `other ${tag}` };
    const created = await json<Created>(await create(Object.fromEntries(Object.entries(files).map(([p, t]) => [p, entry(t)]))));
    expect(created.missing).toHaveLength(2);
    await api('/blobs/' + sha(files[`/${tag}/v.txt`]), { method: 'PUT', body: files[`/${tag}/v.txt`] });
    // The client "crashed" here: the old site is whole and still served.
    expect((await get(`/${tag}/v.txt`)).body).toBe('old');
    const early = await api(`/deploys/${created.id}/activate`, { method: 'POST' });
    expect(early.status).toBe(400);
    expect(await json(early)).toMatchObject({ error: 'unknown_blobs', missing: [sha(files[`/${tag}/w.txt`])] });
    expect((await get(`/${tag}/v.txt`)).body).toBe('old');
    const status = await json<{ missing: string[]; active: boolean }>(await api(`/deploys/${created.id}`));
    expect(status).toMatchObject({ missing: [sha(files[`/${tag}/w.txt`])], active: false });
    await api('/blobs/' + sha(files[`/${tag}/w.txt`]), { method: 'PUT', body: files[`/${tag}/w.txt`] });
    expect((await api(`/deploys/${created.id}/activate`, { method: 'POST' })).status).toBe(200);
    expect((await get(`/${tag}/v.txt`)).body).toBe(`new ${tag}`);
    expect((await get(`/${tag}/w.txt`)).body).toBe(`other ${tag}`);
  });

  it('rolls back: activating an older deploy restores the previous content at every path', async () => {
    const tag = unique('rollback');
    const v1 = { [`/${tag}/a.txt`]: 'a1', [`/${tag}/b.txt`]: 'b1', [`/${tag}/only-v1.txt`]: 'gone in v2' };
    const v2 = { [`/${tag}/a.txt`]: 'a2', [`/${tag}/b.txt`]: 'b2', [`/${tag}/only-v2.txt`]: 'new in v2' };
    const id1 = await deploy(v1, { [`/${tag}/a.txt`]: { cacheControl: 'public, max-age=3600' } });
    for (const [p, t] of Object.entries(v1)) expect((await get(p)).body).toBe(t);
    const id2 = await deploy(v2);
    for (const [p, t] of Object.entries(v2)) expect((await get(p)).body).toBe(t);
    expect((await get(`/${tag}/only-v1.txt`)).status).toBe(404);
    const back = await api(`/deploys/${id1}/activate`, { method: 'POST' });
    expect(await json(back)).toMatchObject({ active: id1, previous: id2 });
    for (const [p, t] of Object.entries(v1)) expect((await get(p)).body).toBe(t);
    expect((await get(`/${tag}/only-v2.txt`)).status).toBe(404);
    const listing = await json<{ active: string; deploys: Array<{ id: string; status: string }> }>(await api('/deploys'));
    expect(listing.active).toBe(id1);
    expect(listing.deploys.find((d) => d.id === id2)?.status).toBe('inactive');
  });

  it('two racing deploys: each stays whole and the last activation wins', async () => {
    const tag = unique('racing');
    const paths = Array.from({ length: 6 }, (_, i) => `/${tag}/${i}.txt`);
    const make = async (label: string): Promise<string> => {
      const files = Object.fromEntries(paths.map((p) => [p, `${label} ${p}`]));
      const created = await json<Created>(await create(Object.fromEntries(Object.entries(files).map(([p, t]) => [p, entry(t)]))));
      await Promise.all(
        created.missing.map((h) => api('/blobs/' + h, { method: 'PUT', body: Object.values(files).find((t) => sha(t) === h) })),
      );
      return created.id;
    };
    const [a, b] = await Promise.all([make('A'), make('B')]);
    const both = await Promise.all([a, b].map((id) => api(`/deploys/${id}/activate`, { method: 'POST' })));
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    const winner = await activeId();
    const label = winner === a ? 'A' : 'B';
    expect([a, b]).toContain(winner);
    for (const p of paths) expect((await get(p)).body).toBe(`${label} ${p}`);
    // Sequential: the later activation is the one served.
    const loser = winner === a ? b : a;
    await api(`/deploys/${loser}/activate`, { method: 'POST' });
    const other = label === 'A' ? 'B' : 'A';
    for (const p of paths) expect((await get(p)).body).toBe(`${other} ${p}`);
  });

  it('refuses bad manifests with 400 naming the problem, storing nothing', async () => {
    const before = await activeId();
    const cases: Array<[unknown, string, RegExp]> = [
      [[1, 2], 'invalid_manifest', /JSON object/],
      [{ '/a/../b.txt': entry('x') }, 'invalid_path', /"\.\."/],
      [{ '/a/./b.txt': entry('x') }, 'invalid_path', /"\."/],
      [{ '/a\u0001.txt': entry('x') }, 'invalid_path', /control character/],
      [{ '/dir/': entry('x') }, 'invalid_path', /empty segment/],
      [{ ['/' + 'p'.repeat(200)]: entry('x') }, 'path_too_long', /PUSH_MAX_PATH_BYTES \(200\)/],
      [{ ['/' + 'n'.repeat(65)]: entry('x') }, 'name_too_long', /PUSH_MAX_NAME_BYTES \(64\)/],
      [{ '/x.txt': { ...entry('x'), sha256: 'zz' } }, 'invalid_manifest', /\/x\.txt: sha256/],
      [{ '/x.txt': { ...entry('x'), size: -1 } }, 'invalid_manifest', /\/x\.txt: size/],
      [{ '/x.txt': { ...entry('x'), expiresAt: Date.now() - 1000 } }, 'invalid_manifest', /in the past/],
      [{ '/x.txt': { ...entry('x'), cacheControl: 'x'.repeat(101) } }, 'header_too_long', /PUSH_MAX_HEADER_BYTES \(100\)/],
      [{ '/x.txt': { ...entry('x'), colour: 'red' } }, 'invalid_manifest', /unknown field "colour"/],
      [{ '/x.txt': entry('x'), 'x.txt': entry('x') }, 'invalid_manifest', /listed twice/],
      [Object.fromEntries(Array.from({ length: 1501 }, (_, i) => [`/f${i}`, entry('x')])), 'too_many_files', /PUSH_MAX_FILES \(1500\)/],
    ];
    for (const [manifest, code, message] of cases) {
      const res = await create(manifest as Record<string, unknown>);
      const body = await json<{ error: string; message: string }>(res);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(body.error).toBe(code);
      expect(body.message).toMatch(message);
    }
    const bad = await api('/deploys', { method: 'POST', body: '{not json' });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toBe('invalid_json');
    // At the limits: exactly 200 path bytes, a 64-byte name and 1500 files are accepted.
    const atEdge = await create({ ['/' + 'a'.repeat(64) + '/' + 'b'.repeat(64) + '/' + 'c'.repeat(64) + '/dddd']: entry('x') });
    expect(atEdge.status).toBe(201);
    const many = await create(Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`/f${i}`, entry('x')])));
    expect(many.status).toBe(201);
    expect(await activeId()).toBe(before);
    expect((await api('/deploys/not-an-id/activate', { method: 'POST' })).status).toBe(400);
    expect((await api('/deploys/d000000000-00000000/activate', { method: 'POST' })).status).toBe(404);
  });

  it('refuses a path listed twice as the same JSON key (which JSON.parse would silently keep once)', async () => {
    const before = await activeId();
    const one = JSON.stringify(entry('first'));
    const two = JSON.stringify(entry('second'));
    const keyLike = JSON.stringify(entry('o', { contentType: 'text/x-"/dup.txt", {' }));
    for (const text of [
      `{"/dup.txt": ${one}, "/dup.txt": ${two}}`,
      `{"/dup.txt": ${one}, "/other.txt": ${keyLike}, "\\u002fdup.txt": ${two}}`,
      `{"/a.txt": ${one}, "/dup.txt": ${one}, "dup.txt": ${two}}`,
    ]) {
      const res = await api('/deploys', { method: 'POST', body: text, headers: { 'content-type': 'application/json' } });
      const body = await json<{ error: string; message: string; path: string }>(res);
      expect(res.status, text).toBe(400);
      expect(body).toMatchObject({ error: 'invalid_manifest', path: '/dup.txt' });
      expect(body.message).toBe('/dup.txt: listed twice');
    }
    // Strings inside an entry that look like keys are not paths.
    const nested = await api('/deploys', {
      method: 'POST',
      body: `{"/a.txt": ${JSON.stringify(entry('a', { contentType: 'text/x-"/b.txt", {' }))}, "/b.txt": ${one}}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(nested.status).toBe(201);
    expect(await activeId()).toBe(before);
  });

  it('refuses a size mismatch between a manifest and stored content, and a wrong blob body', async () => {
    const text = `sized ${unique('size')}`;
    const put = await api('/blobs/' + sha(text), { method: 'PUT', body: text });
    expect(put.status).toBe(201);
    const res = await create({ '/sized.txt': { ...entry(text), size: text.length + 1 } });
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ error: 'size_mismatch', path: '/sized.txt' });
    const other = `wrong ${unique('wrong')}`;
    const wrong = await api('/blobs/' + sha(other), { method: 'PUT', body: 'not that' });
    expect(wrong.status).toBe(400);
    expect((await json(wrong)).error).toBe('checksum_mismatch');
    const probe = await json<Created>(await create({ '/p.txt': entry(other) }));
    expect(probe.missing).toEqual([sha(other)]);
    // A missing blob reported at activation time names the hash, and the active deploy is unchanged.
    const before = await activeId();
    const act = await api(`/deploys/${probe.id}/activate`, { method: 'POST' });
    expect(act.status).toBe(400);
    expect(await json(act)).toMatchObject({ error: 'unknown_blobs', missing: [sha(other)] });
    expect(await activeId()).toBe(before);
  });

  it('enforces PUSH_MAX_BODY_BYTES at and past its edge (413 names multipart)', async () => {
    const limit = 6 * 1024 * 1024;
    const at = new Uint8Array(limit).fill(97);
    const ok = await api('/blobs/' + sha(at), { method: 'PUT', body: at });
    expect(ok.status).toBeLessThan(300);
    // One byte past: the edge refuses on Content-Length alone, before the body is read, so
    // announce it and wait for the answer (sending 6 MiB into a closed request races a reset).
    const past = await announceOnly('/_push/blobs/' + 'a'.repeat(64), limit + 1);
    expect(past.status).toBe(413);
    expect(JSON.parse(past.body)).toMatchObject({ error: 'payload_too_large', limit });
    expect(JSON.parse(past.body).message).toMatch(/multipart/);
  });
});

describe('multipart uploads (files larger than one request body)', () => {
  const size = 11 * 1024 * 1024 + 123;
  const big = new Uint8Array(size);
  for (let i = 0; i < size; i++) big[i] = (i * 31 + 7) % 251;
  const bigSha = sha(big);

  async function upload(claimed: string, data: Uint8Array<ArrayBuffer>): Promise<Response> {
    const started = await api('/uploads', { method: 'POST', body: JSON.stringify({ sha256: claimed, size: data.length }) });
    expect(started.status).toBe(201);
    const { uploadId, partBytes } = await json<{ uploadId: string; partBytes: number }>(started);
    const parts: Array<{ partNumber: number; etag: string }> = [];
    for (let n = 1, off = 0; off < data.length; n++, off += partBytes) {
      const r = await api(`/uploads/${uploadId}/parts/${n}`, { method: 'PUT', body: data.subarray(off, off + partBytes) });
      expect(r.status).toBe(200);
      parts.push(await json<{ partNumber: number; etag: string }>(r));
    }
    return api(`/uploads/${uploadId}/complete`, { method: 'POST', body: JSON.stringify({ parts }) });
  }

  it('refuses an assembled upload whose hash does not match, storing nothing', async () => {
    const claimed = sha('something else entirely');
    const res = await upload(claimed, big);
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ error: 'checksum_mismatch', actual: bigSha });
    expect(
      (await json<Created>(await create({ '/x.bin': { sha256: claimed, size, contentType: 'application/octet-stream' } }))).missing,
    ).toEqual([claimed]);
  });

  it('answers 404 unknown_upload (JSON) for an upload id it never issued, and for parts of an aborted upload', async () => {
    const text = unique('aborted');
    const started = await api('/uploads', { method: 'POST', body: JSON.stringify({ sha256: sha(text), size: text.length }) });
    expect(started.status).toBe(201);
    const { uploadId } = await json<{ uploadId: string }>(started);
    // A well-formed id naming an R2 upload that never existed (this edge did not issue it).
    const [key, , claimed, size, signature] = JSON.parse(Buffer.from(uploadId, 'base64url').toString()) as unknown[];
    const forged = (fields: unknown[]): string => Buffer.from(JSON.stringify(fields)).toString('base64url');
    for (const id of [forged([key, 'no-such-upload', claimed, size, signature]), forged([key, 'no-such-upload', claimed, size])]) {
      for (const [path, init] of [
        [`/uploads/${id}`, { method: 'DELETE' }],
        [`/uploads/${id}/parts/1`, { method: 'PUT', body: text }],
        [`/uploads/${id}/complete`, { method: 'POST', body: JSON.stringify({ parts: [{ partNumber: 1, etag: 'x' }] }) }],
      ] as const) {
        const r = await api(path, init);
        expect(r.status, `${init.method} ${path}`).toBe(404);
        expect(await json(r)).toMatchObject({ error: 'unknown_upload' });
      }
    }
    expect((await api('/uploads/not-an-id', { method: 'DELETE' })).status).toBe(400);
    // Aborting is idempotent (R2 answers an aborted upload's abort as done); the parts of an aborted upload are gone.
    for (let i = 0; i < 2; i++) {
      const aborted = await api(`/uploads/${uploadId}`, { method: 'DELETE' });
      expect(aborted.status).toBe(200);
      expect(await json(aborted)).toEqual({ aborted: true });
    }
    const part = await api(`/uploads/${uploadId}/parts/1`, { method: 'PUT', body: text });
    expect(part.status).toBe(404);
    expect(await json(part)).toMatchObject({ error: 'unknown_upload' });
  });

  it('assembles parts, verifies the hash, and serves the file with ranges', async () => {
    const res = await upload(bigSha, big);
    expect(res.status).toBe(201);
    expect(await json(res)).toMatchObject({ sha256: bigSha, size });
    const again = await api('/uploads', { method: 'POST', body: JSON.stringify({ sha256: bigSha, size }) });
    expect(await json(again)).toMatchObject({ exists: true });
    const tag = unique('big');
    const created = await json<Created>(
      await create({ [`/${tag}/big.bin`]: { sha256: bigSha, size, contentType: 'application/octet-stream' } }),
    );
    expect(created.missing).toEqual([]);
    expect((await api(`/deploys/${created.id}/activate`, { method: 'POST' })).status).toBe(200);
    // The push store's own Range (the cache in front may answer a cold Range with the whole body).
    const tail = await api(`/raw/${tag}/big.bin`, { headers: { range: `bytes=${size - 10}-` } });
    expect(tail.status).toBe(206);
    expect(new Uint8Array(await tail.arrayBuffer())).toEqual(big.subarray(size - 10));
    const whole = await fetch(`${edge()}/${tag}/big.bin`);
    expect(sha(new Uint8Array(await whole.arrayBuffer()))).toBe(bigSha);
  });
});

describe('routing by ROUTES prefix', () => {
  it('push serves only pushed content, pull only the origin, hybrid pushed-else-origin', async () => {
    const name = unique('route');
    await fetch(`${originUrl()}/__script/only-pull/${name}.txt`, {
      method: 'PUT',
      body: JSON.stringify({ body: 'from origin', headers: { 'cache-control': 'no-store' } }),
    });
    await fetch(`${originUrl()}/__script/hybrid/${name}.txt`, {
      method: 'PUT',
      body: JSON.stringify({ body: 'from origin', headers: { 'cache-control': 'no-store' } }),
    });
    await fetch(`${originUrl()}/__script/hybrid/${name}-2.txt`, {
      method: 'PUT',
      body: JSON.stringify({ body: 'origin only', headers: { 'cache-control': 'no-store' } }),
    });
    await putFile(`/only-pull/${name}.txt`, 'pushed');
    await putFile(`/hybrid/${name}.txt`, 'pushed');
    expect((await get(`/only-pull/${name}.txt`)).body).toBe('from origin');
    expect((await get(`/hybrid/${name}.txt`)).body).toBe('pushed');
    expect((await get(`/hybrid/${name}-2.txt`)).body).toBe('origin only');
    const missing = await get(`/only-push/${name}-absent.txt`);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ error: 'not_found' });
  });
});

describe('garbage collection', () => {
  it('collects blobs only no kept deploy names, never those still referenced', async () => {
    const tag = unique('gc');
    const old = `old content ${tag}`;
    await deploy({ [`/${tag}/f.txt`]: old });
    // KEEP_DEPLOYS is 4 in these tests: push past it so the first deploy is no longer kept.
    for (let i = 0; i < 5; i++) await deploy({ [`/${tag}/f.txt`]: `v${i} ${tag}`, [`/${tag}/keep.txt`]: `kept ${tag}` });
    // PUSH_GC_GRACE_SECONDS is 120 here, so the automatic runs spared everything so far.
    // Asking to start an upload says whether the content is stored, without referencing it.
    const stored = async (text: string): Promise<boolean> =>
      (
        await json<{ exists: boolean }>(
          await api('/uploads', { method: 'POST', body: JSON.stringify({ sha256: sha(text), size: Buffer.byteLength(text) }) }),
        )
      ).exists;
    expect(await stored(old)).toBe(true);
    expect((await api('/gc?graceSeconds=x', { method: 'POST' })).status).toBe(400);
    const gc = await json<{ blobsDeleted: number; deploysDeleted: string[] }>(await api('/gc?graceSeconds=0', { method: 'POST' }));
    expect(gc.blobsDeleted).toBeGreaterThanOrEqual(1);
    expect(await stored(old)).toBe(false);
    expect(await stored(`kept ${tag}`)).toBe(true);
    expect(await stored(`v4 ${tag}`)).toBe(true);
    expect(await stored(`v1 ${tag}`)).toBe(true); // the 4th newest deploy is still kept
    expect((await get(`/${tag}/f.txt`)).body).toBe(`v4 ${tag}`);
    expect((await get(`/${tag}/keep.txt`)).body).toBe(`kept ${tag}`);
  });
});
