/**
 * The two stores the oracle compares: a real Prometheus 2.42 (the Debian package, its own TSDB in a temp dir,
 * remote_write receiver on) and the metrics Worker under `wrangler dev`, each on a free port of 127.0.0.1,
 * both fed the same remote_write bodies.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SeriesBatch } from '@pushpull/contracts/metrics';
import { encodeRemoteWrite } from '@pushpull/wire/remote-write/write-request';
import { freePort } from '../http-semantics/http';
import { root, startWorker, type DevWorker } from '../support/dev-worker';
import { spawnPeer, stopProcess, waitForHttp } from '../support/process';

/** The running pair. */
export interface OracleStack {
  prometheus: string;
  pushpull: string;
  token: string;
  /** The Worker's devtools port (CPU profiles of the Worker and its shards). */
  inspectorPort: number;
  stop(): Promise<void>;
}

const TOKEN = 'oracle-token';

async function startPrometheus(extraConfig = ''): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'pushpull-oracle-prom-'));
  // The out-of-order window lets the data set (hours in the past) be written in any order.
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 15s\nstorage:\n  tsdb:\n    out_of_order_time_window: 1d\n${extraConfig}`,
  );
  let log = '';
  const child: ChildProcess = spawnPeer(
    'prometheus',
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      '--web.enable-remote-write-receiver',
      '--query.lookback-delta=5m',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (d: Buffer): void => {
    log = (log + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`${url}/-/ready`, child, 'prometheus', { okOnly: true, deadlineMs: 30_000 });
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n${log}`, { cause: e });
  }
  return { url, stop };
}

/**
 * Starts Prometheus and the metrics Worker (with `workerVars` besides its token); on any failure stops what
 * already started.
 */
export async function startOracleStack(
  options: { prometheusConfig?: string; workerVars?: Record<string, string> } = {},
): Promise<OracleStack> {
  const prom = await startPrometheus(options.prometheusConfig);
  let worker: DevWorker;
  let inspectorPort: number;
  try {
    const port = await freePort();
    inspectorPort = await freePort();
    const vars = { TELEMETRY: 'off', ...options.workerVars, PUSHPULL_TOKEN: TOKEN };
    worker = await startWorker(join(root, 'workers/metrics/wrangler.toml'), port, vars, '/api/v1/status/buildinfo', {
      bundleFirst: true,
      inspectorPort,
    });
  } catch (e) {
    await prom.stop();
    throw e;
  }
  return {
    prometheus: prom.url,
    pushpull: worker.url,
    token: TOKEN,
    inspectorPort,
    stop: async () => {
      await Promise.allSettled([prom.stop(), worker.stop()]);
    },
  };
}

async function post(url: string, body: Uint8Array, token?: string): Promise<void> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-protobuf',
    'content-encoding': 'snappy',
    'x-prometheus-remote-write-version': '0.1.0',
  };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(url, { method: 'POST', headers, body: body as Uint8Array<ArrayBuffer> });
  const text = await r.text();
  if (r.status !== 204 && r.status !== 200) throw new Error(`remote_write to ${url}: ${r.status} ${text}`);
}

/**
 * Sends the same series to both stores by remote_write, in slices of `sliceMs` (every series' samples of one
 * slice per request, slices in time order, as a Prometheus catching up would send them).
 */
export async function writeBoth(
  stack: Pick<OracleStack, 'prometheus' | 'pushpull' | 'token'>,
  all: readonly SeriesBatch[],
  sliceMs = 30 * 60_000,
): Promise<number> {
  let first = Infinity;
  let last = -Infinity;
  for (const s of all) {
    if (s.timestamps.length === 0) continue;
    first = Math.min(first, s.timestamps[0]);
    last = Math.max(last, s.timestamps[s.timestamps.length - 1]);
  }
  let samples = 0;
  for (let from = first; from <= last; from += sliceMs) {
    const slice: SeriesBatch[] = [];
    for (const s of all) {
      const idx: number[] = [];
      s.timestamps.forEach((t, i) => {
        if (t >= from && t < from + sliceMs) idx.push(i);
      });
      if (idx.length === 0) continue;
      const stale = new Set(s.staleAt ?? []);
      const staleAt: number[] = [];
      idx.forEach((i, j) => {
        if (stale.has(i)) staleAt.push(j);
      });
      slice.push({ labels: s.labels, timestamps: idx.map((i) => s.timestamps[i]), values: idx.map((i) => s.values[i]), staleAt });
      samples += idx.length;
    }
    const body = encodeRemoteWrite(slice);
    await Promise.all([post(`${stack.prometheus}/api/v1/write`, body), post(`${stack.pushpull}/api/v1/write`, body, stack.token)]);
  }
  return samples;
}
