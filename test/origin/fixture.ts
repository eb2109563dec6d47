/** A throwaway served folder for origin tests, with a secret file next to (outside) it. */
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { afterAll, beforeAll } from 'vitest';
import { startOrigin, type RunningOrigin, type StartOriginOptions } from '../../origin/server';

export interface Fixture {
  /** Parent folder: holds `site/` (served) and `secret.txt` (must never be served). */
  base: string;
  site: string;
  secret: string;
  remove(): Promise<void>;
}

/** Bytes whose presence in any response proves a traversal leak. */
export const SECRET = 'TOP-SECRET-7d1f3a do not serve';

/** 0..255 repeated: byte i has value i % 256, so any range's bytes are predictable. */
export const BINARY = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));

export async function createFixture(): Promise<Fixture> {
  const base = await mkdtemp(join(tmpdir(), 'pushpull-origin-'));
  const site = join(base, 'site');
  await mkdir(join(site, 'assets'), { recursive: true });
  await mkdir(join(site, 'docs'), { recursive: true });
  await mkdir(join(site, 'nested', 'deep'), { recursive: true });
  const secret = join(base, 'secret.txt');
  await writeFile(secret, SECRET);
  await writeFile(join(site, 'index.html'), '<!doctype html><title>home</title>');
  await writeFile(join(site, 'about.html'), '<!doctype html><title>about</title>');
  await writeFile(join(site, 'docs', 'index.html'), '<!doctype html><title>docs</title>');
  await writeFile(join(site, 'style.css'), 'body { color: red }');
  await writeFile(join(site, 'data.json'), '{"ok":true}');
  await writeFile(join(site, 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await writeFile(join(site, 'blob.bin'), BINARY);
  await writeFile(join(site, 'empty.txt'), '');
  await writeFile(join(site, 'assets', 'app.1234abcd.js'), 'console.log(1)');
  await writeFile(join(site, 'nested', 'deep', 'page.html'), '<p>deep</p>');
  await writeFile(join(site, '.env'), SECRET);
  await writeFile(join(site, 'inner-target.txt'), 'inside');
  // Symlinks: one escaping the folder (file and directory), one staying inside.
  await symlink(secret, join(site, 'leak.txt'));
  await symlink(base, join(site, 'up'));
  await symlink(join(site, 'inner-target.txt'), join(site, 'inner-link.txt'));
  return { base, site, secret, remove: () => rm(base, { recursive: true, force: true }) };
}

/** A fixture folder served by an origin: both exist between this file's beforeAll and afterAll. */
export interface ServedFixture {
  readonly fx: Fixture;
  readonly origin: RunningOrigin;
}

/**
 * Registers beforeAll/afterAll that create a fixture, run `prepare` on it, and serve it on a free
 * port (default metrics off unless `options` says otherwise); closes and removes both afterwards.
 */
export function serveFixture(
  options: Partial<Omit<StartOriginOptions, 'dir'>> = {},
  prepare?: (fx: Fixture) => Promise<void>,
): ServedFixture {
  let fx: Fixture | undefined;
  let origin: RunningOrigin | undefined;
  beforeAll(async () => {
    fx = await createFixture();
    await prepare?.(fx);
    origin = await startOrigin({ port: 0, dir: fx.site, defaultMetrics: false, ...options });
  });
  afterAll(async () => {
    await origin?.close();
    await fx?.remove();
  });
  return {
    get fx(): Fixture {
      if (!fx) throw new Error('serveFixture: fixture used outside its beforeAll/afterAll');
      return fx;
    },
    get origin(): RunningOrigin {
      if (!origin) throw new Error('serveFixture: origin used outside its beforeAll/afterAll');
      return origin;
    },
  };
}

/** A raw HTTP request whose target is sent byte for byte (fetch would normalise `..`, and decode gzip). */
export function rawRequest(
  port: number,
  target: string,
  method = 'GET',
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: target, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: bytes.toString('latin1'), bytes });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Reads one sample's value from Prometheus text (labels in the given order), 0 when absent. */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const pair of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      found[pair[1] ?? ''] = pair[2] ?? '';
    }
    if (Object.entries(labels).every(([k, v]) => found[k] === v) && Object.keys(found).length === Object.keys(labels).length) {
      return Number(m[4]);
    }
  }
  return 0;
}
