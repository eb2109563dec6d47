/** Formatting for the pages: values in a panel's unit, series names, legend templates. */
import type { PanelUnit } from '../src/dashboards/dashboard-file';

const SI = ['', 'k', 'M', 'G', 'T', 'P'];
const IEC = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

function trim(n: number, digits = 3): string {
  if (n === 0) return '0';
  const abs = Math.abs(n);
  if (abs >= 100) return n.toFixed(0);
  return Number(n.toPrecision(digits)).toString();
}

function scaled(v: number, base: number, names: string[], suffix = ''): string {
  let i = 0;
  let x = v;
  while (Math.abs(x) >= base && i < names.length - 1) {
    x /= base;
    i++;
  }
  return `${trim(x)}${names[i] === '' ? '' : ` ${names[i]}`}${suffix}`.trim();
}

function seconds(v: number): string {
  const abs = Math.abs(v);
  if (abs === 0) return '0 s';
  if (abs < 1e-3) return `${trim(v * 1e6)} µs`;
  if (abs < 1) return `${trim(v * 1e3)} ms`;
  if (abs < 120) return `${trim(v)} s`;
  if (abs < 7200) return `${trim(v / 60)} min`;
  return `${trim(v / 3600)} h`;
}

/** A sample value as the API writes it (`"1.5"`, `"+Inf"`, `"-Inf"`, `"NaN"`) as a number. */
export function parsePromValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

/** A value in a panel's unit (NaN and ±Inf as Prometheus writes them). */
export function formatValue(v: number | null | undefined, unit: PanelUnit = 'short'): string {
  if (v === null || v === undefined) return '—';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  switch (unit) {
    case 'percentunit':
      return `${trim(v * 100)}%`;
    case 'bytes':
      return scaled(v, 1024, IEC).replace(/^(-?[\d.]+)$/, '$1 B');
    case 'Bps':
      return `${scaled(v, 1000, ['B', 'kB', 'MB', 'GB', 'TB'])}/s`;
    case 'reqps':
      return `${scaled(v, 1000, SI)} req/s`;
    case 'ops':
      return `${scaled(v, 1000, SI)} /s`;
    case 's':
      return seconds(v);
    case 'none':
      return String(v);
    case 'short':
      return scaled(v, 1000, SI);
  }
}

/** A series' name as Prometheus's UI writes it: `name{label="value", …}`. */
export function seriesName(metric: Record<string, string>): string {
  const name = metric.__name__ ?? '';
  const labels = Object.entries(metric)
    .filter(([k]) => k !== '__name__')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  if (labels.length === 0) return name === '' ? '{}' : name;
  return `${name}{${labels.join(', ')}}`;
}

/** Grafana's legendFormat: `{{label}}` becomes the label's value; no template: the series name. */
export function legendName(metric: Record<string, string>, template: string | undefined): string {
  if (template === undefined || template === '' || template === '__auto') return seriesName(metric);
  return template.replace(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_, label: string) => metric[label] ?? '');
}
