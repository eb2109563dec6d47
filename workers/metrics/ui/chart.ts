/**
 * Time-series charts with uPlot: a range query's series aligned on its steps, lines or
 * stacked areas, a legend that shows the hovered values and hides a series on click, axes
 * in the panel's unit. Each chart is registered in `window.pushpullCharts` under its id so
 * tests (and curious users, from the console) can read what it draws.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { PanelUnit } from '../src/dashboards/dashboard-file';
import { alignSeries, drawable, stack } from './chart-data';
import { formatValue } from './format';

/** One line of a chart. */
interface ChartSeries {
  label: string;
  values: [number, string][];
}

/** What a chart draws. */
export interface ChartInput {
  series: ChartSeries[];
  /** Seconds since the epoch; the query's start, end and step. */
  start: number;
  end: number;
  step: number;
  unit: PanelUnit;
  stacked: boolean;
  height?: number;
}

declare global {
  interface Window {
    pushpullCharts?: Record<string, uPlot>;
  }
}

/** Colours of the series, in order (Grafana's classic palette). */
const PALETTE = [
  '#7eb26d',
  '#eab839',
  '#6ed0e0',
  '#ef843c',
  '#e24d42',
  '#1f78c1',
  '#ba43a9',
  '#705da0',
  '#508642',
  '#cca300',
  '#447ebc',
  '#c15c17',
  '#890f02',
  '#0a437c',
  '#6d1f62',
  '#584477',
];

/** The colour of the i-th series. */
export function seriesColor(i: number): string {
  return PALETTE[i % PALETTE.length] ?? '#888';
}

function withAlpha(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** A chart in `container`; call `destroy` before drawing another there. */
export interface Chart {
  plot: uPlot;
  destroy(): void;
}

/** Draws `input` into `container` and registers it as `window.pushpullCharts[id]`. */
export function drawChart(container: HTMLElement, id: string, input: ChartInput): Chart {
  // The legend shows the values as they are (NaN, ±Inf); the lines skip what is not finite.
  const exact = alignSeries(input);
  const raw = drawable(exact);
  const width = Math.max(container.clientWidth, 300);
  const opts: uPlot.Options = {
    width,
    height: input.height ?? 300,
    legend: { live: true },
    cursor: { sync: { key: 'pushpull' } },
    scales: { x: { time: true } },
    axes: [
      { stroke: '#555', grid: { stroke: '#eee' } },
      { stroke: '#555', grid: { stroke: '#eee' }, size: 70, values: (_u, ticks) => ticks.map((v) => formatValue(v, input.unit)) },
    ],
    series: [
      { label: 'time', value: (_u, v) => (v === null ? '—' : new Date(v * 1000).toLocaleString()) },
      ...input.series.map((s, i): uPlot.Series => ({
        value: (_u, _v, _si, idx) => formatValue(idx === null ? null : (exact[i + 1] as (number | null)[])[idx], input.unit),
        label: s.label,
        stroke: seriesColor(i),
        width: 1.5,
        fill: input.stacked ? withAlpha(seriesColor(i), 0.45) : undefined,
        spanGaps: false,
      })),
    ],
  };
  let data = raw;
  if (input.stacked) {
    const stacked = stack(raw, () => false);
    data = stacked.data;
    opts.bands = stacked.bands;
    opts.scales = { ...opts.scales, y: { range: (_u, _min, max) => [0, uPlot.rangeNum(0, max, 0.1, true)[1]] } };
    // The legend keeps each series' own value (above), not the running sum.
    opts.hooks = {
      setSeries: [
        (u) => {
          const again = stack(raw, (i) => u.series[i]?.show === false);
          u.delBand(null);
          for (const b of again.bands) u.addBand(b);
          u.setData(again.data);
        },
      ],
    };
  }
  const plot = new uPlot(opts, data, container);
  const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(container.clientWidth, 300), height: input.height ?? 300 }));
  resize.observe(container);
  (window.pushpullCharts ??= {})[id] = plot;
  return {
    plot,
    destroy: () => {
      resize.disconnect();
      plot.destroy();
      if (window.pushpullCharts?.[id] === plot) delete window.pushpullCharts[id];
    },
  };
}
