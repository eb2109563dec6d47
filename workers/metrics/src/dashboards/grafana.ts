/**
 * Exports a dashboard file as Grafana dashboard JSON (schema of Grafana 10/11, as
 * grafana.com dashboards such as Node Exporter Full are written): one row panel per row,
 * timeseries / stat / table panels on the 24-column grid, every query on the Prometheus data
 * source chosen by the `ds_prometheus` variable, so that importing it asks nothing and works
 * with a data source pointing at the metrics Worker.
 */
import { panelWidths, type Dashboard, type Panel, type PanelKind } from './dashboard-file';

/** The data-source reference every panel and target uses (the dashboard variable). */
const DATASOURCE = { type: 'prometheus', uid: '${ds_prometheus}' } as const;

/** Grafana panel type of each kind. */
const PANEL_TYPE: Record<PanelKind, string> = { line: 'timeseries', 'stacked-area': 'timeseries', stat: 'stat', table: 'table' };

/** Panel heights in grid rows (a grid row is 30 px). */
const PANEL_HEIGHT = 8;

/** Converts a Prometheus duration (`1h`) into Grafana's relative time (`now-1h`). */
function relativeTime(duration: string): string {
  return `now-${duration}`;
}

function refId(i: number): string {
  return String.fromCharCode(65 + (i % 26)) + (i >= 26 ? String(Math.floor(i / 26)) : '');
}

function targets(panel: Panel): Record<string, unknown>[] {
  const instant = panel.kind === 'stat' || panel.kind === 'table';
  return panel.queries.map((q, i) => ({
    editorMode: 'code',
    expr: q.expr,
    format: panel.kind === 'table' ? 'table' : 'time_series',
    instant,
    range: !instant,
    legendFormat: q.legend ?? '__auto',
    refId: refId(i),
  }));
}

function fieldConfig(panel: Panel): Record<string, unknown> {
  const defaults: Record<string, unknown> = {
    color: { mode: panel.kind === 'stat' ? 'thresholds' : 'palette-classic' },
    mappings: [],
    thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }] },
    unit: panel.unit,
  };
  if (panel.kind === 'line' || panel.kind === 'stacked-area') {
    const stacked = panel.kind === 'stacked-area';
    defaults.custom = {
      drawStyle: 'line',
      lineWidth: 1,
      fillOpacity: stacked ? 40 : 0,
      gradientMode: 'none',
      pointSize: 5,
      spanNulls: false,
      stacking: { group: 'A', mode: stacked ? 'normal' : 'none' },
      axisPlacement: 'auto',
      scaleDistribution: { type: 'linear' },
      thresholdsStyle: { mode: 'off' },
    };
    if (stacked) defaults.min = 0;
  }
  return { defaults, overrides: [] };
}

function options(panel: Panel): Record<string, unknown> {
  switch (panel.kind) {
    case 'line':
    case 'stacked-area':
      return {
        legend: { calcs: [], displayMode: 'list', placement: 'bottom', showLegend: true },
        tooltip: { mode: 'multi', sort: panel.kind === 'stacked-area' ? 'none' : 'desc' },
      };
    case 'stat':
      return {
        colorMode: 'none',
        graphMode: 'area',
        justifyMode: 'auto',
        orientation: 'auto',
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        textMode: 'auto',
      };
    case 'table':
      return { cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' }, showHeader: true };
  }
}

/** The Grafana dashboard JSON for a dashboard file named `name`. */
export function toGrafanaDashboard(name: string, dashboard: Dashboard): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of dashboard.rows) {
    panels.push({ collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, id: id++, panels: [], title: row.title, type: 'row' });
    y += 1;
    const widths = panelWidths(row);
    let x = 0;
    row.panels.forEach((panel, i) => {
      const w = widths[i] ?? 24;
      if (x + w > 24) {
        x = 0;
        y += PANEL_HEIGHT;
      }
      const out: Record<string, unknown> = {
        datasource: DATASOURCE,
        fieldConfig: fieldConfig(panel),
        gridPos: { h: PANEL_HEIGHT, w, x, y },
        id: id++,
        options: options(panel),
        targets: targets(panel),
        title: panel.title,
        type: PANEL_TYPE[panel.kind],
      };
      if (panel.description !== undefined) out.description = panel.description;
      if (panel.kind === 'table')
        out.transformations = [
          { id: 'merge', options: {} },
          { id: 'organize', options: { excludeByName: { Time: true } } },
        ];
      panels.push(out);
      x += w;
    });
    y += PANEL_HEIGHT;
  }
  const usedTypes = [...new Set(dashboard.rows.flatMap((r) => r.panels.map((p) => PANEL_TYPE[p.kind])))].sort();
  const panelNames: Record<string, string> = { timeseries: 'Time series', stat: 'Stat', table: 'Table' };
  return {
    __requires: [
      { type: 'grafana', id: 'grafana', name: 'Grafana', version: '10.0.0' },
      { type: 'datasource', id: 'prometheus', name: 'Prometheus', version: '1.0.0' },
      ...usedTypes.map((t) => ({ type: 'panel', id: t, name: panelNames[t] ?? t, version: '' })),
    ],
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    description: dashboard.description ?? '',
    editable: true,
    fiscalYearStartMonth: 0,
    graphTooltip: 1,
    id: null,
    links: [],
    panels,
    refresh: dashboard.refresh === 'off' ? '' : dashboard.refresh,
    schemaVersion: 39,
    tags: ['pushpull'],
    templating: {
      list: [
        {
          current: {},
          hide: 0,
          includeAll: false,
          label: 'Data source',
          multi: false,
          name: 'ds_prometheus',
          options: [],
          query: 'prometheus',
          refresh: 1,
          regex: '',
          type: 'datasource',
        },
      ],
    },
    time: { from: relativeTime(dashboard.time), to: 'now' },
    timepicker: {},
    timezone: 'browser',
    title: dashboard.title,
    uid: `pushpull-${name}`.slice(0, 40),
    version: 1,
    weekStart: '',
  };
}
