// remote_write decode throughput: `npx tsx bench/remote-write.ts`.
// Decodes a Prometheus-sized request (2 000 series x 5 samples, labels like a node_exporter scrape, as
// encodeRemoteWrite writes it) and prints samples/s for decodeRemoteWrite (snappy check + snappyjs +
// protobuf + validation), against baselines measured in the same run:
//   - snappyjs.uncompress alone (the floor any decoder built on snappyjs pays),
//   - encodeRemoteWrite of the same series (the sender's side).
// Each figure is the median CPU time of up to RUNS interleaved rounds, bounded by BENCH_MS per contender.
import { measureAll } from './lib/cpu-time';
import { uncompress } from 'snappyjs';
import type { SeriesBatch } from '@pushpull/contracts/metrics';
import { decodeRemoteWrite, encodeRemoteWrite } from '@pushpull/wire/remote-write/write-request';

const SERIES = Number(process.env.BENCH_SERIES ?? 2000);
const SAMPLES = 5;
const RUNS = 9;
const MAX_MS = Number(process.env.BENCH_MS ?? 3000);

const series: SeriesBatch[] = [];
for (let i = 0; i < SERIES; i++) {
  series.push({
    labels: {
      __name__: `node_cpu_seconds_total`,
      cpu: String(i % 64),
      mode: ['idle', 'user', 'system', 'iowait'][i % 4],
      instance: `host-${i >> 8}:9100`,
      job: 'node',
    },
    timestamps: Array.from({ length: SAMPLES }, (_, k) => 1_700_000_000_000 + k * 15_000),
    values: Array.from({ length: SAMPLES }, (_, k) => i * 1.5 + k),
  });
}
const body = encodeRemoteWrite(series);
const raw = uncompress(body);
const samples = SERIES * SAMPLES;
const opts = { maxDecompressedBytes: 64 << 20 };
const check = decodeRemoteWrite(body, opts);
if (check.samples !== samples || check.errors.length) throw new Error('bench body did not decode');

const [decode, snappy, encode] = measureAll(
  [() => decodeRemoteWrite(body, opts), () => uncompress(body), () => encodeRemoteWrite(series)],
  RUNS,
  MAX_MS,
);
const row = (name: string, m: { seconds: number; runs: number }) =>
  `${name.padEnd(40)} ${(samples / m.seconds / 1e6).toFixed(2).padStart(6)} M samples/s  ${(raw.length / m.seconds / 1e6).toFixed(1).padStart(6)} MB/s protobuf  (CPU time, median of ${m.runs})`;

console.log(
  `remote_write: ${SERIES} series x ${SAMPLES} samples, ${(body.length / 1e6).toFixed(2)} MB snappy, ${(raw.length / 1e6).toFixed(2)} MB protobuf, node ${process.version}`,
);
console.log(row('decodeRemoteWrite (pushpull)', decode));
console.log(row('baseline: snappyjs.uncompress alone', snappy));
console.log(row('baseline: encodeRemoteWrite (sender)', encode));
console.log(
  `ratio decodeRemoteWrite / snappyjs.uncompress alone: ${(snappy.seconds / decode.seconds).toFixed(2)}x (1.0 = decoding costs nothing beyond snappy)`,
);
console.log(`ratio decodeRemoteWrite / encodeRemoteWrite: ${(encode.seconds / decode.seconds).toFixed(2)}x`);
