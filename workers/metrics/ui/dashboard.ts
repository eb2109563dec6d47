/**
 * A dashboard page (/dashboards/<name>): the file's rows and panels on a 24-column grid,
 * each panel's queries run against the same origin's query API, auto-refresh, and the time
 * range and refresh interval in the URL as Grafana writes them (`?from=now-1h&to=now&refresh=30s`).
 * A panel whose query fails shows Prometheus's error; one with no data says why, naming the
 * catalogue's self-metrics that no Worker pushes yet.
 */
import { catalogueEntry } from '../src/dashboards/catalogue';
import { panelWidths, parseDashboard, type Dashboard, type Panel } from '../src/dashboards/dashboard-file';
import { PromError, queryInstant, queryRange, type InstantSample, type RangeSeries } from './api';
import { drawChart, seriesColor, type Chart } from './chart';
import { formatValue, legendName, parsePromValue, seriesName } from './format';
import { el, markFirstChart, readPageConfig } from './page';
import { autoStepSeconds, formatDuration, parseDuration, RANGE_CHOICES } from './time';
import { decodeTime, encodeTime, REFRESH_CHOICES, type DashboardTime } from './url-state';
import './dashboard.css';

/** Catalogue metrics an expression names that no Worker pushes yet. */
function plannedMetrics(expr: string): string[] {
  const names = new Set<string>();
  for (const m of expr.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const entry = catalogueEntry(m[0]);
    if (entry?.status === 'planned') names.add(entry.name);
  }
  return [...names];
}

/** One panel on the page. */
class DashboardPanel {
  readonly root: HTMLElement;
  private readonly body: HTMLElement;
  private chart: Chart | null = null;
  private controller: AbortController | null = null;
  private busy = false;

  constructor(
    private readonly panel: Panel,
    private readonly id: string,
    width: number,
  ) {
    const explore = el('a', { class: 'explore', title: 'Open the queries in the expression browser', href: graphLink(panel) }, '↗');
    this.root = el(
      'section',
      { class: `panel kind-${panel.kind}`, 'data-panel-id': id, style: `grid-column: span ${width}` },
      el('header', {}, el('h3', {}, panel.title), explore),
    );
    if (panel.description) this.root.title = panel.description;
    this.body = el('div', { class: 'panel-body', 'data-state': 'loading' }, el('p', { class: 'muted' }, 'Loading…'));
    this.root.append(this.body);
  }

  private show(state: string, ...content: (Node | string)[]): void {
    this.chart?.destroy();
    this.chart = null;
    this.body.dataset.state = state;
    this.body.replaceChildren(...content);
  }

  private emptyMessage(): HTMLElement {
    const planned = [...new Set(this.panel.queries.flatMap((q) => plannedMetrics(q.expr)))];
    const box = el('div', { class: 'empty' }, el('strong', {}, 'No data'), ' in this time range.');
    if (planned.length > 0) {
      box.append(
        el(
          'p',
          { class: 'muted' },
          'Not pushed by any Worker yet (self-metrics, see docs/dashboard.md): ',
          ...planned.flatMap((n, i) => [i > 0 ? ', ' : '', el('code', {}, n)]),
        ),
      );
    }
    return box;
  }

  private errorBox(errors: { index: number; error: unknown }[]): HTMLElement {
    return el(
      'div',
      { class: 'error', role: 'alert' },
      ...errors.map(({ index, error }) =>
        el(
          'p',
          {},
          el('strong', {}, `Query ${String.fromCharCode(65 + index)} failed: `),
          error instanceof PromError ? `${error.message}` : String(error),
          el('code', { class: 'expr' }, this.panel.queries[index]?.expr ?? ''),
        ),
      ),
    );
  }

  /**
   * Runs the panel's queries. An auto-refresh tick (`whenIdle`) leaves a panel whose previous queries are
   * still running alone, so that a slow store is never asked again before it answered; a new time range
   * aborts them and starts over.
   */
  async refresh(time: DashboardTime, whenIdle = false): Promise<void> {
    if (whenIdle && this.busy) return;
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.busy = true;
    try {
      await this.run(time, controller);
    } finally {
      if (this.controller === controller) this.busy = false;
    }
  }

