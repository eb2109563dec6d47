// Fault injection, metrics ingest (issue 16): SIGKILL the metrics Worker (wrangler dev, shard
// Durable Objects on persisted local state) while clients write Influx line protocol and
// Prometheus remote_write, and again while the shards merge their sample logs, restart it on
// the same state, and check that every acknowledged sample is stored once with its value and
// that nothing was stored that no client sent.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRemoteWrite } from '@pushpull/wire/remote-write/write-request';
import { type FaultRun, type FaultWorker, faultRun } from './harness';

const TOKEN = 'faults-metrics-token';
// Small sample logs, merged after 1 s without writes, so the kills also land in merges.
const VARS = { PUSHPULL_TOKEN: TOKEN, SAMPLE_LOG_MERGE_SAMPLES: '2000', SAMPLE_LOG_IDLE_SECONDS: '1' };
const WRITERS = 4;
const SERIES = 8;
const PER_SERIES = 25;

/** One sample as a client sent it: `${metric}|${writer}|${series}` → ts → value. */
type Sent = Map<string, Map<number, number>>;

interface Progress {
  acked: Sent;
  /** Sent, not acknowledged (cut off by the kill): may or may not be stored. */
  unknown: Sent;
  requests: number;
}

function add(into: Sent, key: string, ts: number, value: number): void {
  let series = into.get(key);
  if (!series) into.set(key, (series = new Map()));
  series.set(ts, value);
}

/**
 * WRITERS clients, each sending batches of SERIES × PER_SERIES fresh samples (unique
 * timestamps per series, unique values) alternately as line protocol and remote_write,
 * until `stop` aborts or `maxBatches` were sent.
 */
async function writeUntil(
  metrics: FaultWorker,
  t0: number,
  clock: { next: number; value: number },
  stop: AbortSignal,
  maxBatches = Infinity,
): Promise<Progress> {
  const progress: Progress = { acked: new Map(), unknown: new Map(), requests: 0 };
  let batches = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, writer) => {
      while (!stop.aborted && batches < maxBatches) {
        const remote = batches++ % 2 === 1;
        const metric = remote ? 'faults_rw' : 'faults';
        const samples: { key: string; series: number; ts: number; value: number }[] = [];
        for (let series = 0; series < SERIES; series++) {
          for (let i = 0; i < PER_SERIES; i++) {
            samples.push({ key: `${metric}|w${writer}|s${series}`, series, ts: t0 + clock.next++, value: clock.value++ });
          }
        }
        const request: { url: string; headers: Record<string, string>; body: string | Uint8Array } = remote
          ? {
              url: `${metrics.url}/api/v1/write`,
              headers: {
                authorization: `Bearer ${TOKEN}`,
                'content-type': 'application/x-protobuf',
                'content-encoding': 'snappy',
                'x-prometheus-remote-write-version': '0.1.0',
              },
              body: encodeRemoteWrite(
                Array.from({ length: SERIES }, (_, series) => {
                  const mine = samples.filter((s) => s.series === series);
                  return {
                    labels: { __name__: metric, writer: `w${writer}`, series: `s${series}` },
                    timestamps: mine.map((s) => s.ts),
                    values: mine.map((s) => s.value),
                  };
                }),
              ),
            }
          : {
              url: `${metrics.url}/api/v2/write?bucket=faults&precision=ms`,
              headers: { authorization: `Token ${TOKEN}` },
              body: samples.map((s) => `${metric},writer=w${writer},series=s${s.series} value=${s.value} ${s.ts}`).join('\n'),
            };
        progress.requests++;
        try {
          const res = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body, signal: stop });
          await res.arrayBuffer();
          const into = res.status === 204 ? progress.acked : progress.unknown;
          for (const s of samples) add(into, s.key, s.ts, s.value);
          if (res.status !== 204) return;
        } catch {
          for (const s of samples) add(progress.unknown, s.key, s.ts, s.value);
          return; // killed
        }
      }
    }),
  );
  return progress;
}

