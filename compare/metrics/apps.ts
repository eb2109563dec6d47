/**
 * Simulated applications for the metrics comparison: each is a real HTTP server (node:http,
 * in this process, on a free port) exposing `/metrics` in the Prometheus text format, and can
 * push the same series as Influx line protocol, Prometheus remote_write or a Pushgateway PUT.
 * Each counts the requests it served and sent and their bytes: the load on the source.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SeriesBatch } from '@pushpull/contracts/metrics';
import { encodeRemoteWrite } from '@pushpull/wire/remote-write/write-request';

/** How a source delivers its samples. */
export type Delivery = 'pull' | 'influx' | 'remote_write' | 'pushgateway';

/** The load one source carried. */
export interface SourceLoad {
  served: number;
  servedBytes: number;
  sent: number;
  sentBytes: number;
  failed: number;
}

/** One simulated application. */
export class SimulatedApp {
  readonly load: SourceLoad = { served: 0, servedBytes: 0, sent: 0, sentBytes: 0, failed: 0 };
  private server: Server | undefined;
  private ticks = 0;
  /** False: the process is "gone": every connection is dropped without an answer. */
  alive = true;
  port = 0;

  /**
   * @param name instance name (`app-17`)
   * @param series series on the page (counters and gauges)
   */
  constructor(
    readonly name: string,
    readonly series: number,
    private readonly page?: () => string,
  ) {}

  /** Starts listening on a free port of 127.0.0.1. */
  async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      if (!this.alive) {
        req.socket.destroy();
        return;
      }
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      const body = this.page ? this.page() : this.exposition();
      this.load.served++;
      this.load.servedBytes += Buffer.byteLength(body);
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** `host:port` as a scrape target. */
  get target(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The series' current values: counters grow with every look, gauges move. */
  private values(): Array<{ name: string; labels: Record<string, string>; value: number }> {
    this.ticks++;
    const out: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
    for (let i = 0; i < this.series; i++) {
      out.push(
        i % 2 === 0
          ? { name: 'app_requests_total', labels: { route: `r${i}` }, value: this.ticks * (i + 1) }
          : { name: 'app_queue_depth', labels: { queue: `q${i}` }, value: (this.ticks * 7 + i) % 50 },
      );
    }
    return out;
  }

  /** The `/metrics` page (text 0.0.4). */
  exposition(): string {
    const lines = ['# TYPE app_requests_total counter', '# TYPE app_queue_depth gauge'];
    for (const v of this.values()) {
      const labels = Object.entries(v.labels)
        .map(([k, x]) => `${k}="${x}"`)
        .join(',');
      lines.push(`${v.name}{${labels}} ${v.value}`);
    }
    return lines.join('\n') + '\n';
  }

  /** Pushes the current values to the metrics Worker at `base` in the given format. */
  async push(base: string, token: string, delivery: Exclude<Delivery, 'pull'>, job: string): Promise<void> {
    const now = Date.now();
    const values = this.values();
    let url: string;
    let init: RequestInit;
    if (delivery === 'influx') {
      // One line per series: measurement = the metric name, field `value` (stored as the bare name).
      const body =
        values
          .map(
            (v) =>
              `${v.name},job=${job},instance=${this.name},${Object.entries(v.labels)
                .map(([k, x]) => `${k}=${x}`)
                .join(',')} value=${v.value} ${now}`,
          )
          .join('\n') + '\n';
      url = `${base}/api/v2/write?org=compare&bucket=compare&precision=ms`;
      init = { method: 'POST', headers: { authorization: `Token ${token}` }, body };
    } else if (delivery === 'remote_write') {
      const batches: SeriesBatch[] = values.map((v) => ({
        labels: { __name__: v.name, job, instance: this.name, ...v.labels },
        timestamps: [now],
        values: [v.value],
      }));
      url = `${base}/api/v1/write`;
      init = {
        method: 'POST',
        body: new Uint8Array(encodeRemoteWrite(batches)),
        headers: {
          authorization: `Bearer ${token}`,
          'content-encoding': 'snappy',
          'content-type': 'application/x-protobuf',
          'x-prometheus-remote-write-version': '0.1.0',
        },
      };
    } else {
      url = `${base}/metrics/job/${job}/instance/${this.name}`;
      init = { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: this.exposition() };
    }
    const size = typeof init.body === 'string' ? Buffer.byteLength(init.body) : init.body instanceof Uint8Array ? init.body.byteLength : 0;
    this.load.sent++;
    this.load.sentBytes += size;
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
      await res.arrayBuffer();
      if (!res.ok) this.load.failed++;
    } catch {
      this.load.failed++;
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

/** Starts `n` apps with `series` series each. */
export async function startApps(prefix: string, n: number, series: number): Promise<SimulatedApp[]> {
  const apps = Array.from({ length: n }, (_, i) => new SimulatedApp(`${prefix}-${i}`, series));
  for (let i = 0; i < apps.length; i += 50) await Promise.all(apps.slice(i, i + 50).map((a) => a.listen()));
  return apps;
}

/** Closes every app. */
export async function closeApps(apps: readonly SimulatedApp[]): Promise<void> {
  await Promise.all(apps.map((a) => a.close()));
}
