/**
 * The pages' state in their URLs: the expression browser's panels in Prometheus's own
 * parameters (g0.expr, g0.tab, g0.range_input, …) and a dashboard's time range and refresh
 * as Grafana writes them (from=now-1h&to=now&refresh=30s). Pure, so it is unit-tested in Node.
 */
import type { Dashboard } from '../src/dashboards/dashboard-file';
import { formatDuration, formatUtc, parseDuration, parseUtc } from './time';

/** One panel's state, as kept in the URL. */
export interface PanelState {
  expr: string;
  tab: 'graph' | 'table';
  rangeMs: number;
  /** End of the range (graph) or evaluation time (table); null: now. */
  endMs: number | null;
  /** Step in seconds; null: automatic (range / 250). */
  stepSeconds: number | null;
  stacked: boolean;
}

const DEFAULT_RANGE_MS = 3_600_000;

/** A new, empty panel: graph tab, last hour, automatic step, unstacked. */
export function defaultPanel(): PanelState {
  return { expr: '', tab: 'graph', rangeMs: DEFAULT_RANGE_MS, endMs: null, stepSeconds: null, stacked: false };
}

/** Reads panels from Prometheus's URL parameters (also its older `stacked` and `step_input`). */
export function decodePanels(search: string): PanelState[] {
  const p = new URLSearchParams(search);
  const panels: PanelState[] = [];
  for (let i = 0; p.has(`g${i}.expr`); i++) {
    const get = (k: string): string | null => p.get(`g${i}.${k}`);
    const panel = defaultPanel();
    panel.expr = get('expr') ?? '';
    const tab = get('tab');
    if (tab === '1' || tab === 'table') panel.tab = 'table';
    panel.rangeMs = parseDuration(get('range_input') ?? '') ?? DEFAULT_RANGE_MS;
    panel.endMs = parseUtc(get('end_input') ?? get('moment_input') ?? '') ?? null;
    const legacyStep = Number(get('step_input') ?? '');
    if (legacyStep > 0) panel.stepSeconds = legacyStep;
    const resStep = Number(get('res_step') ?? '');
    if ((get('res_type') === 'fixed' || get('res_type') === 'custom') && resStep > 0) panel.stepSeconds = resStep;
    if (get('res_type') === 'auto') panel.stepSeconds = null;
    panel.stacked = get('display_mode') === 'stacked' || get('stacked') === '1';
    panels.push(panel);
  }
  return panels;
}

/** Writes panels as Prometheus's URL parameters. */
export function encodePanels(panels: PanelState[]): string {
  const p = new URLSearchParams();
  panels.forEach((panel, i) => {
    const set = (k: string, v: string): void => p.set(`g${i}.${k}`, v);
    set('expr', panel.expr);
    set('tab', panel.tab);
    set('range_input', formatDuration(panel.rangeMs));
    if (panel.endMs !== null) set('end_input', formatUtc(panel.endMs));
    if (panel.stepSeconds === null) set('res_type', 'auto');
    else {
      set('res_type', 'fixed');
      set('res_step', String(panel.stepSeconds));
    }
    set('display_mode', panel.stacked ? 'stacked' : 'lines');
  });
  return p.toString();
}

/** The dashboard's time range and refresh, as in the URL. */
export interface DashboardTime {
  rangeMs: number;
  /** End of the range in ms; null: now (follows the clock on refresh). */
  endMs: number | null;
  /** Refresh interval in ms; 0: off. */
  refreshMs: number;
}

/** The refresh choices offered on a dashboard. */
export const REFRESH_CHOICES = ['off', '5s', '10s', '30s', '1m', '5m'];

/** Reads Grafana's `from=now-1h&to=now&refresh=30s` (also absolute `from`/`to` in ms). */
export function decodeTime(search: string, dashboard: Dashboard): DashboardTime {
  const p = new URLSearchParams(search);
  const defaults: DashboardTime = {
    rangeMs: parseDuration(dashboard.time) ?? 3_600_000,
    endMs: null,
    refreshMs: dashboard.refresh === 'off' ? 0 : (parseDuration(dashboard.refresh) ?? 0),
  };
  const from = p.get('from');
  const to = p.get('to');
  const out = { ...defaults };
  if (to !== null && /^\d+$/.test(to)) out.endMs = Number(to);
  if (from !== null) {
    const relative = /^now-(.+)$/.exec(from);
    if (relative) out.rangeMs = parseDuration(relative[1] ?? '') ?? defaults.rangeMs;
    else if (/^\d+$/.test(from)) out.rangeMs = Math.max((out.endMs ?? Date.now()) - Number(from), 1000);
  }
  const refresh = p.get('refresh');
  if (refresh !== null) out.refreshMs = refresh === 'off' || refresh === '' ? 0 : (parseDuration(refresh) ?? defaults.refreshMs);
  return out;
}

/** Writes {@link DashboardTime} the way {@link decodeTime} reads it. */
export function encodeTime(t: DashboardTime): string {
  const p = new URLSearchParams();
  if (t.endMs === null) {
    p.set('from', `now-${formatDuration(t.rangeMs)}`);
    p.set('to', 'now');
  } else {
    p.set('from', String(t.endMs - t.rangeMs));
    p.set('to', String(t.endMs));
  }
  p.set('refresh', t.refreshMs === 0 ? 'off' : formatDuration(t.refreshMs));
  return p.toString();
}
