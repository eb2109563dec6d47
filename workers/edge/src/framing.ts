/**
 * workerd sends a body built in JavaScript (a ReadableStream not straight from fetch, R2 or the
 * Cache API) chunked, whatever Content-Length says; a `FixedLengthStream` makes it send the
 * length (RFC 9112 §6.3: a client then knows the message is complete). The shared response
 * builder takes this as its `fixedLength` option (@pushpull/http/semantics/respond).
 */
export function fixedLength(body: ReadableStream<Uint8Array>, length: number): ReadableStream<Uint8Array> {
  return body.pipeThrough(new FixedLengthStream(length));
}
