// Line-protocol parse throughput: `npx tsx bench/line-protocol.ts`.
// Parses typical lines (3 tags, 10 fields: 8 floats, 2 integers, ns timestamps) and prints lines/s and
// MB/s for parseLineProtocol on the body's bytes (as a Worker receives it) and on text, against baselines
// measured in the same run:
//   - a naive split-based parser (split on '\n', ' ', ',', '='; Number(); no escaping, no validation),
//     given the already-decoded text (the decoding it would need is not counted in its favour),
//   - @influxdata/influxdb-client serialising the same points (Point.toLineProtocol), i.e. what a client
//     spends to produce the lines.
// Reference from issue 4: the Go decoder of influxdata/line-protocol did 1.62 M lines/s on one core;
// goal >= 1.5 M lines/s. It also times pointsToSeries (points -> series batches, the Worker-side step after
// parsing) on the parsed points, per 10k samples, against the same mapping without caches (labels
// object and sorted key string per point, key concatenation and map lookup per sample). Each figure is the median CPU time of up to RUNS interleaved rounds, bounded by
// BENCH_MS per contender.
import { measureAll } from './lib/cpu-time';
import { Point as InfluxPoint } from '@influxdata/influxdb-client';
import { pointsToSeries } from '@pushpull/wire/influx/series-mapping';
import { parseLineProtocol } from '@pushpull/wire/influx/line-protocol';

const LINES = Number(process.env.BENCH_LINES ?? 50_000);
const RUNS = 9;
const MAX_MS = Number(process.env.BENCH_MS ?? 4000);

function buildLines(count: number): string {
  const parts: string[] = [];
  const t0 = 1_700_000_000_000_000_000n;
  for (let i = 0; i < count; i++) {
    const host = `server-${String(i % 100).padStart(2, '0')}`;
    const f = (k: number) => ((i * 7 + k * 13) % 1000) / 8;
    parts.push(
      `cpu,host=${host},region=us-west-${i % 3},cpu=cpu${i % 8} ` +
        `usage_user=${f(1)},usage_system=${f(2)},usage_idle=${f(3)},usage_nice=${f(4)},usage_iowait=${f(5)},` +
        `usage_irq=${f(6)},usage_softirq=${f(7)},usage_steal=${f(8)},processes=${i % 500}i,threads=${i % 2000}i ` +
        `${t0 + BigInt(i) * 10_000_000n}`,
    );
  }
  return `${parts.join('\n')}\n`;
}

/** The baseline a newcomer writes: string splits, no escaping, no type checks. */
function naiveParse(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const [key, fieldSet, ts] = line.split(' ');
    const [measurement, ...tagPairs] = key.split(',');
    const tags: Record<string, string> = {};
    for (const t of tagPairs) {
      const [k, v] = t.split('=');
      tags[k] = v;
    }
    const fields: Record<string, number> = {};
    for (const f of fieldSet.split(',')) {
      const [k, v] = f.split('=');
      fields[k] = Number(v.endsWith('i') ? v.slice(0, -1) : v);
    }
    if (measurement === '' || Number.isNaN(Number(ts))) throw new Error('bad line');
    n++;
  }
  return n;
}

/**
 * The mapping without caches (the shape pointsToSeries had before it cached per tag array): per point a
 * labels object and a sorted key string, per sample a key concatenation and a map lookup.
 */
function naiveMapping(points: ReturnType<typeof parseLineProtocol>['points']): number {
  const bySeries = new Map<string, { labels: Record<string, string>; timestamps: number[]; values: number[] }>();
  let samples = 0;
  for (const p of points) {
    const labels: Record<string, string> = {};
    for (let i = 0; i < p.tags.length; i += 2) labels[p.tags[i]] = p.tags[i + 1];
    const names = Object.keys(labels).sort();
    let tagKey = '';
    for (const name of names) tagKey += `\u0000${name}\u0001${labels[name]}`;
    for (let f = 0; f < p.fieldKeys.length; f++) {
      if (p.fieldTypes[f] === 'string') continue;
      const metric = p.fieldKeys[f] === 'value' ? p.measurement : `${p.measurement}_${p.fieldKeys[f]}`;
      const key = metric + tagKey;
      let batch = bySeries.get(key);
      if (batch === undefined) {
        const all: Record<string, string> = { __name__: metric };
        for (const name of names) all[name] = labels[name];
        batch = { labels: all, timestamps: [], values: [] };
        bySeries.set(key, batch);
      }
      batch.timestamps.push(p.timestampMs);
      batch.values.push(p.fieldValues[f]);
      samples++;
    }
  }
  return samples;
}

