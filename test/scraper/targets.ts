/**
 * Real HTTP scrape targets for the scraper's tests (Node servers on 127.0.0.1, port 0):
 *
 *   /good            text 0.0.4 page (counter, histogram, gauge with `job`/`instance` labels)
 *   /openmetrics     OpenMetrics page (Content-Type application/openmetrics-text)
 *   /om-promclient   prom-client's OpenMetrics output (exemplars, _created where it writes them)
 *   /gzip            the good page gzip-compressed (Content-Encoding: gzip)
 *   /hang            answers nothing, ever (until the client goes away)
 *   /big             50 MB body with Content-Length
 *   /big-chunked     50 MB body, chunked (no Content-Length)
 *   /endless         a body that never ends (chunks every few ms, stops when the client leaves; bounded to 60 s)
 *   /bad-utf8        a page with invalid UTF-8 in a label value
 *   /duplicate       the same series twice
 *   /many?n=N        N series (default 1000)
 *   /malformed       a syntax error on line 3
 *   /status500       HTTP 500
 *   /redirect?n=N    302 to /redirect?n=N-1, and at n=0 to /redirected (the good page); /redirect-cross: 301 to
 *                    http://localhost:<port>/redirected (another host name); /redirect-nowhere: 302 without Location
 *   /far-future      a sample stamped 9e15 ms (past the largest JavaScript date) and one without a timestamp
 *   /long-labels     one series whose label value (3000 bytes) is longer than the store's MAX_LABEL_VALUE_LENGTH, and one short
 *   /slow?id=N       answers after 300 ms; GET /control/slow-max → most in flight at once (then resets)
 *   /vanish          first answers series a,b,c; after POST /control/vanish only a
 *   /last-request?path=/good[&ua=Prometheus]   the headers of the last request to that path
 *                    (from that client: the User-Agent's product name) as JSON
 *
 * A second server ("toggle") serves the good page and can be stopped and restarted on the
 * same port: POST /control/toggle-stop, POST /control/toggle-start on the main server; a third
 * ("toggle2", for the parity test) likewise with /control/toggle2-stop and /control/toggle2-start.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';

/** A real OpenMetrics producer: prom-client's registry in OpenMetrics mode, with exemplars. */
function promClientOpenMetrics(): Registry<'application/openmetrics-text; version=1.0.0; charset=utf-8'> {
  const r = new Registry<'application/openmetrics-text; version=1.0.0; charset=utf-8'>();
  r.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  const c = new Counter({
    name: 'omc_requests',
    help: 'Requests with "quotes" and \\ backslash.',
    labelNames: ['code'] as string[],
    registers: [r],
    enableExemplars: true,
  });
  c.inc({ labels: { code: '200' }, value: 3, exemplarLabels: { trace_id: 'abc123' } });
  c.inc({ labels: { code: '500' }, value: 1 });
  const h = new Histogram({
    name: 'omc_latency_seconds',
    help: 'Latency.',
    labelNames: ['route'] as string[],
    buckets: [0.1, 1],
    registers: [r],
    enableExemplars: true,
  });
  h.observe({ labels: { route: '/a' }, value: 0.05, exemplarLabels: { trace_id: 'def' } });
  h.observe({ labels: { route: '/b' }, value: 2 });
  new Gauge({ name: 'omc_temperature', help: 'T.', registers: [r] }).set(-3.5);
  new Summary({ name: 'omc_job_seconds', help: 'S.', percentiles: [0.5, 0.9], registers: [r] }).observe(1.5);
  return r;
}

