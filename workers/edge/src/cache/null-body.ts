/**
 * Statuses whose responses never have content (RFC 9110 §15.3.5, §15.3.6, §15.4.5; the Fetch
 * standard's "null body status"): a `Response` of one of them must be built with a null body,
 * or the runtime throws. A stored 204 is answered, kept and refreshed like any other response.
 */

/** Whether a response with this status has no content by definition. */
export function isNullBodyStatus(status: number): boolean {
  return status === 101 || status === 103 || status === 204 || status === 205 || status === 304;
}

/** A Response whose body is dropped (cancelled if a stream) when its status has none. */
export function responseWithStatus<B extends BodyInit | null>(body: B, init: ResponseInit & { status: number }): Response {
  if (body !== null && isNullBodyStatus(init.status)) {
    if (body instanceof ReadableStream) void body.cancel().catch(() => undefined);
    return new Response(null, init);
  }
  return new Response(body, init);
}
