/**
 * Answering a client from a full stored response: its own conditional requests (RFC 9110
 * §13: 304/412) and Range requests (§14: 206/416), and HEAD.
 */

/** Splits an entity-tag list (If-None-Match / If-Match). */
function etagList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function weakMatch(a: string, b: string): boolean {
  return a.replace(/^W\//, '') === b.replace(/^W\//, '');
}

/** RFC 9110 §13.2.2 evaluation; returns the status to answer instead (304/412) or null. */
export function evaluateConditionals(method: string, request: Headers, etag: string | null, lastModified: string | null): 304 | 412 | null {
  const ifMatch = request.get('if-match');
  if (ifMatch !== null) {
    const tags = etagList(ifMatch);
    // `*` asks whether a current representation exists; this function is only asked about one that does.
    const ok = tags.includes('*') || (etag !== null && !etag.startsWith('W/') && tags.some((t) => t === etag));
    if (!ok) return 412;
  } else {
    const ius = request.get('if-unmodified-since');
    if (ius !== null && lastModified !== null) {
      const since = Date.parse(ius);
      if (Number.isFinite(since) && Date.parse(lastModified) > since) return 412;
    }
  }
  const safe = method === 'GET' || method === 'HEAD';
  const inm = request.get('if-none-match');
  if (inm !== null) {
    const tags = etagList(inm);
    const matched = tags.includes('*') || (etag !== null && tags.some((t) => weakMatch(t, etag)));
    if (matched) return safe ? 304 : 412;
  } else if (safe) {
    const ims = request.get('if-modified-since');
    if (ims !== null && lastModified !== null) {
      const since = Date.parse(ims);
      const lm = Date.parse(lastModified);
      if (Number.isFinite(since) && Number.isFinite(lm) && lm <= since) return 304;
    }
  }
  return null;
}

/** Headers a 304 carries (RFC 9110 §15.4.5). */
const NOT_MODIFIED_HEADERS = [
  'cache-control',
  'content-location',
  'date',
  'etag',
  'expires',
  'vary',
  'last-modified',
  'age',
  'cache-status',
];

/** Builds a 304 from the full response's headers. */
export function notModified(headers: Headers): Response {
  const out = new Headers();
  for (const name of NOT_MODIFIED_HEADERS) {
    const v = headers.get(name);
    if (v !== null) out.set(name, v);
  }
  return new Response(null, { status: 304, headers: out });
}

/** A satisfiable byte range, inclusive. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Parses a Range header for a representation of `size` bytes (§14.1.2). Returns the ranges,
 * 'unsatisfiable', or null to ignore the header (not bytes, malformed, or too many ranges).
 */
export function parseRange(value: string | null, size: number, maxRanges = 16): ByteRange[] | 'unsatisfiable' | null {
  if (!value) return null;
  const m = /^\s*bytes\s*=\s*(.+)$/i.exec(value);
  if (!m) return null;
  const specs = m[1]
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (specs.length === 0 || specs.length > maxRanges) return null;
  const out: ByteRange[] = [];
  for (const spec of specs) {
    const r = /^(\d*)-(\d*)$/.exec(spec);
    if (!r || (r[1] === '' && r[2] === '')) return null;
    if (r[1] === '') {
      const suffix = Number(r[2]);
      if (suffix === 0) continue;
      out.push({ start: Math.max(0, size - suffix), end: size - 1 });
    } else {
      const start = Number(r[1]);
      const end = r[2] === '' ? size - 1 : Math.min(Number(r[2]), size - 1);
      if (r[2] !== '' && Number(r[2]) < start) return null;
      if (start >= size) continue;
      out.push({ start, end });
    }
  }
  return out.length === 0 ? 'unsatisfiable' : out;
}

/** Whether If-Range (§13.1.5) lets the Range apply to this representation. */
export function ifRangeAllows(request: Headers, etag: string | null, lastModified: string | null): boolean {
  const ifRange = request.get('if-range');
  if (ifRange === null) return true;
  if (ifRange.startsWith('"') || ifRange.startsWith('W/')) {
    return etag !== null && !etag.startsWith('W/') && ifRange === etag;
  }
  return lastModified !== null && ifRange === lastModified;
}

/** Passes on bytes [start, end] of a stream and cancels the source after them. */
function sliceStream(source: ReadableStream<Uint8Array>, start: number, end: number): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (offset > end) {
          controller.close();
          await reader.cancel();
          return;
        }
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          return;
        }
        const chunkStart = offset;
        offset += value.byteLength;
        if (offset <= start) continue;
        const from = Math.max(0, start - chunkStart);
        const to = Math.min(value.byteLength, end + 1 - chunkStart);
        controller.enqueue(value.subarray(from, to));
        return;
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/** Answers a Range request from a full 200 body of `size` bytes: 206, multipart 206, or 416. */
export function rangeResponse(
  body: ReadableStream<Uint8Array> | null,
  headers: Headers,
  ranges: ByteRange[] | 'unsatisfiable',
  size: number,
  head: boolean,
): Response {
  const out = new Headers(headers);
  if (ranges === 'unsatisfiable') {
    void body?.cancel();
    out.set('content-range', `bytes */${size}`);
    out.delete('content-length');
    out.set('content-type', 'application/json');
    return new Response(head ? null : JSON.stringify({ error: 'range_not_satisfiable', message: `no range within ${size} bytes` }), {
      status: 416,
      headers: out,
    });
  }
  if (ranges.length === 1) {
    const { start, end } = ranges[0];
    out.set('content-range', `bytes ${start}-${end}/${size}`);
    out.set('content-length', String(end - start + 1));
    if (head || body === null) {
      void body?.cancel();
      return new Response(null, { status: 206, headers: out });
    }
    return new Response(sliceStream(body, start, end), { status: 206, headers: out });
  }
  // Several ranges: multipart/byteranges (§14.6), in the order asked.
  const boundary = 'pushpull-' + crypto.randomUUID();
  const type = headers.get('content-type');
  const enc = new TextEncoder();
  const parts = ranges.map(({ start, end }) =>
    enc.encode(`\r\n--${boundary}\r\n${type ? `Content-Type: ${type}\r\n` : ''}Content-Range: bytes ${start}-${end}/${size}\r\n\r\n`),
  );
  const closing = enc.encode(`\r\n--${boundary}--\r\n`);
  const length = parts.reduce((n, p, i) => n + p.byteLength + ranges[i].end - ranges[i].start + 1, 0) + closing.byteLength;
  out.set('content-type', `multipart/byteranges; boundary=${boundary}`);
  out.set('content-length', String(length));
  out.delete('content-range');
  if (head || body === null) {
    void body?.cancel();
    return new Response(null, { status: 206, headers: out });
  }
  const source = body;
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const whole = new Uint8Array(await new Response(source).arrayBuffer());
      ranges.forEach(({ start, end }, i) => {
        controller.enqueue(parts[i]);
        controller.enqueue(whole.subarray(start, end + 1));
      });
      controller.enqueue(closing);
      controller.close();
    },
  });
  return new Response(stream, { status: 206, headers: out });
}
