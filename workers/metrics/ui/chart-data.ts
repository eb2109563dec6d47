/** A range query's series as uPlot's columns, and their running sums for stacked charts. Pure. */
import type uPlot from 'uplot';
import { parsePromValue } from './format';

/** Aligns the series on `start + k·step` (Prometheus's range-query timestamps); gaps are null. */
export function alignSeries(input: {
  series: { values: [number, string][] }[];
  start: number;
  end: number;
  step: number;
}): uPlot.AlignedData {
  const count = Math.floor((input.end - input.start) / input.step + 1e-9) + 1;
  const xs = Array.from({ length: count }, (_, k) => input.start + k * input.step);
  const columns = input.series.map((s) => {
    const ys: (number | null)[] = new Array<number | null>(count).fill(null);
    for (const [t, v] of s.values) {
      const k = Math.round((t - input.start) / input.step);
      if (k >= 0 && k < count) ys[k] = parsePromValue(v);
    }
    return ys;
  });
  return [xs, ...columns];
}

/** Running sums for a stacked chart, skipping hidden series; bands fill between neighbours. */
export function stack(data: uPlot.AlignedData, hidden: (i: number) => boolean): { data: uPlot.AlignedData; bands: uPlot.Band[] } {
  const xs = data[0];
  const sums = new Array<number>(xs.length).fill(0);
  const out: (number | null)[][] = [];
  for (let i = 1; i < data.length; i++) {
    const col = data[i] as (number | null)[];
    out.push(hidden(i) ? col : col.map((v, k) => (v === null || !Number.isFinite(v) ? (sums[k] ?? 0) : (sums[k] = (sums[k] ?? 0) + v))));
  }
  const bands: uPlot.Band[] = [];
  let below = -1;
  for (let i = 1; i < data.length; i++) {
    if (hidden(i)) continue;
    if (below > 0) bands.push({ series: [i, below] });
    below = i;
  }
  return { data: [xs, ...out] as uPlot.AlignedData, bands };
}

/** uPlot draws finite numbers only: NaN and ±Inf become gaps in what it draws. */
export function drawable(data: uPlot.AlignedData): uPlot.AlignedData {
  return [
    data[0],
    ...data.slice(1).map((col) => (col as (number | null)[]).map((v) => (v === null || Number.isFinite(v) ? v : null))),
  ] as uPlot.AlignedData;
}
