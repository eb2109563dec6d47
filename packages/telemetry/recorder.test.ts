import { describe, expect, it } from 'vitest';
import type { SeriesBatch, WriteResult } from '@pushpull/contracts/metrics';
import { Recorder, type TelemetrySink } from './recorder';

/** A sink that keeps every write and answers what it is told. */
function memorySink(answer: () => Promise<WriteResult> = async () => ({ series: 0, samples: 0, refused: [] })) {
  const writes: SeriesBatch[][] = [];
  const sink: TelemetrySink = {
    write(batches) {
      writes.push(batches);
      return answer();
    },
  };
  return { sink, writes };
}

/** A recorder on a clock the test moves, with a fixed instance id. */
function recorder(options: { flushIntervalMs?: number; flushEvents?: number } = {}) {
  const clock = { t: 1_700_000_000_000 };
  const r = new Recorder({ job: 'pushpull-test', now: () => clock.t, instanceId: () => 'isolate-1', ...options });
  return { r, clock };
}

/** The value of the series whose labels include `match`, in one write. */
function valueOf(batches: SeriesBatch[], match: Record<string, string>): number | undefined {
  const found = batches.find((b) => Object.entries(match).every(([k, v]) => b.labels[k] === v));
  return found?.values[0];
}

describe('Recorder', () => {
  it('sends cumulative counter totals stamped with the flush time, labelled job, instance and collection="push"', async () => {
    const { r, clock } = recorder();
    const requests = r.counter('pushpull_edge_requests_total', ['cache_status', 'code']);
    const { sink, writes } = memorySink();
    requests.inc(['hit', '200']);
    requests.inc(['hit', '200']);
    requests.inc(['miss', '200'], 3);
    await r.flush(sink);
    clock.t += 5000;
    requests.inc(['hit', '200']);
    await r.flush(sink);

    expect(writes[0]).toContainEqual({
      labels: {
        __name__: 'pushpull_edge_requests_total',
        job: 'pushpull-test',
        instance: 'isolate-1',
        collection: 'push',
        cache_status: 'hit',
        code: '200',
      },
      timestamps: [1_700_000_000_000],
      values: [2],
    });
    expect(valueOf(writes[0], { cache_status: 'miss' })).toBe(3);
    // Never reset: the second flush carries the totals since the isolate started.
    expect(valueOf(writes[1], { cache_status: 'hit' })).toBe(3);
    expect(valueOf(writes[1], { cache_status: 'miss' })).toBe(3);
    expect(writes[1].every((b) => b.timestamps[0] === 1_700_000_005_000)).toBe(true);
  });

  it('turns a histogram into cumulative _bucket series (le, +Inf), _sum and _count', async () => {
    const { r } = recorder();
    const latency = r.histogram('pushpull_edge_request_duration_seconds', ['cache_status'], [0.01, 0.1, 1]);
    for (const v of [0.005, 0.01, 0.05, 2]) latency.observe(['hit'], v);
    const { sink, writes } = memorySink();
    await r.flush(sink);
    const buckets = writes[0]
      .filter((b) => b.labels.__name__ === 'pushpull_edge_request_duration_seconds_bucket')
      .map((b) => [b.labels.le, b.values[0]]);
    expect(buckets).toEqual([
      ['0.01', 2],
      ['0.1', 3],
      ['1', 3],
      ['+Inf', 4],
    ]);
    expect(valueOf(writes[0], { __name__: 'pushpull_edge_request_duration_seconds_sum' })).toBeCloseTo(2.065);
    expect(valueOf(writes[0], { __name__: 'pushpull_edge_request_duration_seconds_count' })).toBe(4);
  });

  it('refuses buckets that do not increase', () => {
    const { r } = recorder();
    expect(() => r.histogram('h', [], [1, 0.5])).toThrow(/buckets must increase/);
  });

  it('flushes through waitUntil at most once per interval, or after N events, never while a flush is pending', async () => {
    const { r, clock } = recorder({ flushIntervalMs: 5000, flushEvents: 10 });
    const c = r.counter('pushpull_x_total', []);
    const pending: Promise<unknown>[] = [];
    const waitUntil = (p: Promise<unknown>) => void pending.push(p);
    let release: () => void = () => undefined;
    const { sink, writes } = memorySink(
      () =>
        new Promise<WriteResult>((resolve) => {
          release = () => resolve({ series: 1, samples: 1, refused: [] });
        }),
    );

    r.flushIfDue(sink, waitUntil); // nothing recorded yet: nothing to send
    expect(writes).toHaveLength(0);
    c.inc([]);
    r.flushIfDue(sink, waitUntil); // the isolate's first event: due at once
    expect(writes).toHaveLength(1);
    for (let i = 0; i < 20; i++) c.inc([]);
    r.flushIfDue(sink, waitUntil); // 20 events, but the first write is still pending
    expect(writes).toHaveLength(1);
    release();
    await Promise.all(pending);

    c.inc([]);
    clock.t += 1000;
    r.flushIfDue(sink, waitUntil); // 21 events since: due by count
    expect(writes).toHaveLength(2);
    release();
    await Promise.all(pending);
    c.inc([]);
    clock.t += 1000;
    r.flushIfDue(sink, waitUntil); // one event, 1 s later: not due
    expect(writes).toHaveLength(2);
    clock.t += 4000;
    r.flushIfDue(sink, waitUntil); // the interval has passed
    expect(writes).toHaveLength(3);
    expect(valueOf(writes[2], { __name__: 'pushpull_x_total' })).toBe(23);
    release();
    await Promise.all(pending);
  });

  it("takes the flush interval and event count from the Worker's settings when given", async () => {
    const { r, clock } = recorder({ flushIntervalMs: 60_000, flushEvents: 1000 });
    const c = r.counter('pushpull_x_total', []);
    const { sink, writes } = memorySink();
    const pending: Promise<unknown>[] = [];
    const waitUntil = (p: Promise<unknown>) => void pending.push(p);
    const settle = () => Promise.all(pending);
    c.inc([]);
    r.flushIfDue(sink, waitUntil);
    await settle();
    expect(writes).toHaveLength(1);
    c.inc([]);
    clock.t += 1000;
    r.flushIfDue(sink, waitUntil);
    expect(writes).toHaveLength(1);
    r.flushIfDue(sink, waitUntil, { flushIntervalMs: 500 });
    await settle();
    expect(writes).toHaveLength(2);
    c.inc([]);
    r.flushIfDue(sink, waitUntil, { flushIntervalMs: 500, flushEvents: 1 });
    await settle();
    expect(writes).toHaveLength(3);
  });

  it('swallows failed writes, counts them and sends the count with the next flush', async () => {
    const { r } = recorder();
    r.counter('pushpull_x_total', []).inc([]);
    const failing = memorySink(() => Promise.reject(new Error('binding unavailable')));
    await expect(r.flush(failing.sink)).resolves.toBeUndefined();
    const throwing: TelemetrySink = {
      write() {
        throw new Error('not even a promise');
      },
    };
    await expect(r.flush(throwing)).resolves.toBeUndefined();
    await r.flush(memorySink(async () => ({ series: 0, samples: 0, refused: [], rejected: 'too many' })).sink);
    await r.flush(memorySink(async () => ({ series: 0, samples: 0, refused: [{ index: 0, message: 'bad' }] })).sink);
    expect(r.failures('error')).toBe(2);
    expect(r.failures('rejected')).toBe(1);
    expect(r.failures('refused')).toBe(1);

    const ok = memorySink();
    await r.flush(ok.sink);
    expect(valueOf(ok.writes[0], { __name__: 'pushpull_telemetry_flush_failures_total', reason: 'error' })).toBe(2);
  });

  it('never throws into the request when waitUntil itself fails', () => {
    const { r } = recorder();
    r.counter('pushpull_x_total', []).inc([]);
    const { sink } = memorySink();
    expect(() =>
      r.flushIfDue(sink, () => {
        throw new Error('no context');
      }),
    ).not.toThrow();
    expect(r.failures('error')).toBe(1);
  });

  it('draws its instance id once, at first use', () => {
    let drawn = 0;
    const r = new Recorder({ job: 'j', instanceId: () => `id-${++drawn}` });
    expect(drawn).toBe(0);
    expect(r.instance).toBe('id-1');
    expect(r.instance).toBe('id-1');
    expect(new Recorder({ job: 'j' }).instance).toMatch(/^[0-9a-f-]{36}$/);
  });
});
