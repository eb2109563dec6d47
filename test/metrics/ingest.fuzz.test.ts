/**
 * Property-based fuzzing of the metrics Worker's ingest endpoints (issue 16), in workerd with the real store:
 * InfluxDB v2 and v1 writes, Pushgateway pushes (text and protobuf, random grouping paths), remote_write, and
 * the RPC `write`. The bodies are the wire-format fuzz inputs (packages/wire/fuzz/documents.ts). Every request
 * must be answered within FUZZ_BUDGET_MS, never with a 5xx, errors in the endpoint's JSON shape; a refused push
 * leaves its group as it was; and data stored before the fuzzing is intact after it.
 *
 *   npx vitest run test/metrics/ingest.fuzz.test.ts            seeded, FUZZ_RUNS (default 60) requests per endpoint
 *   FUZZ_SEED=$RANDOM FUZZ_RUNS=1000 npx vitest run test/metrics/ingest.fuzz.test.ts
 */
import { exports } from 'cloudflare:workers';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SeriesBatch } from '@pushpull/contracts/metrics';
import { expositionTexts, lineProtocolBodies, protobufExpositions, remoteWriteBodies } from '@pushpull/wire/fuzz/documents';
import { canonicalKey, sortedLabelPairs } from '../../workers/metrics/src/series';
import { auth, call, env, instant, uniqueName, withinBudget } from './metrics-client';

/** Settings the test config passes from the shell (empty when unset). */
const fuzzVars = env as unknown as { FUZZ_SEED: string; FUZZ_RUNS: string; FUZZ_BUDGET_MS: string };
const SEED = Number(fuzzVars.FUZZ_SEED || 16_016);
const RUNS = Number(fuzzVars.FUZZ_RUNS || 60);
const BUDGET_MS = Number(fuzzVars.FUZZ_BUDGET_MS || 15_000);

/** Statuses answered, by endpoint: the fuzzing must reach the store (some 2xx) as well as the refusals (some 4xx). */
const statuses = new Map<string, Set<number>>();

function expectStoredAndRefused(endpoint: string): void {
  const seen = [...(statuses.get(endpoint) ?? [])];
  expect({ endpoint, stored: seen.some((s) => s < 300), refused: seen.some((s) => s >= 400) }).toEqual({
    endpoint,
    stored: true,
    refused: true,
  });
}

