/**
 * Prometheus remote_write 1.0 receiver: `POST /api/v1/write`, a snappy block holding a protobuf
 * `WriteRequest` (prometheus.io/docs/specs/remote_write_spec/). 204 when everything was stored;
 * 400 for invalid data, after storing the valid series (the spec: "MUST NOT retry 4xx"); 413 over
 * the byte or series limits, nothing stored; 5xx only when the store failed (retryable: samples
 * are rewritten idempotently, a duplicate (series, ts) keeps the last value).
 */
import { Hono } from 'hono';
import { requireToken } from '@pushpull/http/auth';
import { ApiError } from '@pushpull/http/errors';
import { readLimits } from './limits';
import { decodeRemoteWrite } from '@pushpull/wire/remote-write/write-request';
import { BodyError, readBody } from '@pushpull/http/request-body';
import { recordMetadata } from './metadata';
import { recordIngested } from './self-metrics';
import { writeSeries } from './store';

/** The remote_write sub-app, mounted at /api/v1/write. */
export const remoteWriteApi = new Hono<{ Bindings: Env }>();

remoteWriteApi.post('/', requireToken({ secret: (env) => (env as Env).PUSHPULL_TOKEN }), async (c) => {
  const limits = readLimits(c.env);
  const type = c.req.header('content-type') ?? '';
  if (/proto=io\.prometheus\.write\.v2\.Request/.test(type)) {
    throw new ApiError(
      415,
      'unsupported_media_type',
      'remote write 2.0 (io.prometheus.write.v2.Request) is not supported: send prometheus.WriteRequest (remote write 1.0)',
    );
  }
  const version = c.req.header('x-prometheus-remote-write-version');
  if (version !== undefined && !version.startsWith('0.1.')) {
    throw new ApiError(
      415,
      'unsupported_media_type',
      `unsupported X-Prometheus-Remote-Write-Version ${JSON.stringify(version)} (supported: 0.1.0)`,
    );
  }
  const encoding = (c.req.header('content-encoding') ?? 'snappy').toLowerCase();
  if (encoding !== 'snappy')
    throw new ApiError(
      415,
      'unsupported_media_type',
      `unsupported Content-Encoding ${JSON.stringify(encoding)}: remote write bodies are snappy-compressed`,
    );
  let bytes: Uint8Array;
  try {
    bytes = (await readBody(c.req.raw, limits, ['snappy'])).bytes;
  } catch (e) {
    if (e instanceof BodyError) throw new ApiError(e.status, e.status === 413 ? 'payload_too_large' : 'bad_request', e.message);
    throw e;
  }
  const decoded = decodeRemoteWrite(bytes, { maxDecompressedBytes: limits.maxDecompressedBytes });
  if (decoded.refused) {
    if (decoded.refused.reason === 'too_large')
      throw new ApiError(413, 'payload_too_large', `${decoded.refused.message} (MAX_DECOMPRESSED_BYTES)`);
    throw new ApiError(400, 'bad_request', decoded.refused.message);
  }
  if (decoded.series.length > limits.maxSeriesPerRequest) {
    throw new ApiError(
      413,
      'payload_too_large',
      `request has ${decoded.series.length} series, over MAX_SERIES_PER_REQUEST (${limits.maxSeriesPerRequest}): nothing written`,
    );
  }
  if (decoded.metadata.length) await recordMetadata(c.env, decoded.metadata);
  const stored = decoded.series.length
    ? await writeSeries(c.env, decoded.series, Date.now(), limits)
    : { series: 0, samples: 0, refused: [] };
  recordIngested(c.env, 'remote_write', stored.samples);
  const errors = [...decoded.errors, ...stored.refused.map((r) => r.message)];
  if (errors.length) {
    const shown = errors.slice(0, 10).join('; ') + (errors.length > 10 ? `; and ${errors.length - 10} more` : '');
    throw new ApiError(
      400,
      'bad_request',
      `${errors.length} series refused (${stored.samples} samples of ${stored.series} series written): ${shown}`,
    );
  }
  return c.body(null, 204);
});
