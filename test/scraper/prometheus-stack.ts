/**
 * A real Prometheus (Debian `prometheus`, 2.42) and node_exporter (Debian
 * `prometheus-node-exporter`) on 127.0.0.1, for the parity test: Prometheus scrapes the same
 * targets with the same scrape configuration the scraper is given, so their stored series
 * can be diffed. Ports 19100 (Prometheus) and 19101 (node_exporter).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PROMETHEUS_PORT = 19100;
export const NODE_EXPORTER_PORT = 19101;

export interface PrometheusStack {
  prometheusUrl: string;
  nodeExporter: string;
  /** The scrape configuration both sides use (JSON is YAML, so Prometheus reads it as is). */
  config: { global: Record<string, string>; scrape_configs: Record<string, unknown>[] };
  close(): Promise<void>;
}

async function waitFor(url: string, deadlineMs: number, child: ChildProcess, name: string): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} did not answer ${url} within ${deadlineMs} ms`);
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts node_exporter and Prometheus scraping node_exporter, the origin and the good test page. */
export async function startPrometheusStack(originPort: number, targetsPort: number, togglePort: number): Promise<PrometheusStack> {
  const dir = mkdtempSync(join(tmpdir(), 'pushpull-parity-'));
  const nodeExporter = `127.0.0.1:${NODE_EXPORTER_PORT}`;
  const config = {
    global: { scrape_interval: '2s', scrape_timeout: '2s' },
    scrape_configs: [
      { job_name: 'parity-node', static_configs: [{ targets: [nodeExporter] }] },
      { job_name: 'parity-origin', static_configs: [{ targets: [`127.0.0.1:${originPort}`], labels: { side: 'origin' } }] },
      { job_name: 'parity-app', metrics_path: '/good', static_configs: [{ targets: [`127.0.0.1:${targetsPort}`] }] },
      { job_name: 'parity-om', metrics_path: '/om-promclient', static_configs: [{ targets: [`127.0.0.1:${targetsPort}`] }] },
      { job_name: 'parity-toggle', static_configs: [{ targets: [`127.0.0.1:${togglePort}`] }] },
    ],
  };
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config));
  const ne = spawn('/usr/bin/prometheus-node-exporter', [`--web.listen-address=${nodeExporter}`], { stdio: 'ignore' });
  const prom = spawn('/usr/bin/prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${PROMETHEUS_PORT}`,
    '--log.level=warn',
  ], { stdio: 'ignore' });
  const close = async () => {
    await Promise.all([stop(prom), stop(ne)]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(`http://${nodeExporter}/metrics`, 20_000, ne, 'node_exporter');
    await waitFor(`http://127.0.0.1:${PROMETHEUS_PORT}/-/ready`, 30_000, prom, 'prometheus');
  } catch (err) {
    await close();
    throw err;
  }
  return { prometheusUrl: `http://127.0.0.1:${PROMETHEUS_PORT}`, nodeExporter, config, close };
}
