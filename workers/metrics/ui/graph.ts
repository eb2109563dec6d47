/**
 * The expression browser (/graph), in the spirit of Prometheus's: one or more query panels,
 * each with a PromQL editor, a table view (instant query) and a graph view (range query,
 * lines or stacked), a range / end time / step picker, and the whole state in the URL in
 * Prometheus's own parameters (g0.expr, g0.tab, g0.range_input, …) so a link shares it.
 */
import { metricNames, PromError, queryInstant, queryRange, type InstantResult } from './api';
import { drawChart, type Chart } from './chart';
import { createEditor, type QueryEditor } from './editor';
import { seriesName } from './format';
import { readPageConfig, renderError, el, markFirstChart } from './page';
import { autoStepSeconds, formatDuration, formatUtc, parseDuration, parseUtc, RANGE_CHOICES } from './time';
import { decodePanels, defaultPanel, encodePanels, type PanelState } from './url-state';
import './graph.css';

/** One query panel on the page. */
class QueryPanel {
  readonly root: HTMLElement;
  private readonly editor: QueryEditor;
  private readonly result: HTMLElement;
  private readonly graphControls: HTMLElement;
  private readonly rangeInput: HTMLInputElement;
  private readonly endInput: HTMLInputElement;
  private readonly stepInput: HTMLInputElement;
  private readonly stackedInput: HTMLSelectElement;
  private readonly tabs: Record<'graph' | 'table', HTMLButtonElement>;
  private chart: Chart | null = null;
  private inFlight: AbortController | null = null;

  constructor(
    readonly state: PanelState,
    private readonly id: number,
    private readonly page: GraphPage,
  ) {
    this.root = el('section', { class: 'query-panel', 'data-panel': String(id) });
    const editorBox = el('div', { class: 'editor' });
    const execute = el('button', { class: 'primary', type: 'button' }, 'Execute');
    execute.addEventListener('click', () => void this.run());
    const remove = el('button', { class: 'remove', type: 'button', title: 'Remove this query' }, '×');
    remove.addEventListener('click', () => this.page.remove(this));
    this.root.append(el('div', { class: 'query-row' }, editorBox, execute, remove));
    this.editor = createEditor(
      editorBox,
      state.expr,
      () => void this.run(),
      () => {
        this.state.expr = this.editor.value();
      },
    );

    this.tabs = {
      table: el('button', { type: 'button', class: 'tab', 'data-tab': 'table' }, 'Table'),
      graph: el('button', { type: 'button', class: 'tab', 'data-tab': 'graph' }, 'Graph'),
    };
    for (const tab of ['table', 'graph'] as const) {
      this.tabs[tab].addEventListener('click', () => {
        this.state.tab = tab;
        this.page.saveUrl();
        this.syncControls();
        void this.run();
      });
    }

    this.rangeInput = el('input', { class: 'range', list: `ranges-${id}`, size: '6', 'aria-label': 'Range' });
    const ranges = el('datalist', { id: `ranges-${id}` }, ...RANGE_CHOICES.map((r) => el('option', { value: r })));
    this.rangeInput.addEventListener('change', () => {
      const ms = parseDuration(this.rangeInput.value);
      if (ms === undefined) {
        this.rangeInput.classList.add('invalid');
        return;
      }
      this.rangeInput.classList.remove('invalid');
      this.state.rangeMs = ms;
      this.page.saveUrl();
      void this.run();
    });
    const shrink = el('button', { type: 'button', title: 'Shorter range' }, '−');
    const grow = el('button', { type: 'button', title: 'Longer range' }, '+');
    shrink.addEventListener('click', () => this.stepRange(-1));
    grow.addEventListener('click', () => this.stepRange(1));

    this.endInput = el('input', { class: 'end', placeholder: 'now', size: '19', 'aria-label': 'End time (UTC)' });
    this.endInput.addEventListener('change', () => {
      const v = this.endInput.value.trim();
      const ms = v === '' ? null : parseUtc(v);
      if (ms === undefined) {
        this.endInput.classList.add('invalid');
        return;
      }
      this.endInput.classList.remove('invalid');
      this.state.endMs = ms;
      this.page.saveUrl();
      void this.run();
    });
    const now = el('button', { type: 'button', title: 'End now' }, 'now');
    now.addEventListener('click', () => {
      this.state.endMs = null;
      this.syncControls();
      this.page.saveUrl();
      void this.run();
    });

    this.stepInput = el('input', { class: 'step', placeholder: 'auto', size: '6', 'aria-label': 'Step (seconds)' });
    this.stepInput.addEventListener('change', () => {
      const v = this.stepInput.value.trim();
      const seconds = v === '' ? null : (parseDuration(v) ?? Number(v) * 1000) / 1000;
      if (seconds !== null && !(seconds > 0)) {
        this.stepInput.classList.add('invalid');
        return;
      }
      this.stepInput.classList.remove('invalid');
      this.state.stepSeconds = seconds;
      this.page.saveUrl();
      void this.run();
    });

    this.stackedInput = el(
      'select',
      { 'aria-label': 'Display' },
      el('option', { value: 'lines' }, 'Unstacked'),
      el('option', { value: 'stacked' }, 'Stacked'),
    );
    this.stackedInput.addEventListener('change', () => {
      this.state.stacked = this.stackedInput.value === 'stacked';
      this.page.saveUrl();
      void this.run();
    });

    this.graphControls = el(
      'div',
      { class: 'controls' },
      el('label', {}, 'Range ', shrink, this.rangeInput, grow, ranges),
      el('label', {}, 'End (UTC) ', this.endInput, now),
      el('label', {}, 'Step ', this.stepInput),
      this.stackedInput,
    );
    this.root.append(el('div', { class: 'tabs' }, this.tabs.table, this.tabs.graph), this.graphControls);
    this.result = el('div', { class: 'result', 'data-state': 'idle' });
    this.root.append(this.result);
    this.syncControls();
  }

