/**
 * Pushgateway-compatible push API (prometheus/pushgateway README, "API"):
 *   PUT    /metrics/job/<job>{/<label>/<value>}   replace the whole group          → 200
 *   POST   /metrics/job/<job>{/<label>/<value>}   replace same-named metrics only  → 200
 *   DELETE /metrics/job/<job>{/<label>/<value>}   delete the group                 → 202
 * Bodies in the text exposition format (0.0.4) or the delimited protobuf format (client_golang's
 * default for pushes); samples carrying timestamps are refused (400).
 * Grouping labels are set on every sample, overriding a pushed label of the same name.
 */
import { Hono } from 'hono';
import { requireToken } from '@pushpull/http/auth';
import { ApiError } from '@pushpull/http/errors';
import { ExpositionError, parseExposition, type ParsedExposition } from '@pushpull/wire/prometheus-text/exposition';
import { isProtobufExposition, parseProtobufExposition } from '@pushpull/wire/prometheus-protobuf/exposition';
import { readLimits } from './limits';
import { recordMetadata, type MetricMetadata } from './metadata';
import type { GroupFamily, PushGroup } from './push-group';
import { GroupingKeyError, parseGroupingKey } from './pushgateway-path';
import { BodyError, decodeUtf8, readBody } from '@pushpull/http/request-body';
import { canonicalKey, sortedLabelPairs } from './series';

/** The Pushgateway sub-app, mounted at /metrics. */
export const pushgatewayApi = new Hono<{ Bindings: Env }>();

pushgatewayApi.use('*', requireToken({ secret: (env) => (env as Env).PUSHPULL_TOKEN }));

function groupingOf(url: string): Record<string, string> {
  const path = new URL(url).pathname;
  const rest = path.replace(/^\/metrics\//, '');
  let segments: string[];
  try {
    segments = rest.split('/').map((s) => decodeURIComponent(s));
  } catch {
    throw new ApiError(400, 'bad_request', `invalid percent-encoding in ${JSON.stringify(path)}`);
  }
  try {
    return parseGroupingKey(segments);
  } catch (e) {
    if (e instanceof GroupingKeyError) throw new ApiError(400, 'bad_request', e.message);
    throw e;
  }
}

function groupStub(env: Env, grouping: Record<string, string>): DurableObjectStub<PushGroup> {
  return env.PUSH_GROUPS.get(env.PUSH_GROUPS.idFromName(canonicalKey(sortedLabelPairs(grouping))));
}

/** Families of a pushed page (text, or delimited protobuf when `protobuf`) with the grouping labels applied to every sample. */
function familiesFromPage(
  page: string | Uint8Array,
  grouping: Record<string, string>,
  maxSeries: number,
  metadata: MetricMetadata[],
): GroupFamily[] {
  let parsed: ParsedExposition;
  try {
    parsed =
      typeof page === 'string'
        ? parseExposition(page, { format: 'text', sampleLimit: maxSeries, metadataOnce: true })
        : parseProtobufExposition(page, { sampleLimit: maxSeries });
  } catch (e) {
    if (e instanceof ExpositionError && e.code === 'sample_limit') {
      throw new ApiError(413, 'payload_too_large', `push has more than MAX_SERIES_PER_REQUEST (${maxSeries}) samples`);
    }
    if (e instanceof ExpositionError) {
      // The Pushgateway's wording; for protobuf the "line" is the index of the MetricFamily message.
      throw new ApiError(
        400,
        'bad_request',
        typeof page === 'string'
          ? `text format parsing error in ${e.message}`
          : `protobuf parsing error in message ${e.message.replace(/^line /, '')}`,
      );
    }
    throw e;
  }
  const byName = new Map<string, GroupFamily>();
  for (const family of parsed.families) {
    if (family.declared) metadata.push({ metric: family.name, type: family.type, help: family.help ?? '', unit: family.unit ?? '' });
    let target = byName.get(family.name);
    if (!target) {
      target = { name: family.name, samples: [] };
      byName.set(family.name, target);
    }
    for (const sample of family.samples) {
      if (sample.hasTimestamp) {
        throw new PushRefused(
          `pushed metrics are invalid or inconsistent with existing metrics: pushed metrics must not have timestamps (metric ` +
            `${JSON.stringify(sample.name)})`,
        );
      }
      const labels: Record<string, string> = {};
      for (let i = 0; i + 1 < sample.labels.length; i += 2) labels[sample.labels[i]] = sample.labels[i + 1];
      Object.assign(labels, grouping);
      labels.__name__ = sample.name;
      target.samples.push({ labels, value: sample.value });
    }
  }
  return [...byName.values()];
}

/** A push the Pushgateway would refuse after parsing (recorded as a push failure). */
class PushRefused extends Error {}

pushgatewayApi.on(['PUT', 'POST'], '/*', async (c) => {
  const grouping = groupingOf(c.req.url);
  const limits = readLimits(c.env);
  const type = c.req.header('content-type') ?? '';
  const protobuf = isProtobufExposition(type);
  if (!protobuf && type.toLowerCase().startsWith('application/vnd.google.protobuf')) {
    throw new ApiError(
      415,
      'unsupported_media_type',
      `unsupported protobuf content type ${JSON.stringify(type)}: send proto=io.prometheus.client.MetricFamily; encoding=delimited, or ` +
        `the text format`,
    );
  }
  let page: string | Uint8Array;
  try {
    const bytes = (await readBody(c.req.raw, limits)).bytes;
    page = protobuf ? bytes : decodeUtf8(bytes);
  } catch (e) {
    if (e instanceof BodyError) throw new ApiError(e.status, e.status === 413 ? 'payload_too_large' : 'bad_request', e.message);
    throw e;
  }
  const group = groupStub(c.env, grouping);
  const now = Date.now();
  let families: GroupFamily[];
  const metadata: MetricMetadata[] = [];
  try {
    families = familiesFromPage(page, grouping, limits.maxSeriesPerRequest, metadata);
  } catch (e) {
    if (e instanceof PushRefused) {
      await group.recordFailure(grouping, now);
      throw new ApiError(400, 'bad_request', e.message);
    }
    throw e;
  }
  const outcome = await group.push(grouping, families, c.req.method === 'PUT', now);
  if (!outcome.ok)
    throw new ApiError(400, 'bad_request', `pushed metrics are invalid or inconsistent with existing metrics: ${outcome.message}`);
  await recordMetadata(c.env, metadata);
  return c.body(null, 200);
});

pushgatewayApi.delete('/*', async (c) => {
  const grouping = groupingOf(c.req.url);
  await groupStub(c.env, grouping).remove(Date.now());
  return c.body(null, 202);
});