  private async run(time: DashboardTime, controller: AbortController): Promise<void> {
    const endMs = time.endMs ?? Date.now();
    const instant = this.panel.kind === 'stat' || this.panel.kind === 'table';
    const end = Math.floor(endMs / 1000);
    const start = end - Math.floor(time.rangeMs / 1000);
    const step = autoStepSeconds(time.rangeMs);
    const settled = await Promise.allSettled(
      this.panel.queries.map((q) =>
        instant
          ? queryInstant(q.expr, end, controller.signal).then((r) => ({
              kind: 'instant' as const,
              samples: r.resultType === 'vector' ? r.result : r.resultType === 'scalar' ? [{ metric: {}, value: r.result }] : [],
            }))
          : queryRange(q.expr, start, end, step, controller.signal).then((series) => ({ kind: 'range' as const, series })),
      ),
    );
    if (controller.signal.aborted) return;
    const errors = settled.flatMap((s, index) => (s.status === 'rejected' ? [{ index, error: s.reason as unknown }] : []));
    const ok = settled.flatMap((s, index) => (s.status === 'fulfilled' ? [{ index, value: s.value }] : []));
    if (errors.length === settled.length) {
      this.show('error', this.errorBox(errors));
      return;
    }
    const content: Node[] = errors.length > 0 ? [this.errorBox(errors)] : [];
    if (instant) {
      const samples = ok.flatMap(({ index, value }) =>
        value.kind === 'instant' ? value.samples.map((s) => ({ s, legend: this.panel.queries[index]?.legend })) : [],
      );
      if (samples.length === 0) {
        this.show(errors.length > 0 ? 'error' : 'empty', ...content, this.emptyMessage());
        return;
      }
      this.show(
        errors.length > 0 ? 'partial' : 'done',
        ...content,
        this.panel.kind === 'stat' ? this.stat(samples) : this.table(samples.map((x) => x.s)),
      );
      this.body.dataset.seriesCount = String(samples.length);
      return;
    }
    const series = ok.flatMap(({ index, value }) =>
      value.kind === 'range'
        ? value.series.map((s: RangeSeries) => ({ label: legendName(s.metric, this.panel.queries[index]?.legend), values: s.values }))
        : [],
    );
    if (series.length === 0) {
      this.show(errors.length > 0 ? 'error' : 'empty', ...content, this.emptyMessage());
      return;
    }
    const box = el('div', { class: 'chart' });
    this.show(errors.length > 0 ? 'partial' : 'done', ...content, box);
    this.body.dataset.seriesCount = String(series.length);
    this.chart = drawChart(box, this.id, {
      series,
      start,
      end,
      step,
      unit: this.panel.unit,
      stacked: this.panel.kind === 'stacked-area',
      height: 220,
    });
    markFirstChart();
  }

  private stat(samples: { s: InstantSample; legend: string | undefined }[]): HTMLElement {
    return el(
      'div',
      { class: 'stat' },
      ...samples.map(({ s, legend }, i) =>
        el(
          'div',
          { class: 'stat-value', style: `color: ${seriesColor(i)}` },
          el('span', { class: 'value' }, formatValue(parsePromValue(s.value[1]), this.panel.unit)),
          el('span', { class: 'label' }, legendName(s.metric, legend)),
        ),
      ),
    );
  }

  private table(samples: InstantSample[]): HTMLElement {
    const labels = [...new Set(samples.flatMap((s) => Object.keys(s.metric)))].sort((a, b) =>
      a === '__name__' ? -1 : b === '__name__' ? 1 : a.localeCompare(b),
    );
    return el(
      'table',
      { class: 'result-table' },
      el('thead', {}, el('tr', {}, ...labels.map((l) => el('th', {}, l)), el('th', {}, 'Value'))),
      el(
        'tbody',
        {},
        ...samples.map((s) =>
          el(
            'tr',
            { title: seriesName(s.metric) },
            ...labels.map((l) => el('td', {}, s.metric[l] ?? '')),
            el('td', { class: 'value' }, formatValue(parsePromValue(s.value[1]), this.panel.unit)),
          ),
        ),
      ),
    );
  }
}

