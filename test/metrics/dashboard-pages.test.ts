import { describe, expect, it } from 'vitest';
import { toGrafanaDashboard } from '../../workers/metrics/src/dashboards/grafana';
import { DASHBOARDS, DASHBOARD_FILES } from '../../workers/metrics/src/dashboards/registry';
import { call, env } from './metrics-client';

/** The JSON a page hands its script. */
function pageConfig(html: string): { scraperUrl: string; dashboard?: { name: string; file: unknown } } {
  const m = /<script id="pushpull-config" type="application\/json">(.*?)<\/script>/s.exec(html);
  if (!m?.[1]) throw new Error('no page config');
  return JSON.parse(m[1]) as { scraperUrl: string; dashboard?: { name: string; file: unknown } };
}

describe('the pages routes', () => {
  it('sends / to the expression browser', async () => {
    const r = await call('/', { redirect: 'manual' });
    expect(r.status, r.text.slice(0, 300)).toBe(302);
    expect(r.headers.get('location')).toBe('/graph');
  });

  it("serves /graph as a shell loading its script, with the scraper's URL", async () => {
    const r = await call('/graph');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/html');
    expect(r.text).toContain('<script type="module" src="/ui/graph.js"></script>');
    expect(pageConfig(r.text)).toEqual({ scraperUrl: env.SCRAPER_URL });
    expect(r.text).toContain(`<a href="${env.SCRAPER_URL}/targets">Targets</a>`);
  });

  it('lists the dashboards, and serves each with its file', async () => {
    const index = await call('/dashboards');
    expect(index.status).toBe(200);
    for (const d of DASHBOARDS) expect(index.text).toContain(`<a href="/dashboards/${d.name}/grafana.json">`);
    const page = await call('/dashboards/pushpull');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<script type="module" src="/ui/dashboard.js"></script>');
    expect(pageConfig(page.text).dashboard).toEqual({ name: 'pushpull', file: DASHBOARD_FILES.pushpull });
  });

  it('answers 404 for a dashboard that does not exist, naming the ones that do', async () => {
    for (const path of ['/dashboards/nope', '/dashboards/Pushpull', '/dashboards/..%2Fsecrets']) {
      const r = await call(path);
      expect(r.status, path).toBe(404);
      expect(r.text).toContain('<a href="/dashboards/pushpull">pushpull</a>');
    }
    const grafana = await call('/dashboards/nope/grafana.json');
    expect(grafana.status).toBe(404);
    expect(grafana.json()).toEqual({ error: 'not_found', message: 'no dashboard named "nope"' });
  });

  it('exports a dashboard as Grafana JSON and serves its source', async () => {
    const r = await call('/dashboards/pushpull/grafana.json');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-disposition')).toBe('inline; filename="pushpull-pushpull.grafana.json"');
    const loaded = DASHBOARDS.find((d) => d.name === 'pushpull');
    if (!loaded || !('dashboard' in loaded)) throw new Error('pushpull does not load');
    expect(r.json()).toEqual(JSON.parse(JSON.stringify(toGrafanaDashboard('pushpull', loaded.dashboard))));
    expect((await call('/dashboards/pushpull/source.json')).json()).toEqual(DASHBOARD_FILES.pushpull);
  });

  it('leaves the API routes as they were', async () => {
    expect((await call('/api/v1/query?query=1')).json()).toMatchObject({ status: 'success', data: { resultType: 'scalar' } });
    expect((await call('/ping')).status).toBe(204);
    expect((await call('/nowhere')).status).toBe(404);
  });
});
