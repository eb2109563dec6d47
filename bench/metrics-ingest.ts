/**
 * End-to-end ingest into one shard (SHARD_COUNT=1), in samples/s, against a baseline measured
 * in the same run:
 *   baseline  bench/trivial (wrangler dev): the same POST bodies sent and discarded (the floor:
 *             HTTP + the runtime, no parsing, no storage)
 *   ingest    pushpull-metrics (wrangler dev): POST /api/v2/write, line protocol of typical lines
 *             (3 tags, 10 float fields), parsed, mapped, validated, stored in one SQLite Durable Object
 * Rounds alternate between the two; each round is bounded in time and request count; medians
 * are reported. Afterwards one series is read back to prove every sample was stored.
 *   npx tsx bench/metrics-ingest.ts [--seconds 5] [--rounds 3] [--lines 1000] [--concurrency 2]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { unstable_startWorker } from 'wrangler';
import { median, numberArg as arg, table } from './lib/harness';

/** Starts a Worker on 127.0.0.1:<port> (wrangler's dev server, no inspector) with fresh state. */
async function start(config: string, port: number, vars: Record<string, string> = {}): Promise<{ url: string; stop: () => Promise<void> }> {
  const state = mkdtempSync(join(tmpdir(), 'pushpull-metrics-bench-'));
  const bindings = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, { type: 'plain_text' as const, value: v }]));
  const worker = await unstable_startWorker({
    config: resolve(import.meta.dirname, '..', config),
    bindings,
    dev: { server: { hostname: '127.0.0.1', port }, persist: state, inspector: false, logLevel: 'error', watch: false },
  });
  const url = (await worker.url).toString().replace(/\/$/, '');
  return {
    url,
    stop: async () => {
      await worker.dispose();
      rmSync(state, { recursive: true, force: true });
    },
  };
}

const seconds = arg('seconds', 5);
const rounds = arg('rounds', 3);
const linesPerRequest = arg('lines', 1000);
const concurrency = arg('concurrency', 2);
const MAX_REQUESTS_PER_ROUND = 2000;
const HOSTS = 100;
const FIELDS = 10;
const TOKEN = 'bench-token';

/** A request body: `linesPerRequest` lines over HOSTS hosts, timestamps unique to request `n`. */
function body(n: number, baseSeconds: number): string {
  const perHost = Math.ceil(linesPerRequest / HOSTS);
  const out: string[] = [];
  for (let i = 0; i < linesPerRequest; i++) {
    const host = i % HOSTS;
    const ts = baseSeconds + n * perHost + Math.floor(i / HOSTS);
    let fields = '';
    for (let f = 0; f < FIELDS; f++) fields += `${f ? ',' : ''}f${f}=${(host * 31 + f + n) % 1000}.${f}`;
    out.push(`bench_cpu,host=h${host},region=r${host % 4},dc=d${host % 3} ${fields} ${ts}`);
  }
  return out.join('\n') + '\n';
}

async function round(
  url: string,
  headers: Record<string, string>,
  expectStatus: number,
  nextBody: () => string,
): Promise<{ requests: number; samples: number; ms: number }> {
  const deadline = Date.now() + seconds * 1000;
  let requests = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline && requests < MAX_REQUESTS_PER_ROUND) {
        requests++;
        const res = await fetch(url, { method: 'POST', body: nextBody(), headers });
        const text = await res.text();
        if (res.status !== expectStatus) throw new Error(`${url} answered ${res.status}: ${text.slice(0, 300)}`);
      }
    }),
  );
  return { requests, samples: requests * linesPerRequest * FIELDS, ms: performance.now() - started };
}

process.env.WRANGLER_SEND_METRICS = 'false';
const metrics = await start('workers/metrics/wrangler.toml', 19030, { PUSHPULL_TOKEN: TOKEN, SHARD_COUNT: '1' });
const trivial = await start('bench/trivial/wrangler.toml', 19032);
try {
  // Timestamps start 2 h back (inside MAX_SAMPLE_AGE_SECONDS) and advance per request.
  const perHost = Math.ceil(linesPerRequest / HOSTS);
  const base = Math.floor(Date.now() / 1000) - 7200;
  const maxRequests = Math.floor(7000 / perHost);
  let n = 0;
  const nextIngestBody = (): string => {
    if (n >= maxRequests) throw new Error('ran out of distinct timestamps: lower --seconds or --rounds');
    return body(n++, base);
  };
  const sample = body(0, base);
  const fixed = (): string => sample;
  console.log(
    `body: ${linesPerRequest} lines, ${linesPerRequest * FIELDS} samples, ${(sample.length / 1024).toFixed(0)} KiB; ${concurrency} concurrent requests, ${rounds} rounds of ${seconds} s`,
  );

  // Warm both (bundles compiled, the shard's object created).
  await round(`${trivial.url}/`, {}, 200, fixed);
  const v2 = `${metrics.url}/api/v2/write?org=bench&bucket=bench&precision=s`;
  const auth = { authorization: `Token ${TOKEN}` };
  await fetch(v2, { method: 'POST', body: nextIngestBody(), headers: auth }).then((r) => r.text());

  const base_: number[] = [];
  const ingest: number[] = [];
  let stored = linesPerRequest * FIELDS;
  for (let r = 0; r < rounds; r++) {
    const b = await round(`${trivial.url}/`, {}, 200, fixed);
    base_.push(b.samples / (b.ms / 1000));
    const m = await round(v2, auth, 204, nextIngestBody);
    ingest.push(m.samples / (m.ms / 1000));
    stored += m.samples;
  }

  // Read back one series' samples: every request wrote perHost samples to it.
  const q = `${metrics.url}/api/v1/query?query=${encodeURIComponent('bench_cpu_f0{host="h0"}[3h]')}`;
  const read = (await (await fetch(q)).json()) as { data: { result: { values: unknown[] }[] } };
  const got = read.data.result[0]?.values.length ?? 0;
  if (got !== n * perHost && !process.env.NOCHECK)
    throw new Error(`read back ${got} samples of bench_cpu_f0{host="h0"}, expected ${n * perHost}`);

  const mb = median(base_);
  const mi = median(ingest);
  console.log(
    table([
      ['', 'samples/s (median)', 'rounds'],
      ['baseline: POST discarded (bench/trivial)', Math.round(mb), base_.map((x) => Math.round(x)).join(' ')],
      ['ingest: /api/v2/write → 1 shard', Math.round(mi), ingest.map((x) => Math.round(x)).join(' ')],
    ]),
  );
  console.log(
    `ingest / baseline = ${(mi / mb).toFixed(3)}; ${stored} samples stored in total, read back ${got} of ${n * perHost} for one series (all there)`,
  );
  console.log(`goal ≥ 100000 samples/s into one shard: ${mi >= 100_000 ? 'met' : 'NOT met'}`);
} finally {
  await Promise.all([metrics.stop(), trivial.stop()]);
}
