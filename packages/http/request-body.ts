/**
 * Reading ingest bodies under the byte limits: the bytes on the wire (MAX_BODY_BYTES, checked
 * against Content-Length first and again while streaming) and, for `Content-Encoding: gzip`,
 * the bytes after decompression (MAX_DECOMPRESSED_BYTES, enforced while inflating, so a gzip
 * bomb is stopped after at most the limit plus one chunk).
 */
/** The two byte limits of {@link readBody} (the metrics Worker's MAX_BODY_BYTES and MAX_DECOMPRESSED_BYTES). */
export interface BodyLimits {
  /** Bytes on the wire, checked against Content-Length and again while streaming. */
  maxBodyBytes: number;
  /** Bytes after `Content-Encoding: gzip` is undone. */
  maxDecompressedBytes: number;
}

/** Why a body was refused: 413 over a limit, 415 an unsupported encoding, 400 corrupt data. */
export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

async function collect(stream: ReadableStream<Uint8Array>, max: number, tooLarge: () => BodyError): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Counts bytes flowing through and errors the stream once more than `max` have passed. */
function limitStream(max: number, tooLarge: () => BodyError): TransformStream<Uint8Array, Uint8Array> {
  let size = 0;
  return new TransformStream({
    transform(chunk, controller) {
      size += chunk.byteLength;
      if (size > max) controller.error(tooLarge());
      else controller.enqueue(chunk);
    },
  });
}

/**
 * The request body as bytes, decoded from `Content-Encoding: gzip` (or `identity`/none).
 * `passThrough` lists further encodings returned still encoded (remote_write's `snappy`).
 */
export async function readBody(
  req: Request,
  limits: BodyLimits,
  passThrough: readonly string[] = [],
): Promise<{ bytes: Uint8Array; encoding: string }> {
  const wireTooLarge = (): BodyError => new BodyError(413, `request body is larger than MAX_BODY_BYTES (${limits.maxBodyBytes} bytes)`);
  const length = req.headers.get('content-length');
  if (length !== null && Number(length) > limits.maxBodyBytes) throw wireTooLarge();
  const encoding = (req.headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (!req.body) return { bytes: new Uint8Array(0), encoding };
  if (encoding === 'identity' || encoding === '' || passThrough.includes(encoding)) {
    return { bytes: await collect(req.body, limits.maxBodyBytes, wireTooLarge), encoding };
  }
  if (encoding !== 'gzip' && encoding !== 'x-gzip') {
    throw new BodyError(415, `unsupported Content-Encoding ${JSON.stringify(encoding)} (supported: gzip, identity)`);
  }
  const inflatedTooLarge = (): BodyError =>
    new BodyError(413, `decompressed request body is larger than MAX_DECOMPRESSED_BYTES (${limits.maxDecompressedBytes} bytes)`);
  const inflated = req.body.pipeThrough(limitStream(limits.maxBodyBytes, wireTooLarge)).pipeThrough(new DecompressionStream('gzip'));
  try {
    return { bytes: await collect(inflated, limits.maxDecompressedBytes, inflatedTooLarge), encoding: 'identity' };
  } catch (err) {
    if (err instanceof BodyError) throw err;
    throw new BodyError(400, `invalid gzip body: ${(err as Error).message}`);
  }
}

/** Decodes UTF-8 strictly (invalid bytes are a 400, not silently replaced). */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new BodyError(400, 'request body is not valid UTF-8');
  }
}