function graphLink(panel: Panel): string {
  const p = new URLSearchParams();
  panel.queries.forEach((q, i) => {
    p.set(`g${i}.expr`, q.expr);
    p.set(`g${i}.tab`, panel.kind === 'table' || panel.kind === 'stat' ? 'table' : 'graph');
    p.set(`g${i}.display_mode`, panel.kind === 'stacked-area' ? 'stacked' : 'lines');
  });
  return `/graph?${p}`;
}

function mount(root: HTMLElement, name: string, dashboard: Dashboard): void {
  let time = decodeTime(location.search, dashboard);
  const panels: DashboardPanel[] = [];
  const refreshAll = (whenIdle = false): void => {
    for (const p of panels) void p.refresh(time, whenIdle);
  };
  const save = (): void => {
    history.replaceState(null, '', `${location.pathname}?${encodeTime(time)}`);
  };

  const range = el(
    'select',
    { 'aria-label': 'Time range', class: 'range' },
    ...RANGE_CHOICES.map((r) => el('option', { value: r }, `Last ${r}`)),
  );
  const current = formatDuration(time.rangeMs);
  if (!RANGE_CHOICES.includes(current)) range.append(el('option', { value: current }, `Last ${current}`));
  range.value = current;
  range.addEventListener('change', () => {
    time = { ...time, rangeMs: parseDuration(range.value) ?? time.rangeMs, endMs: null };
    save();
    refreshAll();
  });

  const refresh = el(
    'select',
    { 'aria-label': 'Auto-refresh', class: 'refresh' },
    ...REFRESH_CHOICES.map((r) => el('option', { value: r }, r === 'off' ? 'Refresh off' : `Every ${r}`)),
  );
  const currentRefresh = time.refreshMs === 0 ? 'off' : formatDuration(time.refreshMs);
  if (!REFRESH_CHOICES.includes(currentRefresh)) refresh.append(el('option', { value: currentRefresh }, `Every ${currentRefresh}`));
  refresh.value = currentRefresh;
  let timer: ReturnType<typeof setInterval> | undefined;
  const schedule = (): void => {
    if (timer !== undefined) clearInterval(timer);
    timer =
      time.refreshMs > 0
        ? setInterval(() => {
            if (!document.hidden) refreshAll(true);
          }, time.refreshMs)
        : undefined;
  };
  refresh.addEventListener('change', () => {
    time = { ...time, refreshMs: refresh.value === 'off' ? 0 : (parseDuration(refresh.value) ?? 0) };
    save();
    schedule();
  });
  const now = el('button', { type: 'button', title: 'Run every query now' }, 'Refresh');
  now.addEventListener('click', () => refreshAll());

  root.append(
    el(
      'div',
      { class: 'dashboard-header' },
      el('div', {}, el('h1', {}, dashboard.title), dashboard.description ? el('p', { class: 'muted' }, dashboard.description) : ''),
      el(
        'div',
        { class: 'toolbar' },
        range,
        refresh,
        now,
        el('a', { href: `/dashboards/${name}/grafana.json`, download: `pushpull-${name}.grafana.json` }, 'Grafana JSON'),
      ),
    ),
  );

  dashboard.rows.forEach((row, r) => {
    const widths = panelWidths(row);
    const grid = el('div', { class: 'panel-grid' });
    row.panels.forEach((panel, i) => {
      const p = new DashboardPanel(panel, `panel-${r}-${i}`, widths[i] ?? 24);
      panels.push(p);
      grid.append(p.root);
    });
    root.append(
      el(
        'section',
        { class: 'row', 'data-row': String(r) },
        el('h2', {}, row.title),
        row.description ? el('p', { class: 'muted' }, row.description) : '',
        grid,
      ),
    );
  });
  save();
  refreshAll();
  schedule();
}

const root = document.getElementById('dashboard-app');
const config = readPageConfig();
if (root && config.dashboard) {
  try {
    mount(root, config.dashboard.name, parseDashboard(config.dashboard.file, config.dashboard.name));
  } catch (err) {
    root.replaceChildren(el('div', { class: 'error', role: 'alert' }, String(err)));
  }
}
