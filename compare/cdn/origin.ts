/**
 * The real Node origin (`origin/server.ts`'s app: validators, per-path Cache-Control rules,
 * conditional requests, `/metrics`) served over real HTTP with an observer in front of it that
 * counts, per mode (the first path segment), what reached the origin: requests, 200s, 304s,
 * body bytes as streamed, and the bytes of 200s whose content the edge already had (the
 * seed's "redundant traffic": the same ETag as the last answer for that path).
 *
 * Mode (a) "pull with a TTL and no validators" needs an origin that sends none: for paths
 * under a prefix in `withoutValidators` the observer drops `ETag` and `Last-Modified` from the
 * origin's answers and the conditionals from the requests, exactly what an origin without
 * validators answers. Everything else is the origin's own answer, untouched.
 *
 * It runs in a process of its own (`origin-main.ts`, started by {@link startOriginProcess}), so
 * that the load generator's work never delays the origin's answers; the counts are read over
 * HTTP at `/__observer/counts` (and cleared with `POST /__observer/reset`), which are not counted.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type Http2Bindings, type HttpBindings } from '@hono/node-server';
import { createOriginApp } from '../../origin/server';
import type { CachePolicy } from '../../origin/cache-control-rules';

/** What reached the origin for one mode. */
export interface OriginCounts {
  requests: number;
  ok200: number;
  notModified304: number;
  /** Body bytes streamed (headers excluded). */
  bytes: number;
  /** Body bytes of 200s for content the edge had already been sent (same ETag as the last answer for that path). */
  redundantBytes: number;
  redundantResponses: number;
}

const emptyCounts = (): OriginCounts => ({ requests: 0, ok200: 0, notModified304: 0, bytes: 0, redundantBytes: 0, redundantResponses: 0 });

/** A running observed origin (in this process). */
export interface ObservedOrigin {
  url: string;
  /** Counts per mode (first path segment) since the last {@link ObservedOrigin.reset}. */
  counts(): Record<string, OriginCounts>;
  reset(): void;
  close(): Promise<void>;
}

/** What the origin process is started with. */
export interface OriginProcessConfig {
  dir: string;
  policy: CachePolicy;
  withoutValidators: string[];
}

/** The origin's own prom-client counters (`/metrics`), summed over every label. */
export async function originOwnMetrics(url: string): Promise<{ requests: number; responseBytes: number; notModified: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sum = (name: string): number =>
    text
      .split('\n')
      .filter((l) => l.startsWith(name))
      .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return {
    requests: sum('origin_http_requests_total'),
    responseBytes: sum('origin_http_response_bytes_total'),
    notModified: sum('origin_http_not_modified_total'),
  };
}

/** Starts the origin on a free port over `dir`, with `policy` as its Cache-Control rules. */
export async function startObservedOrigin(dir: string, policy: CachePolicy, withoutValidators: readonly string[]): Promise<ObservedOrigin> {
  const app = createOriginApp({ dir, cacheControl: policy, defaultMetrics: false });
  let perMode = new Map<string, OriginCounts>();
  /** The ETag last answered (200 or 304) per path: a 200 with the same one re-sent known content. */
  const lastTag = new Map<string, string>();

  // The server speaks HTTP/1.1 only, so its bindings are always HttpBindings.
  const observe = async (request: Request, bindings: HttpBindings | Http2Bindings): Promise<Response> => {
    const env = bindings as HttpBindings;
    const path = new URL(request.url).pathname;
    if (path === '/metrics') return app.fetch(request, env);
    if (path === '/__observer/counts') return Response.json(Object.fromEntries(perMode));
    if (path === '/__observer/reset' && request.method === 'POST') {
      perMode = new Map();
      return new Response(null, { status: 204 });
    }
    const mode = path.split('/')[1] ?? '';
    const counts = perMode.get(mode) ?? emptyCounts();
    perMode.set(mode, counts);
    const strip = withoutValidators.some((p) => path.startsWith(p));
    let forwarded = request;
    if (strip) {
      const headers = new Headers(request.headers);
      for (const h of ['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range']) headers.delete(h);
      forwarded = new Request(request, { headers });
    }
    const res = await app.fetch(forwarded, env);
    counts.requests++;
    const tag = res.headers.get('etag');
    if (res.status === 304) counts.notModified304++;
    let redundant = false;
    if (res.status === 200) {
      counts.ok200++;
      redundant = tag !== null && lastTag.get(path) === tag;
      if (redundant) counts.redundantResponses++;
    }
    if (tag !== null && (res.status === 200 || res.status === 304)) lastTag.set(path, tag);
    const headers = new Headers(res.headers);
    if (strip) {
      headers.delete('etag');
      headers.delete('last-modified');
    }
    if (res.body === null || request.method === 'HEAD') return new Response(res.body, { status: res.status, headers });
    const counted = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          counts.bytes += chunk.byteLength;
          if (redundant) counts.redundantBytes += chunk.byteLength;
          controller.enqueue(chunk);
        },
      }),
    );
    return new Response(counted, { status: res.status, headers });
  };

  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: observe, port: 0, hostname: '127.0.0.1' }, () => resolve(s)) as Server;
    s.once('error', reject);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    counts: () => Object.fromEntries([...perMode].map(([k, v]) => [k, { ...v }])),
    reset: () => {
      perMode = new Map();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
