/**
 * Fetching one target's page as Prometheus 2.x does (`scrape/scrape.go` `targetScraper.scrape`):
 * the same Accept negotiation (OpenMetrics 1.0.0, then 0.0.1, then text 0.0.4),
 * `Accept-Encoding: gzip`, `X-Prometheus-Scrape-Timeout-Seconds`, a deadline on the whole
 * exchange (redirects, headers and body), redirects followed as Go's net/http client follows them
 * (Prometheus's default `follow_redirects: true`), and the body-size limit enforced while the body
 * streams in. Pure apart from `fetch`.
 */
import type { ExpositionFormat } from '@pushpull/wire/prometheus-text/exposition';

/** Prometheus 2.42's Accept header (`scrapeAcceptHeader`). */
const SCRAPE_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** Sent as User-Agent (Prometheus sends `Prometheus/<version>`). */
const SCRAPE_USER_AGENT = 'pushpull-scraper/0.1 (Prometheus/2.42 compatible)';

/** A scrape that failed; the message is what `lastError` shows. */
export class ScrapeError extends Error {
  override readonly name = 'ScrapeError';
}

/** A page read whole. */
export interface FetchedPage {
  text: string;
  format: ExpositionFormat;
  /** Bytes of the (uncompressed) body. */
  bytes: number;
}

/** Options of {@link fetchPage}. */
export interface FetchPageOptions {
  timeoutMs: number;
  bodySizeLimit: number;
  /** Follow redirects (Prometheus's `follow_redirects`, default true); false: a 3xx fails the scrape like any non-2xx. */
  followRedirects?: boolean;
  /** Replaces the global fetch (e.g. a service binding's). */
  fetcher?: (req: Request) => Promise<Response>;
}

/** Statuses Go's http.Client follows (`redirectBehavior`), for a GET. */
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * Go's http.Client refuses to follow once 10 requests were made (`defaultCheckRedirect`:
 * `len(via) >= 10`), so at most 9 redirects are followed; checked against Prometheus 2.42.
 */
const MAX_REQUESTS = 10;

/** The parser for a response's Content-Type (Prometheus 2.x: OpenMetrics by media type, anything else text 0.0.4). */
function formatFor(contentType: string | null): ExpositionFormat {
  const media = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return media === 'application/openmetrics-text' ? 'openmetrics' : 'text';
}

/**
 * GETs `url` and returns its body decoded as UTF-8. Throws {@link ScrapeError} on a
 * non-2xx status, the deadline, a body over the limit (checked against Content-Length
 * first, then while reading, so an endless body fails as soon as it passes the limit) or
 * invalid UTF-8.
 */
export async function fetchPage(url: string, opts: FetchPageOptions): Promise<FetchedPage> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs);
  const deadline = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(new ScrapeError(`Get "${url}": context deadline exceeded`)));
  });
  // Keep the rejection from being reported as unhandled when the scrape finishes in time.
  deadline.catch(() => undefined);
  try {
    // Go's client sends the same headers to every hop (it drops only credentials on a change of host, and a
    // scrape sends none), and reports an error with the URL of that hop as written (the Location for a redirect).
    const headers = {
      accept: SCRAPE_ACCEPT,
      'accept-encoding': 'gzip',
      'user-agent': SCRAPE_USER_AGENT,
      'x-prometheus-scrape-timeout-seconds': (opts.timeoutMs / 1000).toString(),
    };
    let target = new URL(url);
    let written = url;
    let res: Response;
    for (let requests = 1; ; requests++) {
      const req = new Request(target, { headers, signal: controller.signal, redirect: 'manual' });
      try {
        const pending = (opts.fetcher ?? fetch)(req);
        // When the deadline wins the race, the abandoned fetch rejects later: not an unhandled rejection.
        pending.catch(() => undefined);
        res = await Promise.race([pending, deadline]);
      } catch (err) {
        if (err instanceof ScrapeError) throw err;
        throw new ScrapeError(`Get "${written}": ${err instanceof Error ? err.message : String(err)}`);
      }
      const location = res.headers.get('location');
      if (opts.followRedirects === false || !REDIRECT_STATUSES.has(res.status) || location === null) break;
      await res.body?.cancel().catch(() => undefined);
      if (requests >= MAX_REQUESTS) throw new ScrapeError(`Get "${location}": stopped after 10 redirects`);
      try {
        target = new URL(location, target);
      } catch {
        throw new ScrapeError(`Get "${written}": failed to parse Location header ${JSON.stringify(location)}`);
      }
      written = location;
    }
    if (res.status < 200 || res.status > 299) {
      await res.body?.cancel().catch(() => undefined);
      throw new ScrapeError(`server returned HTTP status ${res.status} ${res.statusText}`.trim());
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    const encoding = (res.headers.get('content-encoding') ?? '').toLowerCase();
    // Content-Length of an uncompressed body already tells that it is over the limit.
    if (encoding === '' && declared > opts.bodySizeLimit) {
      await res.body?.cancel().catch(() => undefined);
      throw new ScrapeError(bodyLimitMessage(opts.bodySizeLimit));
    }
    const format = formatFor(res.headers.get('content-type'));
    const { text, bytes } = await readLimited(res, opts.bodySizeLimit, deadline);
    return { text, format, bytes };
  } finally {
    clearTimeout(timer);
  }
}

function bodyLimitMessage(limit: number): string {
  return `body size limit exceeded (${limit} bytes)`;
}

/** Reads the body, stopping (and cancelling the stream) once it passes `limit` bytes. */
async function readLimited(res: Response, limit: number, deadline: Promise<never>): Promise<{ text: string; bytes: number }> {
  if (res.body === null) return { text: '', bytes: 0 };
  // fetch decodes `Content-Encoding: gzip` itself (workerd and Node alike), so these are
  // uncompressed bytes, which is what Prometheus's body_size_limit counts.
  const reader = res.body.getReader();
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const parts: string[] = [];
  let bytes = 0;
  try {
    while (true) {
      const read = reader.read();
      read.catch(() => undefined);
      const { done, value } = await Promise.race([read, deadline]);
      if (done) break;
      bytes += value.byteLength;
      if (bytes > limit) throw new ScrapeError(bodyLimitMessage(limit));
      parts.push(decoder.decode(value, { stream: true }));
    }
    parts.push(decoder.decode());
  } catch (err) {
    await reader.cancel().catch(() => undefined);
    if (err instanceof ScrapeError) throw err;
    if (err instanceof TypeError && /decod|utf-?8|encoded data/i.test(err.message)) {
      throw new ScrapeError('invalid UTF-8 in the response body');
    }
    throw new ScrapeError(`reading the response body: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { text: parts.join(''), bytes };
}
