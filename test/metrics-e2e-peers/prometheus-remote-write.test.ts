import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawnError, spawnPeer, stopProcess } from '../support/process';

const url = inject('metricsUrl');
const token = inject('metricsToken');
const PROM_PORT = 19020;
const PROM = `http://127.0.0.1:${PROM_PORT}`;
/** How long Prometheus remote_writes into pushpull before the checks. */
const RUN_MS = 60_000;

let prometheus: ChildProcess | undefined;
let dir = '';
let startedAt = 0;
let log = '';

async function waitReady(deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const failed = prometheus && spawnError(prometheus);
    if (failed) throw new Error(`prometheus did not start: ${failed.message}`, { cause: failed });
    try {
      const r = await fetch(`${PROM}/-/ready`);
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`prometheus did not become ready:\n${log.slice(-2000)}`);
}

/** Sum of every sample of a metric on Prometheus's own /metrics page. */
async function promMetric(name: string): Promise<number | undefined> {
  const text = await (await fetch(`${PROM}/metrics`)).text();
  let found: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) found = (found ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return found;
}

async function apiData(base: string, path: string): Promise<unknown> {
  const r = await fetch(`${base}${path}`);
  const body = (await r.json()) as { status: string; data: unknown };
  expect(r.status, `${base}${path}`).toBe(200);
  return body.data;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pushpull-prometheus-'));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `
global:
  scrape_interval: 2s
  evaluation_interval: 1m
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:${PROM_PORT}']
remote_write:
  - url: ${url}/api/v1/write
    authorization:
      credentials: ${token}
    queue_config:
      batch_send_deadline: 1s
      max_shards: 2
      min_backoff: 100ms
`,
  );
  prometheus = spawnPeer(
    'prometheus',
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--web.listen-address=127.0.0.1:${PROM_PORT}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prometheus.stdout?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  prometheus.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  startedAt = Date.now();
  await waitReady(startedAt + 20_000);
}, 30_000);

afterAll(async () => {
  if (prometheus) await stopProcess(prometheus);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a real Prometheus remote_writing its own metrics into pushpull', () => {
  it('sends for a minute with zero failed samples, and both answer the same queries', async () => {
    await new Promise((r) => setTimeout(r, Math.max(0, startedAt + RUN_MS - Date.now())));

    const failed = await promMetric('prometheus_remote_storage_samples_failed_total');
    const sent =
      (await promMetric('prometheus_remote_storage_samples_total')) ??
      (await promMetric('prometheus_remote_storage_succeeded_samples_total'));
    expect(failed, 'prometheus_remote_storage_samples_failed_total must be present').toBeDefined();
    expect(failed).toBe(0);
    expect(sent).toBeGreaterThan(5_000);
    console.log(`prometheus remote_write: ${sent} samples sent, ${failed} failed in ${Math.round((Date.now() - startedAt) / 1000)} s`);

    // Compare at an instant a few seconds back, so every sample up to it has been delivered.
    const t = (Math.floor(Date.now() / 1000) - 8).toString();
    for (const q of ['up', 'prometheus_http_requests_total{handler="/metrics"}', 'prometheus_tsdb_head_series', 'scrape_samples_scraped']) {
      const path = `/api/v1/query?query=${encodeURIComponent(q)}&time=${t}`;
      const ours = (await apiData(url, path)) as { resultType: string; result: unknown[] };
      const theirs = (await apiData(PROM, path)) as { resultType: string; result: unknown[] };
      expect(ours.resultType).toBe('vector');
      expect(ours.result.length, q).toBeGreaterThan(0);
      expect(ours, q).toEqual(theirs);
    }
    const start = Number(t) - 30;
    const query = encodeURIComponent('prometheus_http_requests_total{handler="/metrics"}');
    const rangePath = `/api/v1/query_range?query=${query}&start=${start}&end=${t}&step=5`;
    const ourRange = (await apiData(url, rangePath)) as { result: { values: unknown[] }[] };
    expect(ourRange.result[0].values).toHaveLength(7);
    expect(ourRange).toEqual(await apiData(PROM, rangePath));
  }, 90_000);
});