/** Every stored sample of `metric` in (t0, t0 + windowMs], per series key. */
async function stored(metrics: FaultWorker, metric: string, t0: number, windowMs: number): Promise<Map<string, [number, string][]>> {
  const params = new URLSearchParams({ query: `${metric}[${Math.ceil(windowMs / 1000) + 1}s]`, time: String((t0 + windowMs) / 1000) });
  const res = await fetch(`${metrics.url}/api/v1/query?${params.toString()}`, { signal: AbortSignal.timeout(30_000) });
  const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; values: [number, string][] }[] } };
  if (res.status !== 200 || body.status !== 'success')
    throw new Error(`query ${metric}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  const out = new Map<string, [number, string][]>();
  for (const series of body.data.result) out.set(`${metric}|${series.metric.writer}|${series.metric.series}`, series.values);
  return out;
}

describe('metrics ingest under SIGKILL', () => {
  let run: FaultRun | undefined;
  afterEach(async () => {
    await run?.cleanup();
  });

  it('keeps every acknowledged line-protocol and remote_write sample exactly once after kills during writes and log merges', async () => {
    run = faultRun('metrics-ingest');
    const metrics = await run.worker({
      config: 'workers/metrics/wrangler.toml',
      vars: VARS,
      ready: { path: '/api/v1/labels', status: 200 },
    });
    await metrics.start();
    const t0 = Date.now() - 10 * 60_000;
    const clock = { next: 1, value: 1 };

    // Round 1: kill while the clients write.
    const round1 = await run.killDuring(metrics, { afterMs: [300, 2500] }, (killed) => writeUntil(metrics, t0, clock, killed));
    await metrics.start();
    // Round 2: a burst, then a kill while the shards (idle for 1 s) merge their logs.
    const burst = await writeUntil(metrics, t0, clock, new AbortController().signal, 24);
    const round2 = await run.killDuring(metrics, { afterMs: [500, 2500] }, async () => undefined);
    await metrics.start();

    const windowMs = clock.next + 1;
    const have = new Map([...(await stored(metrics, 'faults', t0, windowMs)), ...(await stored(metrics, 'faults_rw', t0, windowMs))]);
    const acked: Sent = new Map();
    const sentAtAll: Sent = new Map();
    for (const p of [round1.value, burst]) {
      for (const [key, samples] of p.acked)
        for (const [ts, v] of samples) {
          add(acked, key, ts, v);
          add(sentAtAll, key, ts, v);
        }
      for (const [key, samples] of p.unknown) for (const [ts, v] of samples) add(sentAtAll, key, ts, v);
    }
    let ackedSamples = 0;
    let lost = 0;
    let wrongValue = 0;
    let duplicated = 0;
    let neverSent = 0;
    let storedSamples = 0;
    for (const [key, samples] of acked) {
      const got = new Map((have.get(key) ?? []).map(([t, v]) => [Math.round(t * 1000), Number(v)]));
      for (const [ts, value] of samples) {
        ackedSamples++;
        const v = got.get(ts);
        if (v === undefined) lost++;
        else if (v !== value) wrongValue++;
      }
    }
    for (const [key, values] of have) {
      const times = values.map(([t]) => t);
      duplicated += times.length - new Set(times).size;
      for (const [t, v] of values) {
        storedSamples++;
        if (sentAtAll.get(key)?.get(Math.round(t * 1000)) !== Number(v)) neverSent++;
      }
    }
    const report = { lost, wrongValue, duplicated, neverSent };
    process.stdout.write(
      `[faults] ${run.describe()}: round 1 killed after ${round1.killedAfterMs} ms (${round1.value.requests} requests), ` +
        `round 2 ${burst.requests} requests then killed after ${round2.killedAfterMs} ms; ${ackedSamples} samples acknowledged, ` +
        `${storedSamples} stored; ${JSON.stringify(report)}\n`,
    );
    expect(report, run.describe()).toEqual({ lost: 0, wrongValue: 0, duplicated: 0, neverSent: 0 });
    expect(ackedSamples, 'the workload had samples acknowledged before the kills').toBeGreaterThan(1000);
  });
});
