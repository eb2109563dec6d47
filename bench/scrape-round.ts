/**
 * A scrape round of 100 local targets, end to end, against its interval and a baseline
 * measured in the same run:
 *   baseline  Node fetches the same 100 pages, 6 at a time, and discards them (the floor:
 *             HTTP only, no parsing, no storage)
 *   round     pushpull-scraper (wrangler dev) runs one round of the job (POST /api/v1/scrape):
 *             100 fetches (≤ 6 in flight), parse, labels, staleness, one RPC write per target
 *             into pushpull-metrics (wrangler dev, SQLite Durable Objects)
 * Each target serves a prom-client page (~N samples: counters, a histogram, a summary).
 * Afterwards `up{job="bench"}` is read back from the store to prove all 100 were written.
 *   npx tsx bench/scrape-round.ts [--targets 100] [--rounds 5] [--interval 15]
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry, Summary } from 'prom-client';
import { mapLimited } from '@pushpull/http/concurrency';
import { median, numberArg as arg, startWorker, table } from './lib/harness';

const TARGETS = arg('targets', 100);
const ROUNDS = Math.min(arg('rounds', 5), 20);
const INTERVAL_S = arg('interval', 15);
const TOKEN = 'bench-token';
const METRICS_PORT = 19150;
const SCRAPER_PORT = 19152;

async function page(): Promise<string> {
  const r = new Registry();
  const c = new Counter({ name: 'app_requests_total', help: 'Requests.', labelNames: ['method', 'code'], registers: [r] });
  const h = new Histogram({ name: 'app_latency_seconds', help: 'Latency.', labelNames: ['route'], registers: [r] });
  const s = new Summary({ name: 'app_job_seconds', help: 'Jobs.', registers: [r] });
  for (const m of ['GET', 'POST', 'PUT']) for (const code of ['200', '404', '500']) c.inc({ method: m, code }, 7);
  for (let k = 0; k < 8; k++) h.observe({ route: `/r${k}` }, k / 10);
  s.observe(1);
  return r.metrics();
}

async function startTargets(n: number, body: string): Promise<{ ports: number[]; close(): Promise<void> }> {
  const servers: Server[] = [];
  for (let k = 0; k < n; k++) {
    const s = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(body);
    });
    await new Promise<void>((ok) => s.listen(0, '127.0.0.1', () => ok()));
    servers.push(s);
  }
  return {
    ports: servers.map((s) => (s.address() as AddressInfo).port),
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((ok) => {
              s.close(() => ok());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}

async function baselineRound(urls: string[]): Promise<number> {
  const t0 = performance.now();
  await mapLimited(urls, 6, async (url) => {
    const r = await fetch(url, { headers: { 'accept-encoding': 'gzip' } });
    await r.text();
  });
  return performance.now() - t0;
}

// A private dev registry: other wrangler dev sessions on this machine named pushpull-metrics
// must not take over (or drop) the scraper's service binding.
process.env.WRANGLER_REGISTRY_PATH = mkdtempSync(join(tmpdir(), 'pushpull-registry-'));

const body = await page();
const samplesPerPage = body.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
const targets = await startTargets(TARGETS, body);
const metrics = await startWorker('workers/metrics/wrangler.toml', METRICS_PORT, { PUSHPULL_TOKEN: TOKEN }, '/api/v1/query?query=up');
const scraper = await startWorker(
  'workers/scraper/wrangler.toml',
  SCRAPER_PORT,
  {
    PUSHPULL_TOKEN: TOKEN,
    SCRAPE_CONFIG: JSON.stringify({ scrape_configs: [] }),
  },
  '/api/v1/targets',
);
try {
  const auth = { authorization: `Bearer ${TOKEN}` };
  const addresses = targets.ports.map((p) => `127.0.0.1:${p}`);
  const put = await fetch(`${scraper.url}/api/v1/config`, {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'application/json' },
    // A long interval: the rounds below are driven by this bench, not by the alarm.
    body: JSON.stringify({
      scrape_configs: [{ job_name: 'bench', scrape_interval: '1h', scrape_timeout: '10s', static_configs: [{ targets: addresses }] }],
    }),
  });
  if (put.status !== 200) throw new Error(`PUT config: ${put.status} ${await put.text()}`);
  const urls = addresses.map((a) => `http://${a}/metrics`);
  await baselineRound(urls); // warm-up
  const base: number[] = [];
  const rounds: number[] = [];
  const fetchSeconds: number[] = [];
  for (let k = 0; k < ROUNDS; k++) {
    base.push(await baselineRound(urls));
    const t0 = performance.now();
    const r = await fetch(`${scraper.url}/api/v1/scrape?job=bench`, { method: 'POST', headers: auth });
    const health = (await r.json()) as { data: { activeTargets: { health: string; lastError: string; lastScrapeDuration: number }[] } };
    fetchSeconds.push(health.data.activeTargets.reduce((a, t) => a + t.lastScrapeDuration, 0));
    rounds.push(performance.now() - t0);
    const down = health.data.activeTargets.filter((t) => t.health !== 'up');
    if (r.status !== 200 || down.length > 0) throw new Error(`round ${k}: ${r.status}, ${down.length} down: ${down[0]?.lastError}`);
  }
  const q = await fetch(`${metrics.url}/api/v1/query?query=${encodeURIComponent('up{job="bench"}')}`);
  const stored = ((await q.json()) as { data: { result: { value: [number, string] }[] } }).data.result;
  if (stored.length !== TARGETS || stored.some((s) => s.value[1] !== '1')) throw new Error(`store has ${stored.length} up series`);
  const roundMs = median(rounds);
  const baseMs = median(base);
  console.log(`${TARGETS} targets × ${samplesPerPage} samples, ${ROUNDS} rounds (medians):`);
  console.log(
    table([
      ['what', 'round ms', 'samples/s'],
      ['baseline: Node fetch only, 6 in flight', baseMs.toFixed(0), ((TARGETS * samplesPerPage) / (baseMs / 1000)).toFixed(0)],
      ['pushpull scrape round (fetch+parse+RPC write)', roundMs.toFixed(0), ((TARGETS * samplesPerPage) / (roundMs / 1000)).toFixed(0)],
    ]),
  );
  console.log(
    `round / interval (${INTERVAL_S}s): ${((roundMs / (INTERVAL_S * 1000)) * 100).toFixed(1)}%; round / baseline: ${(roundMs / baseMs).toFixed(2)}x`,
  );
  console.log(`sum of per-target fetch times (scrape_duration_seconds) per round: ${median(fetchSeconds).toFixed(2)} s`);
  console.log(`store check: up{job="bench"} = 1 for all ${stored.length} targets`);
} finally {
  await scraper.stop();
  await metrics.stop();
  await targets.close();
}
