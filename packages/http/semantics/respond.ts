/**
 * Answering a GET or HEAD from a selected representation: the preconditions (RFC 9110 §13.2.2),
 * then Range (§14), then HEAD (§9.3.2). `planResponse` decides (pure, no bytes), and
 * `buildResponse` turns the plan into a Response over the representation's body. The edge cache,
 * the push store and the Node origin all answer through these two.
 */
import { bytesHeldInOnePass, multipartLayout, newBoundary, type MultipartLayout } from './multipart';
import { evaluatePreconditions, type ConditionalFields, type Validators } from './preconditions';
import { contentRange, evaluateRange, MAX_RANGE_PARTS, unsatisfiedContentRange, type ByteRange, type RangeDecision } from './range';
import { fullBody, multipartBody, rangeBody, type BodySource } from './representation-body';

/** What the planner needs to know about the selected representation. */
export interface RepresentationFacts extends Validators {
  /** Bytes of the representation as sent (after any content coding); null when unknown (Range is then ignored). */
  length: number | null;
  /** Its Content-Type (each multipart part carries it), or null. */
  contentType: string | null;
}

/** Choices a server makes where the RFC leaves them open. */
export interface PlanOptions {
  /** Most parts answered (default {@link MAX_RANGE_PARTS}); more and Range is ignored. */
  maxRangeParts?: number;
  /**
   * For a body read once from its start (a Cache API or fetch body): the most bytes the
   * multipart body may hold back to send the parts in the order asked (the §14.6 SHOULD); past
   * it the parts are sent in ascending order instead. Leave out for random-access bodies.
   */
  sequentialHoldBytes?: number;
  /** The multipart boundary (default: {@link newBoundary}). */
  boundary?: string;
}

/** The response to send, before any byte is read. */
export type ResponsePlan =
  | { status: 200; contentLength: number | null; sendBody: boolean; rangeIgnored?: Extract<RangeDecision, { kind: 'ignore' }>['reason'] }
  | { status: 206; range: ByteRange; contentRange: string; contentLength: number; sendBody: true }
  | { status: 206; multipart: MultipartLayout; contentLength: number; sendBody: true }
  | { status: 304 }
  | { status: 412 }
  | { status: 416; contentRange: string };

/**
 * Plans the answer to a GET or HEAD of a representation: 304 or 412 from the preconditions,
 * else 416, 206 (one range, or multipart/byteranges) or 200. A HEAD never gets a 206 (Range is
 * defined for GET only, §14.2) and never a body.
 */
export function planResponse(
  method: string,
  fields: ConditionalFields,
  representation: RepresentationFacts,
  options: PlanOptions = {},
): ResponsePlan {
  if (method !== 'GET' && method !== 'HEAD') throw new TypeError(`planResponse answers GET and HEAD, not ${method}`);
  const pre = evaluatePreconditions(method, fields, representation);
  if (pre.kind === 'not-modified') return { status: 304 };
  if (pre.kind === 'precondition-failed') return { status: 412 };
  const { length } = representation;
  const full = { status: 200 as const, contentLength: length, sendBody: method === 'GET' };
  if (!pre.rangeApplies || fields.range === null || length === null) return full;
  const decision = evaluateRange(fields.range, length, { maxParts: options.maxRangeParts ?? MAX_RANGE_PARTS });
  if (decision.kind === 'ignore') return { ...full, rangeIgnored: decision.reason };
  if (decision.kind === 'unsatisfiable') return { status: 416, contentRange: unsatisfiedContentRange(length) };
  let ranges = decision.ranges;
  const [only] = ranges;
  if (ranges.length === 1 && only) {
    return { status: 206, range: only, contentRange: contentRange(only, length), contentLength: only.end - only.start + 1, sendBody: true };
  }
  if (options.sequentialHoldBytes !== undefined && bytesHeldInOnePass(ranges) > options.sequentialHoldBytes) {
    ranges = [...ranges].sort((a, b) => a.start - b.start);
  }
  const layout = multipartLayout(ranges, length, representation.contentType, options.boundary ?? newBoundary());
  return { status: 206, multipart: layout, contentLength: layout.length, sendBody: true };
}

