/**
 * Pull CDN HIT throughput against baselines in the same runtime and run:
 *   trivial    a Worker that answers a constant 1 KiB body (the runtime's floor)
 *   cache-only a Worker that answers from the Cache API and does nothing else (the Cache API's floor)
 *   edge HIT   pushpull's edge answering a cached 1 KiB file pulled from the real origin, recording
 *              its own metrics and pushing them to the metrics Worker (running beside it)
 *   edge HIT, TELEMETRY=off   the same edge recording nothing: the cost of the self-metrics
 * Each is loaded with wrk on 127.0.0.1, in rounds that alternate between them; medians are
 * reported and the ratios edge/trivial, edge/cache-only and telemetry on/off printed.
 *   npx tsx bench/edge.ts [--seconds 5] [--rounds 3] [--connections 32]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOrigin } from '../origin/server';
import { haveWrk, median, numberArg as arg, startWorker, table, wrk, type WrkResult } from './lib/harness';

const seconds = arg('seconds', 5);
const rounds = arg('rounds', 3);
const connections = arg('connections', 32);

if (!haveWrk()) {
  console.error('wrk is not installed: apt-get install -y wrk');
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'pushpull-edge-bench-'));
writeFileSync(join(dir, 'file.txt'), 'x'.repeat(1024));
const origin = await startOrigin({ port: 0, dir, cacheControl: { rules: [], defaultCacheControl: 'public, max-age=3600' } });
const trivial = await startWorker('bench/trivial/wrangler.toml', 19460);
// The metrics Worker the edge's METRICS binding reaches (same dev registry), and an edge that records nothing.
const metrics = await startWorker('workers/metrics/wrangler.toml', 19464, { PUSHPULL_TOKEN: 'bench' }, '/api/v1/labels');
const edge = await startWorker('workers/edge/wrangler.toml', 19462, { ORIGIN_URL: origin.url, PUSHPULL_TOKEN: 'bench' }, '/file.txt');
const quiet = await startWorker(
  'workers/edge/wrangler.toml',
  19466,
  { ORIGIN_URL: origin.url, PUSHPULL_TOKEN: 'bench', TELEMETRY: 'off' },
  '/file.txt',
);
const OFF = 'edge HIT, TELEMETRY=off';

try {
  // Warm: the first request is the miss, the rest must be hits.
  for (const url of [`${edge.url}/file.txt`, `${quiet.url}/file.txt`, `${trivial.url}/cache-only`]) {
    for (let i = 0; i < 3; i++) await (await fetch(url)).arrayBuffer();
  }
  const check = await fetch(`${edge.url}/file.txt`);
  await check.arrayBuffer();
  const status = check.headers.get('cache-status') ?? '';
  if (!status.includes('hit')) throw new Error(`edge is not answering hits: Cache-Status ${status}`);

  const targets: Record<string, string> = {
    trivial: `${trivial.url}/`,
    'cache-only': `${trivial.url}/cache-only`,
    'edge HIT': `${edge.url}/file.txt`,
    [OFF]: `${quiet.url}/file.txt`,
  };
  const results: Record<string, WrkResult[]> = { trivial: [], 'cache-only': [], 'edge HIT': [], [OFF]: [] };
  for (let r = 0; r < rounds; r++) {
    for (const [name, url] of Object.entries(targets)) results[name].push(wrk(url, { seconds, connections }));
  }
  const med = (name: string, k: keyof WrkResult): number => median(results[name].map((x) => x[k]));
  const rows: Array<Array<string | number>> = [['target', 'req/s (median)', 'p50 ms', 'p99 ms', 'errors', 'vs trivial', 'vs cache-only']];
  for (const name of Object.keys(targets)) {
    rows.push([
      name,
      Math.round(med(name, 'rps')),
      med(name, 'p50ms'),
      med(name, 'p99ms'),
      results[name].reduce((n, x) => n + x.errors, 0),
      med(name, 'rps') / med('trivial', 'rps'),
      med(name, 'rps') / med('cache-only', 'rps'),
    ]);
  }
  console.log(`wrk -c ${connections} -d ${seconds}s, ${rounds} alternating rounds, 1 KiB body, wrangler dev (Miniflare) on 127.0.0.1`);
  console.log(table(rows));
  const stats = await (await fetch(`${origin.url}/metrics`)).text();
  const originRequests = [...stats.matchAll(/^origin_http_requests_total\{[^}]*\}\s+(\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
  console.log(`origin requests during the whole bench: ${originRequests}`);
  const ratio = med('edge HIT', 'rps') / med(OFF, 'rps');
  console.log(`telemetry on / off (HIT req/s): ${ratio.toFixed(3)} (overhead ${((1 - ratio) * 100).toFixed(1)} %)`);
  // The pushes really landed: the edge's own hit counter, as the store has it.
  const query = encodeURIComponent('sum(pushpull_edge_requests_total{cache_status="hit"})');
  const stored = (await (await fetch(`${metrics.url}/api/v1/query?query=${query}`)).json()) as {
    data?: { result?: Array<{ value: [number, string] }> };
  };
  console.log(`pushpull_edge_requests_total{cache_status="hit"} in the store: ${stored.data?.result?.[0]?.value[1] ?? 'none'}`);
} finally {
  await edge.stop();
  await quiet.stop();
  await metrics.stop();
  await trivial.stop();
  await origin.close();
}
