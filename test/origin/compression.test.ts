import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { startOrigin, type RunningOrigin } from '../../origin/server';
import { acceptsGzip, GzipCache } from '../../origin/compression';
import { createFixture, rawRequest, type Fixture } from './fixture';

let fx: Fixture;
let origin: RunningOrigin;
let plain: RunningOrigin;
const TEXT = 'p { margin: 0 }\n'.repeat(200);

beforeAll(async () => {
  fx = await createFixture();
  await writeFile(join(fx.site, 'big.css'), TEXT);
  origin = await startOrigin({ port: 0, dir: fx.site, defaultMetrics: false, compress: true });
  plain = await startOrigin({ port: 0, dir: fx.site, defaultMetrics: false });
});
afterAll(async () => {
  await origin.close();
  await plain.close();
  await fx.remove();
});

const gz = { 'accept-encoding': 'gzip, br' };

describe('gzip content coding (opt-in)', () => {
  it('gzips a textual file for a client that accepts it, with its own strong ETag and Vary', async () => {
    const res = await rawRequest(origin.port, '/big.css', 'GET', gz);
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers.vary).toBe('Accept-Encoding');
    expect(Number(res.headers['content-length'])).toBe(res.bytes.length);
    expect(res.bytes.length).toBeLessThan(TEXT.length / 5);
    expect(gunzipSync(res.bytes).toString()).toBe(TEXT);
    const identity = await rawRequest(origin.port, '/big.css');
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(identity.headers.vary).toBe('Accept-Encoding');
    expect(identity.body).toBe(TEXT);
    expect(res.headers.etag).toBe(`${String(identity.headers.etag).slice(0, -1)}-gzip"`);
  });

  it('answers 304 per representation: the gzip tag for gzip, the identity tag for identity', async () => {
    const g = await rawRequest(origin.port, '/big.css', 'GET', gz);
    const i = await rawRequest(origin.port, '/big.css');
    const gzEtag = String(g.headers.etag);
    const idEtag = String(i.headers.etag);
    const hit = await rawRequest(origin.port, '/big.css', 'GET', { ...gz, 'if-none-match': gzEtag });
    expect(hit.status).toBe(304);
    expect(hit.headers.vary).toBe('Accept-Encoding');
    expect(hit.headers.etag).toBe(gzEtag);
    const cross = await rawRequest(origin.port, '/big.css', 'GET', { ...gz, 'if-none-match': idEtag });
    expect(cross.status).toBe(200);
    expect(cross.headers['content-encoding']).toBe('gzip');
    expect((await rawRequest(origin.port, '/big.css', 'GET', { 'if-none-match': idEtag })).status).toBe(304);
  });

  it('serves Range over the compressed bytes', async () => {
    const full = await rawRequest(origin.port, '/big.css', 'GET', gz);
    const part = await rawRequest(origin.port, '/big.css', 'GET', { ...gz, range: 'bytes=0-9' });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 0-9/${full.bytes.length}`);
    expect(part.bytes).toEqual(full.bytes.subarray(0, 10));
  });

  it('answers HEAD with the gzip headers and no body', async () => {
    const full = await rawRequest(origin.port, '/big.css', 'GET', gz);
    const head = await rawRequest(origin.port, '/big.css', 'HEAD', gz);
    expect(head.headers['content-encoding']).toBe('gzip');
    expect(head.headers['content-length']).toBe(String(full.bytes.length));
    expect(head.bytes.length).toBe(0);
  });

  it('leaves small files, binary files and a server without the option alone (no Vary)', async () => {
    for (const [server, path] of [
      [origin, '/style.css'],
      [origin, '/blob.bin'],
      [plain, '/big.css'],
    ] as const) {
      const res = await rawRequest(server.port, path, 'GET', gz);
      expect(res.headers['content-encoding'], path).toBeUndefined();
      expect(res.headers.vary, path).toBeUndefined();
    }
  });

  it('respects q=0 and wildcards in Accept-Encoding', () => {
    expect(acceptsGzip(null)).toBe(false);
    expect(acceptsGzip('gzip')).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('br, *;q=0.1')).toBe(true);
    expect(acceptsGzip('*, gzip;q=0')).toBe(false);
    expect(acceptsGzip('identity')).toBe(false);
    expect(acceptsGzip('x-gzip; q=0.5')).toBe(true);
  });

  it('keeps compressed copies within its byte budget', async () => {
    const cache = new GzipCache(100);
    const random = (n: number): Promise<Buffer> => Promise.resolve(Buffer.from(Array.from({ length: n }, (_, i) => (i * 7919) % 251)));
    const a = await cache.get('"a"', () => random(80));
    await cache.get('"b"', () => random(80));
    let reads = 0;
    // "a" was evicted (two ~100-byte copies exceed 100 bytes), so it is compressed again.
    const again = await cache.get('"a"', () => {
      reads++;
      return random(80);
    });
    expect(reads).toBe(1);
    expect(again).toEqual(a);
  });
});