  private stepRange(direction: 1 | -1): void {
    const choices = RANGE_CHOICES.map((r) => parseDuration(r) ?? 0);
    const current = this.state.rangeMs;
    const next = direction > 0 ? choices.find((c) => c > current) : [...choices].reverse().find((c) => c < current);
    if (next === undefined) return;
    this.state.rangeMs = next;
    this.syncControls();
    this.page.saveUrl();
    void this.run();
  }

  private syncControls(): void {
    for (const tab of ['table', 'graph'] as const) this.tabs[tab].setAttribute('aria-selected', String(this.state.tab === tab));
    this.rangeInput.value = formatDuration(this.state.rangeMs);
    this.rangeInput.disabled = this.state.tab === 'table';
    this.endInput.value = this.state.endMs === null ? '' : formatUtc(this.state.endMs);
    this.stepInput.value = this.state.stepSeconds === null ? '' : String(this.state.stepSeconds);
    this.stepInput.placeholder = `auto (${autoStepSeconds(this.state.rangeMs)}s)`;
    this.stepInput.disabled = this.state.tab === 'table';
    this.stackedInput.value = this.state.stacked ? 'stacked' : 'lines';
    this.stackedInput.disabled = this.state.tab === 'table';
  }

  private show(state: string, ...content: (Node | string)[]): void {
    this.chart?.destroy();
    this.chart = null;
    this.result.dataset.state = state;
    this.result.replaceChildren(...content);
  }

  private showError(err: unknown, expr: string): void {
    if (err instanceof PromError) {
      const pos = err.position(expr);
      this.editor.markError(pos ? pos.offset : null);
      this.show('error', renderError(err, expr));
      return;
    }
    this.show('error', el('div', { class: 'error', role: 'alert' }, String(err)));
  }

  /** Runs the panel's query in its current tab. */
  async run(): Promise<void> {
    const expr = this.editor.value().trim();
    this.state.expr = this.editor.value();
    this.page.saveUrl();
    this.editor.markError(null);
    this.inFlight?.abort();
    if (expr === '') {
      this.show('idle', el('p', { class: 'muted' }, 'No query entered.'));
      return;
    }
    const controller = new AbortController();
    this.inFlight = controller;
    this.result.dataset.state = 'loading';
    const endMs = this.state.endMs ?? Date.now();
    const started = performance.now();
    try {
      if (this.state.tab === 'table') {
        const result = await queryInstant(expr, endMs / 1000, controller.signal);
        if (controller.signal.aborted) return;
        this.showTable(result, performance.now() - started);
      } else {
        const step = this.state.stepSeconds ?? autoStepSeconds(this.state.rangeMs);
        const end = Math.floor(endMs / 1000);
        const start = end - Math.floor(this.state.rangeMs / 1000);
        const series = await queryRange(expr, start, end, step, controller.signal);
        if (controller.signal.aborted) return;
        if (series.length === 0) {
          this.show('empty', this.page.emptyMessage());
          return;
        }
        const chartBox = el('div', { class: 'chart' });
        this.show(
          'done',
          chartBox,
          el('p', { class: 'muted stats' }, `${series.length} series · step ${step}s · ${Math.round(performance.now() - started)} ms`),
        );
        this.result.dataset.seriesCount = String(series.length);
        this.chart = drawChart(chartBox, `graph-${this.id}`, {
          series: series.map((s) => ({ label: seriesName(s.metric), values: s.values })),
          start,
          end,
          step,
          unit: 'short',
          stacked: this.state.stacked,
        });
        markFirstChart();
      }
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') return;
      this.showError(err, expr);
    }
  }