/** The good page (text 0.0.4); `app_with_ts` carries its own timestamp, 5 s in the past. */
const goodPage = (nowMs = Date.now()): string => `# HELP app_requests_total Requests served.
# TYPE app_requests_total counter
app_requests_total{method="GET",code="200"} 1027
app_requests_total{method="POST",code="500"} 3
# HELP app_latency_seconds Latency.
# TYPE app_latency_seconds histogram
app_latency_seconds_bucket{le="0.1"} 5
app_latency_seconds_bucket{le="1"} 9
app_latency_seconds_bucket{le="+Inf"} 10
app_latency_seconds_sum 3.5
app_latency_seconds_count 10
# TYPE app_info gauge
app_info{job="app-says-job",instance="app-says-instance",version="1.2.3"} 1
# A sample with its own timestamp (ms):
app_with_ts 42 ${Math.floor(nowMs / 1000) * 1000 - 5000}
`;

const OM_PAGE = `# TYPE om_events counter
# HELP om_events Events.
om_events_total{kind="a"} 5 # {trace_id="abc"} 1 1700000000.5
om_events_created{kind="a"} 1700000000.0
# TYPE om_temp_celsius gauge
# UNIT om_temp_celsius celsius
om_temp_celsius 21.5
# EOF
`;

export interface TargetServers {
  port: number;
  togglePort: number;
  toggle2Port: number;
  close(): Promise<void>;
}

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Starts the targets. */
export async function startTargets(): Promise<TargetServers> {
  const last = new Map<string, Record<string, string | string[] | undefined>>();
  let vanished = false;
  let slowInFlight = 0;
  let slowMax = 0;
  const timers = new Set<NodeJS.Timeout>();

  const text = (
    res: ServerResponse,
    body: string | Buffer,
    type = 'text/plain; version=0.0.4; charset=utf-8',
    extra: Record<string, string> = {},
  ) => {
    res.writeHead(200, { 'content-type': type, 'content-length': String(Buffer.byteLength(body)), ...extra });
    res.end(body);
  };

  const omRegistry = promClientOpenMetrics();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    last.set(url.pathname, req.headers);
    // Also by client (the User-Agent's product: Prometheus, pushpull-scraper, ...).
    last.set(`${url.pathname}|${(req.headers['user-agent'] ?? '').split('/')[0]}`, req.headers);
    switch (url.pathname) {
      case '/good':
        return text(res, goodPage());
      case '/openmetrics':
        return text(res, OM_PAGE, 'application/openmetrics-text; version=1.0.0; charset=utf-8');
      case '/om-promclient':
        return void omRegistry.metrics().then((body) => text(res, body, omRegistry.contentType));
      case '/gzip':
        return text(res, gzipSync(goodPage()), 'text/plain; version=0.0.4', { 'content-encoding': 'gzip' });
      case '/hang':
        return; // never answers; the connection closes when the client aborts
      case '/big':
      case '/big-chunked': {
        const size = 50 * 1024 * 1024;
        const line = Buffer.from('big_series{label="xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"} 1\n');
        const chunk = Buffer.concat(Array.from({ length: 1024 }, () => line));
        res.writeHead(
          200,
          url.pathname === '/big' ? { 'content-type': 'text/plain', 'content-length': String(size) } : { 'content-type': 'text/plain' },
        );
        let sent = 0;
        const pump = () => {
          while (sent < size) {
            const part = chunk.subarray(0, Math.min(chunk.length, size - sent));
            sent += part.length;
            if (!res.write(part)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('close', () => {
          sent = size;
        });
        return pump();
      }
      case '/endless': {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const started = Date.now();
        let n = 0;
        const t = setInterval(() => {
          if (Date.now() - started > 60_000 || res.destroyed) {
            clearInterval(t);
            timers.delete(t);
            res.end();
            return;
          }
          const lines: string[] = [];
          for (let k = 0; k < 2000; k++) lines.push(`endless_series{n="${n++}"} 1\n`);
          res.write(lines.join(''));
        }, 2);
        timers.add(t);
        res.on('close', () => {
          clearInterval(t);
          timers.delete(t);
        });
        return;
      }
      case '/bad-utf8':
        return text(res, Buffer.concat([Buffer.from('good_one 1\nbad_label{v="'), Buffer.from([0xff, 0xfe, 0x41]), Buffer.from('"} 2\n')]));
      case '/duplicate':
        return text(res, 'dup_series{a="1"} 1\ndup_series{a="1"} 2\n');
      case '/many': {
        const n = Math.min(Number(url.searchParams.get('n') ?? 1000), 2_000_000);
        const lines: string[] = [];
        for (let k = 0; k < n; k++) lines.push(`many_series{n="${k}"} ${k}\n`);
        return text(res, lines.join(''));
      }
      case '/malformed':
        return text(res, 'ok_one 1\nok_two 2\nbroken{a="1" 3\n');
      case '/redirect': {
        const n = Number(url.searchParams.get('n') ?? 0);
        res.writeHead(302, { location: n > 0 ? `/redirect?n=${n - 1}` : '/redirected' });
        return res.end();
      }
      case '/redirect-cross':
        res.writeHead(301, { location: `http://localhost:${port}/redirected` });
        return res.end();
      case '/redirect-nowhere':
        res.writeHead(302);
        return res.end();
      case '/redirected':
        return text(res, goodPage());
      case '/far-future':
        return text(res, 'far_future_sample 1 9000000000000000\nfar_ok 2\n');
      case '/long-labels':
        return text(res, `long_labels{aaa="${'x'.repeat(3000)}"} 1\nshort_labels 2\n`);
      case '/status500':
        res.writeHead(500, { 'content-type': 'text/plain' });
        return res.end('oops');
      case '/slow': {
        slowInFlight++;
        slowMax = Math.max(slowMax, slowInFlight);
        const t = setTimeout(() => {
          timers.delete(t);
          slowInFlight--;
          text(res, `slow_series{id="${url.searchParams.get('id') ?? ''}"} 1\n`);
        }, 300);
        timers.add(t);
        return;
      }
      case '/control/slow-max': {
        const m = slowMax;
        slowMax = 0;
        return text(res, String(m));
      }
      case '/vanish':
        return text(res, vanished ? 'vanish_a 1\n' : 'vanish_a 1\nvanish_b 2\nvanish_c 3\n');
      case '/control/vanish':
        vanished = true;
        return text(res, 'ok');
      case '/control/unvanish':
        vanished = false;
        return text(res, 'ok');
      case '/control/toggle-stop':
        return void toggle.stop().then(() => text(res, 'stopped'));
      case '/control/toggle-start':
        return void toggle.start().then(() => text(res, 'started'));
      case '/control/toggle2-stop':
        return void toggle2.stop().then(() => text(res, 'stopped'));
      case '/control/toggle2-start':
        return void toggle2.start().then(() => text(res, 'started'));
      case '/last-request': {
        const ua = url.searchParams.get('ua');
        const key = (url.searchParams.get('path') ?? '') + (ua === null ? '' : `|${ua}`);
        const h = last.get(key) ?? null;
        return text(res, JSON.stringify(h), 'application/json');
      }
      default:
        res.writeHead(404);
        return res.end();
    }
  };

  const main = createServer(handler);
  const port = await listen(main);

  // Toggled targets: the good page on ports that stay the same across restarts. "toggle"
  // serves scrape.test.ts, "toggle2" the parity test (test files may run at the same time).
  const makeToggle = async () => {
    const serve = () => createServer((req, res) => text(res, goodPage(), undefined, { connection: 'close' }));
    let server: Server | undefined = serve();
    const port = await listen(server);
    return {
      port,
      async stop() {
        if (server !== undefined) await closeServer(server);
        server = undefined;
      },
      async start() {
        if (server !== undefined) return;
        server = serve();
        await listen(server, port);
      },
    };
  };
  const toggle = await makeToggle();
  const toggle2 = await makeToggle();
  const togglePort = toggle.port;

  return {
    port,
    togglePort,
    toggle2Port: toggle2.port,
    async close() {
      for (const t of timers) clearInterval(t);
      await toggle.stop();
      await toggle2.stop();
      await closeServer(main);
    },
  };
}