/** Machine calibration: a loop that only reads each byte of the body (counts newlines). */
function readEveryByte(b: Uint8Array): number {
  let lines = 0;
  for (let i = 0; i < b.length; i++) if (b[i] === 10) lines++;
  return lines;
}

function clientSerialise(count: number): number {
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const p = new InfluxPoint('cpu')
      .tag('host', `server-${i % 100}`)
      .tag('region', `us-west-${i % 3}`)
      .tag('cpu', `cpu${i % 8}`);
    for (let k = 1; k <= 8; k++) p.floatField(`usage_${k}`, ((i * 7 + k * 13) % 1000) / 8);
    p.intField('processes', i % 500)
      .intField('threads', i % 2000)
      .timestamp(`${1_700_000_000_000_000_000n + BigInt(i)}`);
    bytes += (p.toLineProtocol() ?? '').length;
  }
  return bytes;
}

const text = buildLines(LINES);
const bytes = new TextEncoder().encode(text); // the request body as a Worker receives it
const mb = bytes.length / 1e6;
const check = parseLineProtocol(bytes, { precision: 'ns', now: () => Date.now() });
if (check.points.length !== LINES || check.errors.length !== 0) throw new Error('bench input did not parse');
if (naiveParse(text) !== LINES) throw new Error('naive baseline did not parse');
const mapped = pointsToSeries(check.columns, { db: 'bench' });
const SAMPLES = mapped.samples;
if (SAMPLES !== LINES * 10 || naiveMapping(check.points) !== SAMPLES) throw new Error('mapping did not map every sample');

const [ours, oursText, naive, floor, client, mapping, naiveMap] = measureAll(
  [
    () => parseLineProtocol(bytes, { precision: 'ns', now: () => Date.now() }),
    () => parseLineProtocol(text, { precision: 'ns', now: () => Date.now() }),
    () => naiveParse(text),
    () => readEveryByte(bytes),
    () => clientSerialise(LINES),
    () => pointsToSeries(check.columns, { db: 'bench' }),
    () => naiveMapping(check.points),
  ],
  RUNS,
  MAX_MS,
);

const row = (name: string, m: { seconds: number; wall: number; runs: number }) =>
  `${name.padEnd(50)} ${(LINES / m.seconds / 1e6).toFixed(2).padStart(6)} M lines/s  ${(mb / m.seconds).toFixed(1).padStart(6)} MB/s  ` +
  `(CPU time, median of ${m.runs}; wall ${(LINES / m.wall / 1e6).toFixed(2)} M lines/s)`;

console.log(`line protocol: ${LINES} lines, ${mb.toFixed(1)} MB, 3 tags + 10 fields per line, node ${process.version}`);
console.log(row('parseLineProtocol(bytes) (pushpull)', ours));
console.log(row('parseLineProtocol(text) (encodes to UTF-8 first)', oursText));
console.log(row('baseline: naive split parser', naive));
console.log(row('baseline: influxdb-client Point serialise', client));
console.log(row('calibration: a loop reading each byte once', floor));
console.log(`ratio parseLineProtocol / naive split parser: ${(naive.seconds / ours.seconds).toFixed(2)}x`);
console.log(`ratio parseLineProtocol / influxdb-client serialise: ${(client.seconds / ours.seconds).toFixed(2)}x`);
const perTenK = (m: { seconds: number; runs: number }) =>
  `${((m.seconds * 1000 * 10_000) / SAMPLES).toFixed(2).padStart(6)} ms per 10k samples (CPU time, median of ${m.runs})`;
console.log(`pointsToSeries: ${SAMPLES} samples in ${mapped.series.length} series`);
console.log(`${'pointsToSeries (pushpull)'.padEnd(50)} ${perTenK(mapping)}`);
console.log(`${'baseline: mapping without caches'.padEnd(50)} ${perTenK(naiveMap)}`);
console.log(`ratio pointsToSeries / mapping without caches: ${(naiveMap.seconds / mapping.seconds).toFixed(2)}x`);
console.log(
  `reference (not measured here): Go influxdata/line-protocol decoder 1.62 M lines/s; goal >= 1.5 M lines/s -> ${LINES / ours.seconds >= 1.5e6 ? 'met' : 'NOT met'}`,
);
