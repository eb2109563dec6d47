/**
 * The oracle's samples: deterministic series (counters with resets, gauges, a classic histogram, staleness
 * markers, NaN/±Inf, several jobs and instances) that both pushpull and the real Prometheus receive.
 *
 * Every timestamp is `base + k·15 s + 250 ms`, with `base` a whole hour, so that no sample sits on the edge of a
 * window that starts or ends at a whole second: Prometheus 2.42 closes range windows on the left and 3.x opens
 * them, and the two agree whenever no sample lies exactly on the edge.
 */
import type { SeriesBatch } from '@pushpull/contracts/metrics';

/** Points per series: 3 h at 15 s. */
const POINTS = 720;
/** The scrape interval of the synthetic data. */
const STEP_MS = 15_000;
/** Offset of every sample past its 15 s slot (keeps samples off whole-second window edges). */
const JITTER_MS = 250;

/** The staleness marker's value (the store keeps it from `staleAt`). */
const STALE = Number.NaN;

/** A series built point by point: `value(k)` returns the sample at slot k, `undefined` for none, 'stale' for a marker. */
function series(labels: Record<string, string>, base: number, value: (k: number) => number | 'stale' | undefined): SeriesBatch {
  const out: SeriesBatch = { labels, timestamps: [], values: [], staleAt: [] };
  for (let k = 0; k < POINTS; k++) {
    const v = value(k);
    if (v === undefined) continue;
    out.timestamps.push(base + k * STEP_MS + JITTER_MS);
    if (v === 'stale') {
      out.staleAt?.push(out.values.length);
      out.values.push(STALE);
    } else out.values.push(v);
  }
  return out;
}

/** A counter: increments `inc(k)` per slot, reset to `inc(k)` at the slots in `resets`. */
function counter(inc: (k: number) => number, resets: readonly number[]): (k: number) => number {
  const values: number[] = [];
  let total = 0;
  for (let k = 0; k < POINTS; k++) {
    total = resets.includes(k) ? inc(k) : total + inc(k);
    values.push(total);
  }
  return (k) => values[k];
}

/** Rounds to 3 decimals so that both stores hold the same doubles. */
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

const BUCKETS = ['0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];

/** Every series of the oracle's data set, `base` being a whole hour in ms. */
export function dataset(base: number): SeriesBatch[] {
  const out: SeriesBatch[] = [];
  let i = 0;
  for (const job of ['api', 'web']) {
    for (const instance of ['a:9100', 'b:9100']) {
      for (const method of ['get', 'post']) {
        for (const code of ['200', '500']) {
          const n = i++;
          const resets = n % 4 === 1 ? [300] : n % 5 === 2 ? [150, 500] : [];
          const inc = (k: number): number => ((n * 7 + k * 3) % 11) + (n % 3) * 0.5 + (code === '500' ? 0 : 4);
          out.push(series({ __name__: 'http_requests_total', job, instance, method, code }, base, counter(inc, resets)));
        }
      }
    }
    for (const instance of ['a:9100', 'b:9100']) {
      // up: 1, except api/b:9100 which is down for 20 min in the middle.
      const down = job === 'api' && instance === 'b:9100';
      out.push(series({ __name__: 'up', job, instance }, base, (k) => (down && k >= 360 && k < 440 ? 0 : 1)));
    }
  }
  ['a:9100', 'b:9100', 'c:9100'].forEach((instance, n) => {
    out.push(series({ __name__: 'node_temp_celsius', job: 'node', instance }, base, (k) => round3(40 + 10 * Math.sin(k / 20 + n) + n)));
    out.push(series({ __name__: 'mem_free_bytes', job: 'node', instance }, base, (k) => 1e9 + ((k * 12_345 + n * 777) % 99_991) * 1000));
  });
  ['a:9100', 'b:9100'].forEach((instance, n) => {
    const rates = [0.2, 0.35, 0.55, 0.75, 0.9, 0.97, 1];
    const total = counter((k) => 10 + ((k * (n + 3)) % 7), n === 1 ? [400] : []);
    for (let b = 0; b < BUCKETS.length; b++) {
      const le = BUCKETS[b];
      out.push(
        series({ __name__: 'request_duration_seconds_bucket', job: 'api', instance, le }, base, (k) => Math.floor(total(k) * rates[b])),
      );
    }
    out.push(series({ __name__: 'request_duration_seconds_count', job: 'api', instance }, base, total));
    out.push(series({ __name__: 'request_duration_seconds_sum', job: 'api', instance }, base, (k) => round3(total(k) * (0.3 + n * 0.1))));
  });
  const specials: Record<string, (k: number) => number> = {
    nan: () => Number.NaN,
    inf: () => Number.POSITIVE_INFINITY,
    neginf: () => Number.NEGATIVE_INFINITY,
    mixed: (k) => [1, Number.NaN, 3, Number.POSITIVE_INFINITY, -2, Number.NEGATIVE_INFINITY, 0][k % 7],
    zero: () => 0,
    negative: (k) => -((k % 13) + 0.5),
  };
  for (const [kind, f] of Object.entries(specials)) out.push(series({ __name__: 'special_value', kind }, base, f));
  // Staleness: a gap closed by a marker, a series ended by a marker, one that just stops (5 min lookback applies).
  out.push(series({ __name__: 'flappy', instance: 'x' }, base, (k) => (k < 240 ? k : k === 240 ? 'stale' : k >= 300 ? k * 2 : undefined)));
  out.push(series({ __name__: 'ended', instance: 'x' }, base, (k) => (k < 360 ? 5 + (k % 4) : k === 360 ? 'stale' : undefined)));
  out.push(series({ __name__: 'vanished', instance: 'x' }, base, (k) => (k < 400 ? 100 - (k % 9) : undefined)));
  // Sparse: one sample a minute.
  out.push(series({ __name__: 'sparse_gauge', instance: 'x' }, base, (k) => (k % 4 === 0 ? (k % 17) - 8 : undefined)));
  // Labels for label_replace / label_join and regex matchers.
  out.push(series({ __name__: 'label_test', src: 'alpha-beta', dst: 'gamma', path: '/api/v1/query' }, base, () => 1));
  out.push(series({ __name__: 'label_test', src: 'delta', dst: 'epsilon.zeta', path: '/metrics\nx' }, base, () => 2));
  // A gauge holding Unix times (seconds), for the calendar functions.
  out.push(series({ __name__: 'event_time_seconds', instance: 'x' }, base, (k) => 1_600_000_000 + k * 97_531)); // ~1.1 days a slot
  return out;
}