/** Sends one request and checks the status and the error body's shape. */
async function send(path: string, init: RequestInit, shape: 'influx' | 'project'): Promise<number> {
  const r = await withinBudget(`${init.method ?? 'GET'} ${path}`, BUDGET_MS, call(path, init));
  expect({ path, status: r.status, text: r.text.slice(0, 300) }).toEqual({ path, status: expect.any(Number), text: expect.any(String) });
  const endpoint = path.split('?')[0].startsWith('/metrics/') ? '/metrics/' : path.split('?')[0];
  statuses.set(endpoint, (statuses.get(endpoint) ?? new Set()).add(r.status));
  if (r.status >= 500) throw new Error(`${init.method ?? 'GET'} ${path} answered ${r.status}: ${r.text.slice(0, 500)}`);
  if (r.status >= 400) {
    const body = r.json() as Record<string, unknown>;
    if (shape === 'influx') expect(body).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    else expect(body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
  }
  return r.status;
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const bodyBytes = (body: string | Uint8Array): Uint8Array => (typeof body === 'string' ? new TextEncoder().encode(body) : body);

// Data written before the fuzzing, read back after each property.
const sentinel = uniqueName('fuzz_sentinel');
const sentinelJob = uniqueName('fuzz_sentinel_job');
let sentinelRows: unknown;
let sentinelPush: unknown;

/** The group's current value: its instant query without the evaluation time (its alarm re-emits it). */
async function pushedValue(): Promise<unknown> {
  return (await instant(`pg_sentinel{job="${sentinelJob}"}`)).map((r) => [r.metric, r.value[1]]);
}

async function sentinelsIntact(): Promise<void> {
  expect(await instant(`${sentinel}[1h]`)).toEqual(sentinelRows);
  expect(await pushedValue()).toEqual(sentinelPush);
}

beforeAll(async () => {
  const t = Date.now() - 60_000;
  await exports.MetricsRpc.write([
    { labels: { __name__: sentinel, k: 'a' }, timestamps: [t, t + 1000], values: [1.5, -0] },
    { labels: { __name__: sentinel, k: 'b' }, timestamps: [t], values: [Number.POSITIVE_INFINITY] },
  ]);
  sentinelRows = await instant(`${sentinel}[1h]`);
  expect(sentinelRows).toHaveLength(2);
  const r = await call(`/metrics/job/${sentinelJob}`, { method: 'PUT', body: 'pg_sentinel 7\n', headers: auth() });
  expect(r.status).toBe(200);
  sentinelPush = await pushedValue();
  expect(sentinelPush).toHaveLength(1);
});

const PRECISIONS = ['ns', 'us', 'ms', 's', 'n', 'u', 'm', 'h', 'x', ''];
/** A body, sent as is or gzip-compressed (with the header), or a body that claims gzip and is not. */
const encoding = fc.constantFrom('identity', 'gzip', 'false-gzip', 'br');

async function encoded(body: Uint8Array, how: string): Promise<{ body: Uint8Array; headers: Record<string, string> }> {
  if (how === 'gzip') return { body: await gzip(body), headers: { 'content-encoding': 'gzip' } };
  if (how === 'false-gzip') return { body, headers: { 'content-encoding': 'gzip' } };
  if (how === 'br') return { body, headers: { 'content-encoding': 'br' } };
  return { body, headers: {} };
}

describe('fuzzing the ingest endpoints (no 5xx, no hang, previous data intact)', () => {
  it('InfluxDB /api/v2/write and /write', async () => {
    await fc.assert(
      fc.asyncProperty(lineProtocolBodies, fc.constantFrom(...PRECISIONS), encoding, fc.boolean(), async (lines, precision, how, v1) => {
        const { body, headers } = await encoded(bodyBytes(lines), how);
        const path = v1 ? `/write?db=fuzz&precision=${precision}` : `/api/v2/write?bucket=fuzz&org=o&precision=${precision}`;
        await send(path, { method: 'POST', body, headers: { ...auth('Token'), ...headers } }, 'influx');
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expectStoredAndRefused('/api/v2/write');
    expectStoredAndRefused('/write');
    await sentinelsIntact();
  }, 300_000);

  const SEGMENTS = ['x', 'a', 'a@base64', 'job@base64', 'ZmFrZQ', '=', '%zz', '%2F', '__x', '', 'é', '!!!', 'instance'];

  it('Pushgateway PUT, POST and DELETE (text and protobuf, random grouping paths): a refused push changes nothing', async () => {
    const group = uniqueName('fuzz_group');
    const stub = env.PUSH_GROUPS.get(env.PUSH_GROUPS.idFromName(canonicalKey(sortedLabelPairs({ job: group }))));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('PUT', 'POST', 'DELETE'),
        fc.oneof(
          { weight: 3, arbitrary: fc.constant(`job/${group}`) },
          { weight: 2, arbitrary: fc.array(fc.constantFrom(...SEGMENTS), { maxLength: 5 }).map((s) => ['job', ...s].join('/')) },
        ),
        fc.oneof(
          expositionTexts.map((t) => ({ text: t })),
          protobufExpositions.map((b) => ({ proto: b })),
        ),
        encoding,
        async (method, path, page, how) => {
          const protobuf = 'proto' in page;
          const raw = protobuf ? page.proto : bodyBytes(page.text);
          const { body, headers } = await encoded(raw, how);
          const type = protobuf
            ? 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited'
            : 'text/plain; version=0.0.4';
          const before = path === `job/${group}` && method !== 'DELETE' ? await stub.snapshot() : undefined;
          const status = await send(
            `/metrics/${path}`,
            { method, body: method === 'DELETE' ? undefined : body, headers: { ...auth(), 'content-type': type, ...headers } },
            'project',
          );
          if (before !== undefined && status >= 400) {
            const after = await stub.snapshot();
            // Only push_failure_time_seconds may move (a push refused after parsing records its failure).
            expect(after?.families ?? []).toEqual(before?.families ?? []);
            expect(after?.pushTimeMs ?? 0).toBe(before?.pushTimeMs ?? 0);
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    expectStoredAndRefused('/metrics/');
    await sentinelsIntact();
  }, 300_000);

  it('remote_write /api/v1/write', async () => {
    const headerSets = fc.constantFrom<Record<string, string>>(
      { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' },
      { 'content-type': 'application/x-protobuf' },
      { 'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request', 'x-prometheus-remote-write-version': '2.0.0' },
      { 'content-encoding': 'gzip' },
      { 'x-prometheus-remote-write-version': 'garbage' },
    );
    await fc.assert(
      fc.asyncProperty(remoteWriteBodies, headerSets, async (body, headers) => {
        await send('/api/v1/write', { method: 'POST', body, headers: { ...auth(), ...headers } }, 'project');
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expectStoredAndRefused('/api/v1/write');
    await sentinelsIntact();
  }, 300_000);

  it('RPC write: any batches are stored or refused by index, never a rejected call', async () => {
    const text = fc.oneof(fc.constantFrom('up', '', 'job', '__name__', '0bad', 'é', 'x'.repeat(100)), fc.string({ maxLength: 8 }));
    const anything = fc.oneof(
      text,
      fc.double(),
      fc.integer(),
      fc.constant(null),
      fc.constant(undefined),
      fc.boolean(),
      fc.array(fc.integer(), { maxLength: 3 }),
      fc.constant({ length: 2 }),
    );
    const timestamp = fc.oneof(
      fc.integer({ min: Date.now() - 3_600_000, max: Date.now() + 60_000 }),
      fc.double(),
      fc.constantFrom(8.64e15 + 1, 9e15, -9e15, Number.MAX_SAFE_INTEGER, Number.NaN, Number.POSITIVE_INFINITY, 1.5),
    );
    const batch = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record(
          {
            labels: fc.oneof(
              fc.dictionary(text, text, { maxKeys: 5, noNullPrototype: true }).map((l) => ({ __name__: 'fuzz_rpc', ...l })),
              fc.dictionary(text, anything, { maxKeys: 3, noNullPrototype: true }),
              anything,
            ),
            timestamps: fc.oneof(fc.array(timestamp, { maxLength: 4 }), anything),
            values: fc.oneof(fc.array(fc.oneof(fc.double(), anything), { maxLength: 4 }), anything),
            staleAt: fc.oneof(fc.array(fc.oneof(fc.integer({ min: -2, max: 5 }), anything), { maxLength: 3 }), anything),
          },
          { requiredKeys: [], noNullPrototype: true },
        ),
      },
      { weight: 1, arbitrary: anything },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(batch, { maxLength: 8 }), async (batches) => {
        const sent = batches as unknown as SeriesBatch[];
        const result = await withinBudget('MetricsRpc.write', BUDGET_MS, exports.MetricsRpc.write(sent));
        expect(result.rejected).toBeUndefined();
        const indexes = result.refused.map((r) => r.index);
        expect(indexes).toEqual([...new Set(indexes)].sort((a, b) => a - b));
        expect(indexes.every((i) => Number.isInteger(i) && i >= 0 && i < sent.length)).toBe(true);
        expect(result.series + result.refused.length).toBe(sent.length);
      }),
      { seed: SEED, numRuns: RUNS * 2 },
    );
    await sentinelsIntact();
  }, 300_000);
});
