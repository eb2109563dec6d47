/**
 * The metrics Worker's pages in a real browser (Debian's Chromium, headless), against the
 * Worker under `wrangler dev`. In order: the empty store; the expression browser on pushed
 * samples; the dashboards once the real scraper has scraped the real origin.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DASHBOARDS } from '../../workers/metrics/src/dashboards/registry';
import { startWorker, type DevWorker } from '../support/dev-worker';
import { launchBrowser, openPage, OUTPUT_DIR, screenshot, type TestBrowser } from './browser';
import { TOKEN } from './global-setup';

const metricsUrl = inject('metricsUrl');

let browser: TestBrowser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser.close();
});

/** Waits until no element matching `selector` has data-state loading/idle, then returns each element's state. */
async function settledStates(page: Page, selector: string, count: number): Promise<string[]> {
  await page.waitForFunction(
    (sel: string, n: number) => {
      const els = [...document.querySelectorAll<HTMLElement>(sel)];
      return els.length === n && els.every((e) => e.dataset.state !== 'loading' && e.dataset.state !== 'idle');
    },
    { timeout: 30_000 },
    selector,
    count,
  );
  return page.$$eval(selector, (els) => els.map((e) => (e as HTMLElement).dataset.state ?? ''));
}

/** Types into the n-th editor (0-based) after clearing it. */
async function typeQuery(page: Page, text: string, n = 0): Promise<void> {
  const editors = await page.$$('.cm-content');
  const editor = editors[n];
  if (!editor) throw new Error(`no editor ${n}`);
  await editor.click();
  await page.keyboard.down('Control');
  await page.keyboard.press('a');
  await page.keyboard.up('Control');
  await page.keyboard.press('Backspace');
  await page.keyboard.type(text, { delay: 15 });
}

/** The labels offered by the open completion list. */
async function completions(page: Page): Promise<string[]> {
  await page.waitForSelector('.cm-tooltip-autocomplete .cm-completionLabel', { timeout: 10_000 });
  return page.$$eval('.cm-tooltip-autocomplete .cm-completionLabel', (els) => els.map((e) => e.textContent ?? ''));
}

/** Time from navigation to the first chart drawn, and the scripts the page loaded (bytes as served, before any compression). */
function pageTiming(page: Page): Promise<{ firstChartMs: number | null; scripts: { url: string; bytes: number }[] }> {
  return page.evaluate(() => {
    const mark = performance.getEntriesByName('pushpull-first-chart')[0];
    const scripts = performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.js')) as PerformanceResourceTiming[];
    return {
      firstChartMs: mark ? Math.round(mark.startTime) : null,
      scripts: scripts.map((s) => ({ url: new URL(s.name).pathname, bytes: s.decodedBodySize })),
    };
  });
}

describe('an empty store', () => {
  it('says so on the graph page, and an empty result says "Empty query result"', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(`${metricsUrl}/graph?g0.expr=nothing_here&g0.tab=table`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('#store-notice .notice');
    expect(await page.$eval('#store-notice', (e) => e.textContent)).toContain('The store is empty');
    expect(await settledStates(page, '.result', 1)).toEqual(['empty']);
    expect(await page.$eval('.result', (e) => e.textContent)).toContain('Empty query result');
    expect(errors).toEqual([]);
    await page.close();
  });
});

// Samples every 15 s over the last 30 minutes, ending on a 15 s boundary.
const STEP = 15;
const POINTS = 121;
const lastT = Math.floor(Date.now() / 1000 / STEP) * STEP - STEP;
const firstT = lastT - (POINTS - 1) * STEP;
const REQUEST_SERIES = [
  { code: '200', path: '/a', per: 3 },
  { code: '500', path: '/a', per: 1 },
  { code: '200', path: '/b', per: 2 },
];

async function pushSamples(): Promise<void> {
  const lines: string[] = [];
  for (let k = 0; k < POINTS; k++) {
    const t = firstT + k * STEP;
    for (const s of REQUEST_SERIES) lines.push(`demo_requests,code=${s.code},path=${s.path} total=${k * s.per} ${t}`);
    lines.push(`demo_temperature,room=lab celsius=${20 + (k % 5)} ${t}`);
  }
  const r = await fetch(`${metricsUrl}/api/v2/write?org=pushpull&bucket=ui&precision=s`, {
    method: 'POST',
    headers: { authorization: `Token ${TOKEN}` },
    body: lines.join('\n'),
  });
  expect(r.status).toBe(204);
}

function utc(seconds: number): string {
  return new Date(seconds * 1000)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '');
}

