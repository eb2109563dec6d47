// The Grafana replay: the requests Grafana's Prometheus data source sends for its health check, its metric
// browser, the variables and every panel of the Node Exporter Full dashboard (grafana.com 1860, read from
// ../shared/grafana/), sent to pushpull and to a Prometheus 2.42 holding the same samples, the answers compared
// as the oracle compares them. The samples: one real node_exporter page (this machine's), its counters advancing
// and its gauges moving for an hour at 15 s, written into both stores by remote_write. The replay has a pair of
// its own (not the oracle's, which runs at the same time in another vitest worker): no file sees another's data.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SeriesBatch } from '@pushpull/contracts/metrics';
import { parseExposition } from '@pushpull/wire/prometheus-text/exposition';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from '../support/dev-worker';
import { spawnPeer, stopProcess, waitForHttp } from '../support/process';
import { freePort } from '../http-semantics/http';
import { ask as askApi, difference, type ApiAnswer } from './compare';
import { startOracleStack, writeBoth, type OracleStack } from './stack';

let stack: OracleStack | undefined;
let prometheus = '';
let pushpull = '';

const DASHBOARD = join(root, '..', 'shared', 'grafana', 'node-exporter-full.json');
const JOB = 'node';
const INSTANCE = 'replay:9100';
const STEP_MS = 15_000;
const POINTS = 240; // one hour
// A whole hour, 2 h ago, samples at +0.25 s, instants at +0.5 s.
const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
const start = base / 1000 + 1800.5;
const end = base / 1000 + 3540.5;
// Grafana's $__rate_interval: max($__interval + scrape interval, 4 × scrape interval) = 1m at a 15 s scrape.
const RATE_INTERVAL = '1m';

interface Target {
  expr: string;
  instant?: boolean;
  range?: boolean;
  hide?: boolean;
}

function dashboardTargets(): Target[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Array<{ panels?: unknown[]; targets?: Target[] }> };
  const out: Target[] = [];
  const walk = (panels: Array<{ panels?: unknown[]; targets?: Target[] }>): void => {
    for (const p of panels) {
      if (p.panels) walk(p.panels as typeof panels);
      for (const t of p.targets ?? []) if (typeof t.expr === 'string' && t.expr.trim() !== '') out.push(t);
    }
  };
  walk(dashboard.panels);
  return out;
}

const substitute = (expr: string, nodename: string): string =>
  expr
    .replaceAll('$__rate_interval', RATE_INTERVAL)
    .replaceAll('${node}', INSTANCE)
    .replaceAll('$node', INSTANCE)
    .replaceAll('$job', JOB)
    .replaceAll('$nodename', nodename);

/** A small deterministic hash of a series' labels: its rate and phase. */
function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0) / 2 ** 32;
}

/** One real node_exporter page, as an hour of samples. */
async function nodeExporterSeries(): Promise<SeriesBatch[]> {
  const port = await freePort();
  const child = spawnPeer('prometheus-node-exporter', 'prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${port}`], {
    stdio: 'ignore',
  });
  let page: string;
  try {
    await waitForHttp(`http://127.0.0.1:${port}/metrics`, child, 'node_exporter', { okOnly: true });
    page = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  } finally {
    await stopProcess(child);
  }
  const parsed = parseExposition(page, { format: 'text' });
  const out: SeriesBatch[] = [];
  for (const family of parsed.families) {
    const counting = family.type === 'counter' || family.type === 'histogram' || family.type === 'summary';
    for (const s of family.samples) {
      const labels: Record<string, string> = { __name__: s.name };
      for (let i = 0; i < s.labels.length; i += 2) labels[s.labels[i]] = s.labels[i + 1];
      labels.job = JOB;
      labels.instance = INSTANCE;
      const h = hash(JSON.stringify(labels));
      const quantile = 'quantile' in labels;
      const timestamps: number[] = [];
      const values: number[] = [];
      for (let k = 0; k < POINTS; k++) {
        timestamps.push(base + k * STEP_MS + 250);
        const v0 = Number.isFinite(s.value) ? s.value : 0;
        if (counting && !quantile) values.push(v0 + k * Math.round(h * 1000) * (s.name.endsWith('_bucket') ? 1 : 0.5));
        else if (s.name.endsWith('_info') || v0 === 0 || v0 === 1) values.push(v0);
        else values.push(v0 * (1 + 0.02 * Math.sin(k / 12 + h * 6)));
      }
      out.push({ labels, timestamps, values });
    }
  }
  out.push({
    labels: { __name__: 'up', job: JOB, instance: INSTANCE },
    timestamps: Array.from({ length: POINTS }, (_, k) => base + k * STEP_MS + 250),
    values: Array.from({ length: POINTS }, () => 1),
  });
  return out;
}

