/**
 * A real Prometheus (Debian `prometheus`, 2.42) and node_exporter (Debian
 * `prometheus-node-exporter`) on 127.0.0.1, for the parity test: Prometheus scrapes the same
 * targets with the same scrape configuration the scraper is given, so their stored series
 * can be diffed. Ports 19100 (Prometheus) and 19101 (node_exporter).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peerBinary, spawnPeer, stopProcess, waitForHttp } from '../support/process';

const PROMETHEUS_PORT = 19100;
const NODE_EXPORTER_PORT = 19101;

export interface PrometheusStack {
  prometheusUrl: string;
  nodeExporter: string;
  /** The scrape configuration both sides use (JSON is YAML, so Prometheus reads it as is). */
  config: { global: Record<string, string>; scrape_configs: Record<string, unknown>[] };
  close(): Promise<void>;
}

/** Starts node_exporter and Prometheus scraping node_exporter, the origin and the good test page. */
export async function startPrometheusStack(originPort: number, targetsPort: number, togglePort: number): Promise<PrometheusStack> {
  // Both found on PATH before either starts, so that a missing one leaves nothing behind.
  peerBinary('prometheus', 'prometheus');
  peerBinary('prometheus-node-exporter', 'prometheus-node-exporter');
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
  const ne = spawnPeer('prometheus-node-exporter', 'prometheus-node-exporter', [`--web.listen-address=${nodeExporter}`], {
    stdio: 'ignore',
  });
  const prom = spawnPeer(
    'prometheus',
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${PROMETHEUS_PORT}`,
      '--log.level=warn',
    ],
    { stdio: 'ignore' },
  );
  const close = async () => {
    await Promise.all([stopProcess(prom), stopProcess(ne)]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`http://${nodeExporter}/metrics`, ne, 'node_exporter', { deadlineMs: 20_000, okOnly: true });
    await waitForHttp(`http://127.0.0.1:${PROMETHEUS_PORT}/-/ready`, prom, 'prometheus', { deadlineMs: 30_000, okOnly: true });
  } catch (err) {
    await close();
    throw err;
  }
  return { prometheusUrl: `http://127.0.0.1:${PROMETHEUS_PORT}`, nodeExporter, config, close };
}