describe('the expression browser (/graph)', () => {
  beforeAll(pushSamples);

  it("loads with no console errors, and links to the dashboards and the scraper's targets", async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(`${metricsUrl}/graph`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('.cm-content');
    expect(await page.title()).toBe('Graph · pushpull');
    const links = await page.$$eval('.topbar nav a', (as) => as.map((a) => [a.textContent, a.href]));
    expect(links).toEqual([
      ['Graph', `${metricsUrl}/graph`],
      ['Dashboards', `${metricsUrl}/dashboards`],
      ['Targets', `http://127.0.0.1:${inject('scraperPort')}/targets`],
    ]);
    expect(await page.$('#store-notice .notice')).toBeNull();
    expect(errors).toEqual([]);
    await page.close();
  });

  it('completes metric names, label names and label values from the store', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(`${metricsUrl}/graph`, { waitUntil: 'networkidle0' });
    await typeQuery(page, 'demo_');
    const names = await completions(page);
    expect(names).toEqual(expect.arrayContaining(['demo_requests_total', 'demo_temperature_celsius']));
    await typeQuery(page, 'demo_requests_total{');
    await page.waitForFunction(() => [...document.querySelectorAll('.cm-completionLabel')].some((e) => e.textContent === 'path'), {
      timeout: 10_000,
    });
    expect(await completions(page)).toEqual(expect.arrayContaining(['code', 'path']));
    await page.keyboard.type('code="', { delay: 15 });
    await page.waitForFunction(() => [...document.querySelectorAll('.cm-completionLabel')].some((e) => e.textContent === '500'), {
      timeout: 10_000,
    });
    expect((await completions(page)).filter((l) => /^\d+$/.test(l)).sort()).toEqual(['200', '500']);
    // Functions come from the language itself.
    await typeQuery(page, 'histogram_q');
    expect(await completions(page)).toContain('histogram_quantile');
    expect(errors).toEqual([]);
    await page.close();
  });

  it("draws a range query: one line per series, in the legend and in uPlot's data, hover values in the legend", async () => {
    const { page, errors } = await openPage(browser);
    const query = new URLSearchParams({
      'g0.expr': 'demo_requests_total',
      'g0.tab': 'graph',
      'g0.range_input': '30m',
      'g0.end_input': utc(lastT),
      'g0.res_type': 'fixed',
      'g0.res_step': String(STEP),
    });
    await page.goto(`${metricsUrl}/graph?${query}`, { waitUntil: 'networkidle0' });
    expect(await settledStates(page, '.result', 1)).toEqual(['done']);
    const legend = await page.$$eval('.u-legend .u-series .u-label', (els) => els.map((e) => e.textContent ?? ''));
    expect(legend).toEqual([
      'time',
      ...[
        'demo_requests_total{code="200", db="ui", path="/a"}',
        'demo_requests_total{code="200", db="ui", path="/b"}',
        'demo_requests_total{code="500", db="ui", path="/a"}',
      ],
    ]);
    const data = await page.evaluate(() => {
      const plot = window.pushpullCharts?.['graph-0'];
      return plot
        ? {
            x: [...plot.data[0]],
            series: plot.data.slice(1).map((s) => [...s]),
            labels: plot.series.slice(1).map((s) => (typeof s.label === 'string' ? s.label : (s.label?.textContent ?? ''))),
          }
        : null;
    });
    expect(data?.series).toHaveLength(3);
    expect(data?.x).toHaveLength(POINTS);
    expect(data?.x[0]).toBe(firstT);
    expect(data?.x[POINTS - 1]).toBe(lastT);
    for (const [i, label] of (data?.labels ?? []).entries()) {
      const s = REQUEST_SERIES.find((r) => label.includes(`code="${r.code}"`) && label.includes(`path="${r.path}"`));
      expect(data?.series[i], label).toEqual(Array.from({ length: POINTS }, (_, k) => k * (s?.per ?? NaN)));
    }
    // Hovering shows each series' value at the cursor in the legend.
    const over = await page.$('.u-over');
    const box = await over?.boundingBox();
    if (!box) throw new Error('no chart area');
    await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2);
    await page.waitForFunction(() =>
      [...document.querySelectorAll('.u-legend .u-series .u-value')].slice(1).every((e) => /\d/.test(e.textContent ?? '')),
    );
    const hovered = await page.$$eval('.u-legend .u-series .u-value', (els) => els.slice(1).map((e) => e.textContent));
    expect(hovered).toEqual(['360', '240', '120']);
    const timing = await pageTiming(page);
    expect(timing.firstChartMs).not.toBeNull();
    writeFileSync(join(OUTPUT_DIR, 'graph-timing.json'), `${JSON.stringify(timing, null, 2)}\n`);
    await screenshot(page, 'graph');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('stacks the series on demand: the top line is the sum, the legend keeps each own value', async () => {
    const { page } = await openPage(browser);
    const query = new URLSearchParams({
      'g0.expr': 'demo_requests_total',
      'g0.range_input': '30m',
      'g0.end_input': utc(lastT),
      'g0.res_type': 'fixed',
      'g0.res_step': String(STEP),
    });
    await page.goto(`${metricsUrl}/graph?${query}`, { waitUntil: 'networkidle0' });
    await settledStates(page, '.result', 1);
    await page.select('.controls select', 'stacked');
    await page.waitForFunction(() => location.search.includes('display_mode=stacked'));
    await page.waitForFunction(() => (window.pushpullCharts?.['graph-0']?.data[3]?.[120] ?? 0) === 720);
    const last = await page.evaluate(() => window.pushpullCharts?.['graph-0']?.data.slice(1).map((s) => s[120]));
    expect(last).toEqual([360, 600, 720]);
    await page.close();
  });

  it("shows Prometheus's error for a bad query, with its position marked in the query", async () => {
    const { page } = await openPage(browser);
    await page.goto(`${metricsUrl}/graph`, { waitUntil: 'networkidle0' });
    await typeQuery(page, 'demo_requests_total{code=}');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Enter');
    expect(await settledStates(page, '.result', 1)).toEqual(['error']);
    const shown = await page.$eval('.result .error', (e) => ({
      text: e.textContent ?? '',
      type: (e as HTMLElement).dataset.errorType,
      position: (e as HTMLElement).dataset.position,
      caret: e.querySelector('pre.position')?.textContent,
    }));
    const direct = (await (
      await fetch(`${metricsUrl}/api/v1/query?${new URLSearchParams({ query: 'demo_requests_total{code=}' })}`)
    ).json()) as { errorType: string; error: string };
    expect(direct.error).toMatch(/^invalid parameter "query": 1:26: parse error: /);
    expect(shown.text).toBe(`Error executing query: ${direct.error}demo_requests_total{code=}\n${' '.repeat(25)}^`);
    expect(shown).toMatchObject({ type: 'bad_data', position: '1:26', caret: `demo_requests_total{code=}\n${' '.repeat(25)}^` });
    expect(await page.$eval('.cm-server-error', (e) => e.textContent)).toBe('}');
    await screenshot(page, 'graph-error');
    await page.close();
  });

  it("keeps every panel's state in the URL: a copied link opens the same page", async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(`${metricsUrl}/graph?${new URLSearchParams({ 'g0.expr': 'demo_requests_total', 'g0.tab': 'table' })}`, {
      waitUntil: 'networkidle0',
    });
    expect(await settledStates(page, '.result', 1)).toEqual(['done']);
    expect(await page.$eval('.result', (e) => (e as HTMLElement).dataset.seriesCount)).toBe('3');
    await page.click('button.add');
    await typeQuery(page, 'demo_temperature_celsius', 1);
    await page.keyboard.press('Escape');
    const second = '.query-panel[data-panel="1"]';
    await page.click(`${second} .tab[data-tab="graph"]`);
    await page.select(`${second} .controls select`, 'stacked');
    const setInput = async (selector: string, value: string): Promise<void> => {
      await page.$eval(
        selector,
        (e, v) => {
          (e as HTMLInputElement).value = v;
          e.dispatchEvent(new Event('change'));
        },
        value,
      );
    };
    await setInput(`${second} input.range`, '30m');
    await setInput(`${second} input.end`, utc(lastT));
    await setInput(`${second} input.step`, '30');
    await settledStates(page, '.result', 2);
    const url = page.url();
    const params = new URL(url).searchParams;
    expect(Object.fromEntries(params)).toEqual({
      'g0.expr': 'demo_requests_total',
      'g0.tab': 'table',
      'g0.range_input': '1h',
      'g0.res_type': 'auto',
      'g0.display_mode': 'lines',
      'g1.expr': 'demo_temperature_celsius',
      'g1.tab': 'graph',
      'g1.range_input': '30m',
      'g1.end_input': utc(lastT),
      'g1.res_type': 'fixed',
      'g1.res_step': '30',
      'g1.display_mode': 'stacked',
    });
    const state = (p: Page): Promise<unknown> =>
      p.$$eval('.query-panel', (panels) =>
        panels.map((el) => ({
          expr: el.querySelector('.cm-content')?.textContent,
          tab: el.querySelector('.tab[aria-selected="true"]')?.textContent,
          range: el.querySelector<HTMLInputElement>('input.range')?.value,
          end: el.querySelector<HTMLInputElement>('input.end')?.value,
          step: el.querySelector<HTMLInputElement>('input.step')?.value,
          display: el.querySelector<HTMLSelectElement>('.controls select')?.value,
          result: el.querySelector<HTMLElement>('.result')?.dataset.state,
        })),
      );
    const before = await state(page);
    const again = await openPage(browser);
    await again.page.goto(url, { waitUntil: 'networkidle0' });
    await settledStates(again.page, '.result', 2);
    expect(await state(again.page)).toEqual(before);
    expect(before).toEqual([
      { expr: 'demo_requests_total', tab: 'Table', range: '1h', end: '', step: '', display: 'lines', result: 'done' },
      { expr: 'demo_temperature_celsius', tab: 'Graph', range: '30m', end: utc(lastT), step: '30', display: 'stacked', result: 'done' },
    ]);
    expect(again.page.url()).toBe(url);
    expect(await again.page.evaluate(() => window.pushpullCharts?.['graph-1']?.data[0]?.length)).toBe(61);
    expect([...errors, ...again.errors]).toEqual([]);
    await again.page.close();
    await page.close();
  });
});