/** A Grafana request: GET, or a form POST as its data source sends queries. */
function ask(url: string, path: string, form?: Record<string, string>): Promise<ApiAnswer> {
  const init: RequestInit | undefined = form
    ? { method: 'POST', body: new URLSearchParams(form), headers: { 'content-type': 'application/x-www-form-urlencoded' } }
    : undefined;
  return askApi(url, path, init);
}

/** Compares one Grafana request on both; string lists (labels, values) as sets. */
async function same(path: string, form?: Record<string, string>): Promise<string | undefined> {
  const [ours, theirs] = await Promise.all([ask(pushpull, path, form), ask(prometheus, path, form)]);
  const a = ours.body as { status: string; data: unknown };
  const b = theirs.body as { status: string; data: unknown };
  if (Array.isArray(a.data) && Array.isArray(b.data) && a.data.every((x) => typeof x === 'string')) {
    const sa = new Set(a.data);
    const sb = new Set(b.data as string[]);
    const onlyOurs = [...sa].filter((x) => !sb.has(x));
    const onlyTheirs = [...sb].filter((x) => !sa.has(x));
    if (ours.status === theirs.status && onlyOurs.length === 0 && onlyTheirs.length === 0) return undefined;
    const only = `only pushpull ${JSON.stringify(onlyOurs)}; only Prometheus ${JSON.stringify(onlyTheirs)}`;
    return `status ${ours.status} vs ${theirs.status}; ${only}`;
  }
  return difference(ours, theirs);
}

let nodename = '';
const window = `start=${start}&end=${end}`;

beforeAll(async () => {
  const series = await nodeExporterSeries();
  stack = await startOracleStack();
  prometheus = stack.prometheus;
  pushpull = stack.pushpull;
  await writeBoth(stack, series, 10 * 60_000);
  const uname = series.find((s) => s.labels.__name__ === 'node_uname_info');
  nodename = uname?.labels.nodename ?? '';
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('Grafana replay: pushpull answers as Prometheus 2.42 does', () => {
  it('health check, build info and the metric browser', async () => {
    const diffs: string[] = [];
    const check = async (label: string, path: string, form?: Record<string, string>): Promise<void> => {
      const d = await same(path, form);
      if (d) diffs.push(`${label}: ${d}`);
    };
    // Grafana's "Save & test": an instant `1+1`, then the build info it reads the flavour from.
    await check('health 1+1', 'query', { query: '1+1', time: String(end) });
    const info = (await ask(pushpull, 'status/buildinfo')).body as { status: string; data: { version: string } };
    expect(info.status).toBe('success');
    expect(Number(info.data.version.split('.')[0])).toBeGreaterThanOrEqual(2);
    // The metric browser: metric names, label names, then a metric's label values.
    await check('metric names', `label/__name__/values?${window}`);
    await check('label names', `labels?${window}`);
    await check('series of a metric', `series?match[]=${encodeURIComponent('node_cpu_seconds_total')}&${window}`);
    await check('labels of a metric', `labels?match[]=${encodeURIComponent('node_cpu_seconds_total')}&${window}`);
    expect(diffs, diffs.join('\n')).toEqual([]);
  });

  it("the dashboard's variables: label_values(...) as Grafana asks them", async () => {
    const diffs: string[] = [];
    for (const [name, match] of [
      ['job', 'node_uname_info'],
      ['nodename', `node_uname_info{job="${JOB}"}`],
      ['instance', `node_uname_info{job="${JOB}", nodename="${nodename}"}`],
    ]) {
      const d = await same(`label/${name}/values?match[]=${encodeURIComponent(match)}&${window}`);
      if (d) diffs.push(`${name}: ${d}`);
    }
    expect(nodename).not.toBe('');
    expect(diffs, diffs.join('\n')).toEqual([]);
  });

  it('every panel query of Node Exporter Full, as its panels send them', async () => {
    const targets = dashboardTargets();
    expect(targets.length).toBeGreaterThan(250);
    const diffs: string[] = [];
    let nonEmpty = 0;
    for (const t of targets) {
      const query = substitute(t.expr, nodename);
      const form: { path: string; body: Record<string, string> } =
        t.instant && !t.range
          ? { path: 'query', body: { query, time: String(end) } }
          : { path: 'query_range', body: { query, start: String(start), end: String(end), step: '60' } };
      const [ours, theirs] = await Promise.all([ask(pushpull, form.path, form.body), ask(prometheus, form.path, form.body)]);
      const d = difference(ours, theirs);
      if (d) diffs.push(`${query}\n    ${d}`);
      const result = (theirs.body as { data?: { result?: unknown[] } }).data?.result;
      if (Array.isArray(result) && result.length > 0) nonEmpty++;
    }
    // The replay means something only if most panels have data on this machine's page.
    expect(nonEmpty).toBeGreaterThan(targets.length / 2);
    expect(diffs, diffs.join('\n')).toEqual([]);
  });
});
