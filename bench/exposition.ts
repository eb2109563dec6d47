// Exposition parse throughput: `npx tsx bench/exposition.ts`.
// Parses a realistic page (counters, gauges, histograms, summaries rendered by prom-client)
// in text 0.0.4 and OpenMetrics 1.0, and prints samples/s against two baselines measured in
// the same run: a naive regex line parser, and prom-client rendering the same page.
// Goal (issue 5): >= 1 M samples/s; Prometheus's own parser is about 0.16-0.75 µs/sample.
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { parseExposition } from '@pushpull/wire/prometheus-text/exposition';
import { middle as median } from './lib/cpu-time';

const MAX_MS = Number(process.env.BENCH_MS ?? 1500); // per measurement
const MAX_ITERS = 2000;

async function buildPage(openMetrics: boolean): Promise<string> {
  const registry: Registry<'text/plain; version=0.0.4; charset=utf-8' | 'application/openmetrics-text; version=1.0.0; charset=utf-8'> =
    new Registry();
  if (openMetrics) registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  const reqs = new Counter({
    name: 'http_requests_total',
    help: 'Requests.',
    labelNames: ['method', 'code', 'path'],
    registers: [registry],
  });
  const inflight = new Gauge({
    name: 'http_in_flight',
    help: 'In flight "requests".\nSecond line.',
    labelNames: ['path'],
    registers: [registry],
  });
  const lat = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Latency.',
    labelNames: ['method', 'path'],
    registers: [registry],
  });
  const sum = new Summary({
    name: 'rpc_duration_seconds',
    help: 'RPC.',
    labelNames: ['service'],
    percentiles: [0.5, 0.9, 0.99],
    registers: [registry],
  });
  const methods = ['GET', 'POST', 'PUT', 'DELETE'];
  for (let p = 0; p < 100; p++) {
    const path = `/api/v1/resource/${p}`;
    inflight.set({ path }, p % 7);
    for (const method of methods) {
      for (const code of ['200', '404', '500']) reqs.inc({ method, code, path }, p * 13 + code.length);
      for (let k = 0; k < 5; k++) lat.observe({ method, path }, (p * k) / 997);
    }
  }
  for (let s = 0; s < 20; s++) for (let k = 0; k < 50; k++) sum.observe({ service: `svc-${s}` }, k / 10);
  return registry.metrics();
}

/** The baseline a newcomer writes: split lines, one regex per sample. */
function naiveParse(text: string): number {
  let n = 0;
  const re = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+(\S+))?$/;
  const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:\\.|[^"\\])*)"/g;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = re.exec(line);
    if (!m) throw new Error(`bad line ${line}`);
    const labels: Record<string, string> = {};
    if (m[2]) for (const l of m[2].matchAll(labelRe)) labels[l[1]] = l[2];
    const v = Number(m[3]);
    if (Number.isNaN(v) && m[3] !== 'NaN') throw new Error('bad value');
    n++;
  }
  return n;
}

const ROUNDS = 9;

/** Samples per wall-clock second and per CPU second of `fn` run for up to `ms`. */
function rate(samplesPerRun: number, ms: number, fn: () => unknown): { wall: number; cpu: number } {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let iters = 0;
  while (iters < MAX_ITERS && performance.now() - t0 < ms) {
    fn();
    iters++;
  }
  const c = process.cpuUsage(c0);
  return { wall: (samplesPerRun * iters) / ((performance.now() - t0) / 1000), cpu: (samplesPerRun * iters) / ((c.user + c.system) / 1e6) };
}

/**
 * Interleaved measurement: every round measures each contender for a slice of time, and
 * the median per contender is reported, so load changes on the machine hit all of them
 * alike. Rates per CPU second are printed too: on a shared machine they move less.
 */
function compare(contenders: { label: string; samples: number; fn: () => unknown }[]): number[] {
  for (const c of contenders) {
    const w0 = performance.now();
    for (let k = 0; k < 200 && performance.now() - w0 < MAX_MS / 3; k++) c.fn(); // warm up (JIT)
  }
  const rates: { wall: number; cpu: number }[][] = contenders.map(() => []);
  for (let r = 0; r < ROUNDS; r++) contenders.forEach((c, k) => rates[k].push(rate(c.samples, MAX_MS / 5, c.fn)));
  return rates.map((rs, k) => {
    const wall = median(rs.map((x) => x.wall));
    const cpu = median(rs.map((x) => x.cpu));
    console.log(
      `${contenders[k].label.padEnd(36)} ${(wall / 1e6).toFixed(2).padStart(6)} M samples/s (${(1e6 / wall).toFixed(3)} µs/sample)  ${(cpu / 1e6).toFixed(2).padStart(6)} M samples/CPU-s  (medians of ${ROUNDS})`,
    );
    return cpu;
  });
}

const text = await buildPage(false);
const om = await buildPage(true);
const samples = parseExposition(text, { format: 'text' }).samples;
const omSamples = parseExposition(om, { format: 'openmetrics' }).samples;
console.log(`page: ${samples} samples, ${(text.length / 1024).toFixed(0)} KiB text / ${omSamples} samples OpenMetrics`);

const [ours, oursOm, naive] = compare([
  { label: 'parseExposition text 0.0.4', samples, fn: () => parseExposition(text, { format: 'text', defaultTimestampMs: 1 }) },
  { label: 'parseExposition OpenMetrics 1.0', samples: omSamples, fn: () => parseExposition(om, { format: 'openmetrics' }) },
  { label: 'baseline: naive regex line parser', samples, fn: () => naiveParse(text) },
]);
const renderT0 = performance.now();
const renderC0 = process.cpuUsage();
let renders = 0;
while (renders < 50 && performance.now() - renderT0 < MAX_MS) {
  await buildPage(false);
  renders++;
}
const renderCpu = process.cpuUsage(renderC0);
const renderWall = (samples * renders) / ((performance.now() - renderT0) / 1000);
const renderRate = (samples * renders) / ((renderCpu.user + renderCpu.system) / 1e6);
console.log(
  `${'baseline: prom-client build+render'.padEnd(36)} ${(renderWall / 1e6).toFixed(2).padStart(6)} M samples/s                       ${(renderRate / 1e6).toFixed(2).padStart(6)} M samples/CPU-s  (${renders} runs)`,
);
// Ratios and the goal use the per-CPU-second medians.
console.log(
  `ratio text vs naive: ${(ours / naive).toFixed(2)}x; OpenMetrics vs naive: ${(oursOm / naive).toFixed(2)}x; text vs prom-client render: ${(ours / renderRate).toFixed(2)}x`,
);
console.log(`goal >= 1 M samples/s: ${ours >= 1e6 && oursOm >= 1e6 ? 'met' : 'NOT met'}`);