/** True when the query is a bare selector (the only kind the store answers until the PromQL engine lands). */
function isSelector(expr: string): boolean {
  const top = parser.parse(expr).topNode.firstChild;
  return top?.name === 'VectorSelector' && top.nextSibling === null;
}

describe('the dashboards (/dashboards)', () => {
  let scraper: DevWorker | undefined;
  const scraperUrl = `http://127.0.0.1:${inject('scraperPort')}`;

  beforeAll(async () => {
    process.env.WRANGLER_REGISTRY_PATH = inject('registryPath');
    scraper = await startWorker(
      'workers/scraper/wrangler.toml',
      inject('scraperPort'),
      {
        PUSHPULL_TOKEN: TOKEN,
        METRICS_URL: metricsUrl,
        SCRAPE_CONFIG: JSON.stringify({
          global: { scrape_interval: '1s', scrape_timeout: '1s' },
          scrape_configs: [
            { job_name: 'origin', static_configs: [{ targets: [inject('originAddress')], labels: { collection: 'pull' } }] },
          ],
        }),
      },
      '/api/v1/targets',
      { inspectorPort: inject('scraperInspectorPort'), readyStatus: 200 },
    );
    // The cron never fires under wrangler dev: start the scrape loop by hand, then wait for samples.
    await fetch(`${scraperUrl}/api/v1/scrape`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = (await (await fetch(`${metricsUrl}/api/v1/query?query=scrape_duration_seconds`)).json()) as {
        data?: { result: unknown[] };
      };
      if ((r.data?.result.length ?? 0) > 0) break;
      if (Date.now() > deadline) throw new Error('the scraper wrote no scrape_duration_seconds within 30 s');
      await new Promise((res) => setTimeout(res, 500));
    }
  }, 120_000);
  afterAll(async () => {
    await scraper?.stop();
  });

  it('lists every dashboard with its Grafana export', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(`${metricsUrl}/dashboards`, { waitUntil: 'networkidle0' });
    const links = await page.$$eval('.dashboard-list a', (as) => as.map((a) => a.pathname));
    for (const d of DASHBOARDS)
      expect(links).toEqual(
        expect.arrayContaining([`/dashboards/${d.name}`, `/dashboards/${d.name}/grafana.json`, `/dashboards/${d.name}/source.json`]),
      );
    const grafana = (await (await fetch(`${metricsUrl}/dashboards/pushpull/grafana.json`)).json()) as { title: string; uid: string };
    expect(grafana).toMatchObject({ title: 'pushpull', uid: 'pushpull-pushpull' });
    expect((await fetch(`${metricsUrl}/dashboards/nope`)).status).toBe(404);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('renders every panel of the default dashboard: data, or a clear message for failing and empty queries', async () => {
    const pushpull = DASHBOARDS.find((d) => d.name === 'pushpull');
    if (!pushpull || !('dashboard' in pushpull)) throw new Error('the pushpull dashboard does not load');
    const panels = pushpull.dashboard.rows.flatMap((r) => r.panels);
    const { page } = await openPage(browser);
    await page.goto(`${metricsUrl}/dashboards/pushpull?from=now-15m&to=now&refresh=off`, { waitUntil: 'networkidle0' });
    const states = await settledStates(page, '.panel-body', panels.length);
    const shown = await page.$$eval('.panel', (els) =>
      els.map((e) => ({
        title: e.querySelector('h3')?.textContent ?? '',
        state: e.querySelector<HTMLElement>('.panel-body')?.dataset.state ?? '',
        series: Number(e.querySelector<HTMLElement>('.panel-body')?.dataset.seriesCount ?? '0'),
        error: e.querySelector('.error')?.textContent ?? '',
        empty: e.querySelector('.empty')?.textContent ?? '',
      })),
    );
    expect(shown.map((p) => p.title)).toEqual(panels.map((p) => p.title));
    expect(await page.$$eval('.row h2', (hs) => hs.map((h) => h.textContent))).toEqual(pushpull.dashboard.rows.map((r) => r.title));
    panels.forEach((panel, i) => {
      const p = shown[i];
      if (!p) throw new Error(`panel ${i} missing`);
      expect(['done', 'partial', 'empty', 'error'], panel.title).toContain(states[i]);
      if (p.state === 'error') expect(p.error, panel.title).toMatch(/Query [A-Z] failed: .+/);
      if (p.state === 'empty') expect(p.empty, panel.title).toMatch(/^No data in this time range\./);
      if (p.state === 'done') expect(p.series, panel.title).toBeGreaterThan(0);
      // What the store answers today must be drawn: the scraper's report series.
      if (panel.queries.every((q) => isSelector(q.expr)))
        expect({ title: panel.title, state: p.state }).toEqual({ title: panel.title, state: 'done' });
    });
    // A panel of planned self-metrics says which series no Worker pushes yet (or the engine's error until it lands).
    const storeRows = shown.find((p) => p.title === 'Store rows');
    expect(storeRows?.state === 'error' ? storeRows.error : storeRows?.empty).toMatch(
      /pushpull_metrics_store_rows|failed: invalid parameter "query"/,
    );
    const table = await page.$$eval('.panel.kind-table tbody tr', (rows) => rows.map((r) => r.textContent ?? ''));
    expect(table.some((t) => t.includes('origin') && t.includes(inject('originAddress')))).toBe(true);
    writeFileSync(join(OUTPUT_DIR, 'dashboard-timing.json'), `${JSON.stringify(await pageTiming(page), null, 2)}\n`);
    await screenshot(page, 'dashboard-pushpull');
    await page.close();
  });

  it('keeps the time range and refresh in the URL, and refreshes on its own', async () => {
    const { page, errors } = await openPage(browser);
    let rangeQueries = 0;
    page.on('request', (r) => {
      if (r.url().endsWith('/api/v1/query_range')) rangeQueries++;
    });
    await page.goto(`${metricsUrl}/dashboards/pushpull?from=now-30m&to=now&refresh=2s`, { waitUntil: 'networkidle0' });
    expect(await page.$eval('select.range', (s) => s.value)).toBe('30m');
    expect(await page.$eval('select.refresh', (s) => s.value)).toBe('2s');
    const firstRound = rangeQueries;
    expect(firstRound).toBeGreaterThan(10);
    // Refreshed on its own: more range queries answered after the first round (a tick skips panels whose
    // queries are still running, so how many depends on the store's speed, not only on the 2 s).
    await page.waitForFunction(
      (n: number) => performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/api/v1/query_range')).length > n,
      { timeout: 45_000 },
      firstRound,
    );
    await page.select('select.range', '3h');
    await page.select('select.refresh', 'off');
    await page.waitForFunction(() => location.search === '?from=now-3h&to=now&refresh=off');
    const again = await openPage(browser);
    await again.page.goto(page.url(), { waitUntil: 'networkidle0' });
    expect(await again.page.$eval('select.range', (s) => s.value)).toBe('3h');
    expect(await again.page.$eval('select.refresh', (s) => s.value)).toBe('off');
    await again.page.close();
    await page.close();
    expect(errors.filter((e) => !e.includes('status of 400'))).toEqual([]);
  });

  it("links the scraper's targets page and the dashboards both ways", async () => {
    const { page } = await openPage(browser);
    await page.goto(`${scraperUrl}/targets`, { waitUntil: 'networkidle0' });
    await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click(`a[href="${metricsUrl}/dashboards/pushpull"]`)]);
    expect(page.url()).toBe(`${metricsUrl}/dashboards/pushpull?from=now-1h&to=now&refresh=30s`);
    await Promise.all([page.waitForNavigation(), page.click('.topbar a[href$="/targets"]')]);
    expect(page.url()).toBe(`${scraperUrl}/targets`);
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('Targets');
    await page.close();
  });
});