/** Fields of a 200 that are representation metadata or framing, and so not sent with a 304 (§15.4.5). */
const NOT_IN_304 = [
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-range',
  'content-md5',
  'content-disposition',
  'transfer-encoding',
  'accept-ranges',
];

/** Choices of the runtime that sends the response. */
export interface BuildOptions {
  /**
   * Wraps a body whose length is known so the runtime sends it with that Content-Length. Node
   * (@hono/node-server) sends the Content-Length field as set; workerd sends a stream built in
   * JavaScript chunked whatever the field says, unless it goes through a `FixedLengthStream`
   * (`(body, length) => body.pipeThrough(new FixedLengthStream(length))`).
   */
  fixedLength?: (body: ReadableStream<Uint8Array>, length: number) => ReadableStream<Uint8Array>;
}

/** The JSON error body the project answers with (`{error, message}`), with its framing. */
function errorResponse(status: number, error: string, message: string, headers: Headers): Response {
  const bytes = new TextEncoder().encode(JSON.stringify({ error, message }));
  headers.set('content-type', 'application/json; charset=utf-8');
  headers.set('content-length', String(bytes.byteLength));
  // An answer about this request's conditions, not the representation: never stored.
  headers.set('cache-control', 'no-store');
  return new Response(bytes, { status, headers });
}

/**
 * Builds the response a plan describes. `headers` are those of the full 200 response (type,
 * validators, Cache-Control, Vary, the caller's own fields); `body` is where its bytes are.
 * - 200: the headers plus Content-Length (when known) and `Accept-Ranges: bytes`;
 * - 206: plus Content-Range and Content-Length, or a multipart/byteranges Content-Type;
 * - 304: the headers without representation metadata and framing (§15.4.5), no body;
 * - 412 / 416: a JSON error (`{error, message}`) keeping only Vary (and, for 416,
 *   `Content-Range: bytes *\/length`).
 * A body that is not sent (HEAD, 304, errors) is cancelled when it is a stream.
 */
export function buildResponse(plan: ResponsePlan, headers: Headers, body: BodySource, options: BuildOptions = {}): Response {
  const framed = (stream: ReadableStream<Uint8Array> | null, length: number | null): ReadableStream<Uint8Array> | null =>
    stream === null || length === null || options.fixedLength === undefined ? stream : options.fixedLength(stream, length);
  const cancel = (): void => {
    if (body.kind === 'sequential') void body.stream?.cancel().catch(() => undefined);
  };
  const out = new Headers(headers);
  switch (plan.status) {
    case 304: {
      cancel();
      for (const name of NOT_IN_304) out.delete(name);
      return new Response(null, { status: 304, headers: out });
    }
    case 412:
    case 416: {
      cancel();
      const error = new Headers();
      const vary = headers.get('vary');
      if (vary !== null) error.set('vary', vary);
      if (plan.status === 412) {
        return errorResponse(
          412,
          'precondition_failed',
          'If-Match or If-Unmodified-Since did not hold for the current representation',
          error,
        );
      }
      error.set('content-range', plan.contentRange);
      error.set('accept-ranges', 'bytes');
      return errorResponse(
        416,
        'range_not_satisfiable',
        `no range of the Range header overlaps the representation (${plan.contentRange})`,
        error,
      );
    }
    case 206: {
      if ('range' in plan) {
        out.set('content-range', plan.contentRange);
        out.set('content-length', String(plan.contentLength));
        return new Response(framed(rangeBody(body, plan.range), plan.contentLength), { status: 206, headers: out });
      }
      out.delete('content-range');
      out.set('content-type', plan.multipart.contentType);
      out.set('content-length', String(plan.contentLength));
      return new Response(framed(multipartBody(body, plan.multipart), plan.contentLength), { status: 206, headers: out });
    }
    case 200: {
      if (plan.contentLength !== null) {
        out.set('content-length', String(plan.contentLength));
        out.set('accept-ranges', 'bytes');
      }
      if (!plan.sendBody) {
        cancel();
        return new Response(null, { status: 200, headers: out });
      }
      return new Response(framed(fullBody(body, plan.contentLength), plan.contentLength), { status: 200, headers: out });
    }
  }
}
