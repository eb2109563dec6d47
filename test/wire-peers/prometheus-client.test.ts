// Cross-check against a real remote_write client: the Debian `prometheus` binary scrapes a page served
// here and remote_writes what it scraped back to this process, where decodeRemoteWrite must accept every
// request and see the values (NaN, ±Inf) and, once a series disappears from the page, its staleness marker.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeriesBatch } from '@pushpull/contracts/metrics';
import { decodeRemoteWrite, encodeRemoteWrite, type RemoteWriteResult } from '@pushpull/wire/remote-write/write-request';
import { spawnError, spawnPeer, stopProcess } from '../support/process';

const WAIT_MS = 45_000;

interface Received {
  headers: IncomingHttpHeaders;
  body: Uint8Array;
  result: RemoteWriteResult;
}

let server: Server;
let prometheus: ChildProcess | undefined;
let dir = '';
let showGauge = true;
const received: Received[] = [];
let prometheusLog = '';

function page(): string {
  return [
    '# TYPE pp_nan gauge',
    'pp_nan NaN',
    '# TYPE pp_inf gauge',
    'pp_inf{sign="plus"} +Inf',
    'pp_inf{sign="minus"} -Inf',
    ...(showGauge ? ['# TYPE pp_gauge gauge', 'pp_gauge{k="a"} 42.5'] : []),
    '',
  ].join('\n');
}

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(page());
      return;
    }
    if (req.method === 'POST' && req.url === '/api/v1/write') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = new Uint8Array(Buffer.concat(chunks));
        const result = decodeRemoteWrite(body, { maxDecompressedBytes: 32 << 20 });
        received.push({ headers: req.headers, body, result });
        res.writeHead(result.refused ? 400 : 204).end();
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  dir = mkdtempSync(join(tmpdir(), 'pp-prom-'));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: pp',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${port}']`,
      'remote_write:',
      `  - url: http://127.0.0.1:${port}/api/v1/write`,
      '    queue_config:',
      '      batch_send_deadline: 1s',
      '      min_backoff: 100ms',
      '      max_backoff: 1s',
      '',
    ].join('\n'),
  );
  prometheus = spawnPeer(
    'prometheus',
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      '--web.listen-address=127.0.0.1:0',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  prometheus.stderr?.on('data', (d: Buffer) => {
    prometheusLog = (prometheusLog + d.toString()).slice(-4000);
  });
});

afterAll(async () => {
  if (prometheus) await stopProcess(prometheus);
  await new Promise((resolve) => server.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function allSeries(name: string): SeriesBatch[] {
  return received.flatMap((r) => r.result.series.filter((s) => s.labels.__name__ === name));
}

async function waitFor(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; prometheus log:\n${prometheusLog}`);
    const failed = prometheus && spawnError(prometheus);
    if (failed) throw new Error(`prometheus did not start: ${failed.message}`, { cause: failed });
    if (prometheus?.exitCode !== null && prometheus?.exitCode !== undefined) throw new Error(`prometheus exited: ${prometheusLog}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('decodeRemoteWrite against a real Prometheus remote_write client', () => {
  it(
    'accepts every request Prometheus sends, with its values, and sees the staleness marker of a vanished series',
    async () => {
      await waitFor('pp_gauge samples', () => allSeries('pp_gauge').length > 0 && allSeries('pp_inf').length >= 2);
      showGauge = false;
      await waitFor('the staleness marker of pp_gauge', () => allSeries('pp_gauge').some((s) => (s.staleAt ?? []).length > 0));

      for (const r of received) {
        expect(r.result.refused).toBeUndefined();
        expect(r.result.errors).toEqual([]);
        expect(r.headers['content-encoding']).toBe('snappy');
        expect(r.headers['content-type']).toBe('application/x-protobuf');
        expect(r.headers['x-prometheus-remote-write-version']).toBe('0.1.0');
      }

      const gauge = allSeries('pp_gauge');
      expect(gauge[0].labels).toMatchObject({ __name__: 'pp_gauge', k: 'a', job: 'pp' });
      const values = gauge.flatMap((s) => s.values.map((v, i) => ((s.staleAt ?? []).includes(i) ? 'stale' : v)));
      expect(values[0]).toBe(42.5);
      expect(values.at(-1)).toBe('stale');
      expect(values.filter((v) => v !== 42.5 && v !== 'stale')).toEqual([]);

      // A scraped NaN is an ordinary NaN, not a staleness marker.
      const nan = allSeries('pp_nan');
      expect(nan.length).toBeGreaterThan(0);
      expect(nan.every((s) => s.values.every((v) => Number.isNaN(v)) && (s.staleAt ?? []).length === 0)).toBe(true);
      const inf = Object.fromEntries(allSeries('pp_inf').map((s) => [s.labels.sign, s.values[0]]));
      expect(inf).toEqual({ plus: Number.POSITIVE_INFINITY, minus: Number.NEGATIVE_INFINITY });
      expect(allSeries('up').some((s) => s.values.includes(1))).toBe(true);

      // Our encoder re-encodes what Prometheus sent into a body that decodes to the same series.
      for (const r of received) {
        const again = decodeRemoteWrite(encodeRemoteWrite(r.result.series), { maxDecompressedBytes: 32 << 20 });
        expect(again.errors).toEqual([]);
        expect(again.series.map(comparable)).toEqual(r.result.series.map(comparable));
      }
    },
    WAIT_MS * 2 + 10_000,
  );
});

function comparable(s: SeriesBatch) {
  return {
    labels: s.labels,
    timestamps: s.timestamps,
    values: s.values.map((v) => (Number.isNaN(v) ? 'NaN' : v)),
    staleAt: s.staleAt ?? [],
  };
}
