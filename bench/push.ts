/**
 * The push CDN, measured (issue 3, "Done when"):
 *   sync      first sync, unchanged re-sync and one-file re-sync of a 1,000-file (~20 MB)
 *             folder with the push client: time, bytes uploaded, requests
 *   HIT       req/s of a pushed 1 KiB file answered from the edge's cache, against a trivial
 *             Worker (constant 1 KiB) in the same runtime, in alternating wrk rounds
 *   R2 path   req/s of a pushed `no-store` 1 KiB file (every request streams from R2)
 * Everything runs on 127.0.0.1 under `wrangler dev` (Miniflare), so absolute figures are the
 * local simulator's; the ratios are the point.
 *   npx tsx bench/push.ts [--files 1000] [--kib 20] [--seconds 5] [--rounds 3] [--connections 32]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pushDir, type PushSummary } from '../cli/push-client';
import { startDev, startEdge, TOKEN } from '../test/push/edge';
import { haveWrk, median, numberArg, table, wrk, type WrkResult } from './lib/harness';

const arg = (name: string, fallback: number): number => {
  const v = numberArg(name, fallback);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
};
const fileCount = Math.min(arg('files', 1000), 20_000);
const kib = Math.min(arg('kib', 20), 1024);
const seconds = Math.min(arg('seconds', 5), 60);
const rounds = Math.min(arg('rounds', 3), 10);
const connections = Math.min(arg('connections', 32), 256);
const useWrk = haveWrk();

/** Deterministic, incompressible bytes (xorshift), so re-runs push identical folders. */
function bytes(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** A bounded Node load loop (used when wrk is not installed): `connections` loops for `seconds`. */
async function nodeLoad(url: string): Promise<WrkResult> {
  const until = Date.now() + seconds * 1000;
  const lat: number[] = [];
  let errors = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < until && lat.length < 5_000_000) {
        const t = performance.now();
        try {
          const r = await fetch(url);
          await r.arrayBuffer();
          if (r.status !== 200) errors++;
        } catch {
          errors++;
        }
        lat.push(performance.now() - t);
      }
    }),
  );
  lat.sort((a, b) => a - b);
  return {
    rps: lat.length / seconds,
    p50ms: lat[Math.floor(lat.length * 0.5)] ?? NaN,
    p99ms: lat[Math.floor(lat.length * 0.99)] ?? NaN,
    errors,
  };
}

const load = (url: string): Promise<WrkResult> => (useWrk ? Promise.resolve(wrk(url, { seconds, connections })) : nodeLoad(url));

const dir = mkdtempSync(join(tmpdir(), 'pushpull-push-bench-'));
const edge = await startEdge(19422, {});
const trivial = await startDev('bench/trivial/wrangler.toml', 19420, {}, { path: '/' });

try {
  // ---- sync ------------------------------------------------------------------------
  for (let i = 0; i < fileCount; i++) {
    const sub = join(dir, `site/d${i % 20}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${i}.bin`), bytes(i + 1, kib * 1024));
  }
  const target = { dir: join(dir, 'site'), edgeUrl: edge.url, token: TOKEN, concurrency: 6 };
  const first = await pushDir(target);
  const resync = await pushDir(target);
  writeFileSync(join(dir, 'site/d3/f3.bin'), bytes(999_999, kib * 1024));
  const one = await pushDir(target);
  const mb = (n: number): string => (n / 1024 / 1024).toFixed(2);
  const row = (name: string, s: PushSummary): Array<string | number> => [
    name,
    s.files,
    s.new,
    mb(s.bytesUploaded),
    s.requests,
    (s.ms / 1000).toFixed(2),
    s.ms / first.ms,
  ];
  console.log(
    `\nsync: ${fileCount} files × ${kib} KiB (${mb(first.totalBytes)} MiB), push client → wrangler dev on 127.0.0.1, concurrency 6`,
  );
  console.log(
    table([
      ['run', 'files', 'new', 'MiB uploaded', 'requests', 'seconds', 'time vs first sync'],
      row('first sync', first),
      row('re-sync, unchanged', resync),
      row('re-sync, 1 file changed', one),
    ]),
  );

  // ---- HIT throughput ------------------------------------------------------------------
  const put = (path: string, cacheControl: string): Promise<Response> =>
    fetch(`${edge.url}/_push/files${path}`, {
      method: 'PUT',
      body: 'x'.repeat(1024),
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain', 'cache-control': cacheControl },
    });
  for (const [path, cc] of [
    ['/bench/hit.txt', 'public, max-age=3600'],
    ['/bench/r2.txt', 'no-store'],
  ] as const) {
    const r = await put(path, cc);
    if (r.status >= 300) throw new Error(`push ${path}: ${r.status} ${await r.text()}`);
  }
  for (let i = 0; i < 3; i++) await (await fetch(`${edge.url}/bench/hit.txt`)).arrayBuffer();
  const check = await fetch(`${edge.url}/bench/hit.txt`);
  await check.arrayBuffer();
  const status = check.headers.get('cache-status') ?? '';
  if (!/hit/.test(status)) throw new Error(`the pushed file is not answered as a hit: Cache-Status ${status}`);

  const targets: Record<string, string> = {
    trivial: `${trivial.url}/`,
    'push HIT': `${edge.url}/bench/hit.txt`,
    'push no-store (R2 each time)': `${edge.url}/bench/r2.txt`,
  };
  const results: Record<string, Array<WrkResult>> = {};
  for (let r = 0; r < rounds; r++) {
    for (const [name, url] of Object.entries(targets)) (results[name] ??= []).push(await load(url));
  }
  const med = (name: string, k: 'rps' | 'p50ms' | 'p99ms'): number => median(results[name].map((x) => x[k]));
  const rows: Array<Array<string | number>> = [['target', 'req/s (median)', 'p50 ms', 'p99 ms', 'errors', 'vs trivial']];
  for (const name of Object.keys(targets)) {
    rows.push([
      name,
      Math.round(med(name, 'rps')),
      med(name, 'p50ms'),
      med(name, 'p99ms'),
      results[name].reduce((n, x) => n + x.errors, 0),
      med(name, 'rps') / med('trivial', 'rps'),
    ]);
  }
  console.log(
    `\nserving: ${useWrk ? 'wrk' : 'Node fetch loop (wrk not installed)'} -c ${connections} -d ${seconds}s, ${rounds} alternating rounds, 1 KiB body`,
  );
  console.log(table(rows));
} finally {
  await edge.stop();
  await trivial.stop();
  rmSync(dir, { recursive: true, force: true });
}
