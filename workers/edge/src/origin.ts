/**
 * Talking to the configured origin: the only host the edge ever fetches (never an open
 * proxy), with hop-by-hop headers stripped both ways (RFC 9110 §7.6.1) and a deadline.
 */

/** RFC 9110 §7.6.1 hop-by-hop fields, plus the de-facto ones. */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

/** Removes hop-by-hop fields, including those the Connection field names. */
export function stripHopByHop(headers: Headers): Headers {
  const out = new Headers(headers);
  const named = (headers.get('connection') ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const name of [...HOP_BY_HOP, ...named]) out.delete(name);
  return out;
}

/** Why an origin fetch produced no response. */
export class OriginError extends Error {
  constructor(
    readonly kind: 'timeout' | 'unreachable',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The origin URL for a request: the configured origin (and its base path) followed by the
 * request's path and query, byte for byte. Built by concatenation so that a path such as
 * `//evil.example/` can never change the host.
 */
export function originUrl(originBase: string, requestUrl: URL): string {
  const base = new URL(originBase);
  const basePath = base.pathname.replace(/\/+$/, '');
  return `${base.origin}${basePath}${requestUrl.pathname}${requestUrl.search}`;
}

/** Options of one origin fetch. */
export interface OriginFetchOptions {
  method: string;
  headers: Headers;
  body?: ReadableStream<Uint8Array> | null;
  timeoutMs: number;
  clientIp?: string | null;
}

/** Fetches from the origin; throws {@link OriginError} on timeout or connection failure. */
export async function fetchOrigin(originBase: string, requestUrl: URL, options: OriginFetchOptions): Promise<Response> {
  const headers = stripHopByHop(options.headers);
  headers.delete('host');
  headers.set('x-forwarded-host', requestUrl.host);
  headers.set('x-forwarded-proto', requestUrl.protocol.replace(':', ''));
  if (options.clientIp) headers.set('x-forwarded-for', options.clientIp);
  headers.set('via', '1.1 pushpull');
  const hasBody = options.body !== undefined && options.body !== null && options.method !== 'GET' && options.method !== 'HEAD';
  // The deadline covers the response headers only: a slow or long body (a big file, an event
  // stream) is not cut off once the origin has answered.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  try {
    const res = await fetch(originUrl(originBase, requestUrl), {
      method: options.method,
      headers,
      body: hasBody ? options.body : undefined,
      redirect: 'manual',
      signal: controller.signal,
    });
    const out = stripHopByHop(res.headers);
    // Fields the edge uses internally are never taken from the origin.
    for (const name of [...out.keys()]) if (name.startsWith('x-pushpull-')) out.delete(name);
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers: out });
  } catch (err) {
    if (timedOut) throw new OriginError('timeout', `origin did not answer within ${options.timeoutMs} ms`);
    throw new OriginError('unreachable', `origin unreachable: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    clearTimeout(timer);
  }
}