  private showTable(result: InstantResult, ms: number): void {
    const rows: HTMLElement[] = [];
    if (result.resultType === 'vector') {
      for (const s of result.result)
        rows.push(el('tr', {}, el('td', { class: 'series' }, seriesName(s.metric)), el('td', { class: 'value' }, s.value[1])));
    } else if (result.resultType === 'matrix') {
      for (const s of result.result) {
        rows.push(
          el(
            'tr',
            {},
            el('td', { class: 'series' }, seriesName(s.metric)),
            el('td', { class: 'value' }, s.values.map(([t, v]) => `${v} @${t}`).join('\n')),
          ),
        );
      }
    } else {
      rows.push(el('tr', {}, el('td', { class: 'series' }, result.resultType), el('td', { class: 'value' }, result.result[1])));
    }
    if (rows.length === 0) {
      this.show('empty', this.page.emptyMessage());
      return;
    }
    this.show(
      'done',
      el('table', { class: 'result-table' }, el('tbody', {}, ...rows)),
      el(
        'p',
        { class: 'muted stats' },
        `${rows.length} result${rows.length === 1 ? '' : 's'} (${result.resultType}) · ${Math.round(ms)} ms`,
      ),
    );
    this.result.dataset.seriesCount = String(rows.length);
  }

  focus(): void {
    this.editor.view.focus();
  }
}

/** The page: panels, the "add query" button and the empty-store notice. */
class GraphPage {
  private readonly panels: QueryPanel[] = [];
  private readonly list: HTMLElement;
  private storeEmpty = false;
  private nextId = 0;

  constructor(
    private readonly root: HTMLElement,
    private readonly scraperUrl: string,
  ) {
    this.list = el('div', { class: 'panels' });
    const add = el('button', { type: 'button', class: 'add' }, 'Add query');
    add.addEventListener('click', () => {
      this.add(defaultPanel()).focus();
      this.saveUrl();
    });
    root.append(el('div', { id: 'store-notice' }), this.list, add);
    const panels = decodePanels(location.search);
    for (const p of panels.length > 0 ? panels : [defaultPanel()]) this.add(p);
  }

  add(state: PanelState): QueryPanel {
    const panel = new QueryPanel(state, this.nextId++, this);
    this.panels.push(panel);
    this.list.append(panel.root);
    return panel;
  }

  remove(panel: QueryPanel): void {
    const i = this.panels.indexOf(panel);
    if (i < 0) return;
    this.panels.splice(i, 1);
    panel.root.remove();
    if (this.panels.length === 0) this.add(defaultPanel());
    this.saveUrl();
  }

  saveUrl(): void {
    const query = encodePanels(this.panels.map((p) => p.state));
    history.replaceState(null, '', `${location.pathname}?${query}`);
  }

  /** Prometheus's "Empty query result", with a hint when the store holds nothing at all. */
  emptyMessage(): HTMLElement {
    return el('p', { class: 'empty' }, this.storeEmpty ? 'Empty query result: the store has no series yet.' : 'Empty query result');
  }

  async checkStore(): Promise<void> {
    const names = await metricNames().catch(() => null);
    if (names === null || names.length > 0) return;
    this.storeEmpty = true;
    const targets = this.scraperUrl ? el('a', { href: `${this.scraperUrl.replace(/\/$/, '')}/targets` }, "scraper's targets") : 'scraper';
    document
      .getElementById('store-notice')
      ?.replaceChildren(
        el(
          'div',
          { class: 'notice', role: 'status' },
          el('strong', {}, 'The store is empty. '),
          'No series have been pushed or scraped yet: push samples (InfluxDB line protocol, Pushgateway, remote_write; ' +
            'see docs/metrics.md), or check the ',
          targets,
          '.',
        ),
      );
  }

  runAll(): void {
    for (const p of this.panels) if (p.state.expr.trim() !== '') void p.run();
  }
}

const root = document.getElementById('graph-app');
if (root) {
  const page = new GraphPage(root, readPageConfig().scraperUrl);
  void page.checkStore();
  page.runAll();
}
