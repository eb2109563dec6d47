/**
 * The pages the metrics Worker serves beside its API (same origin, so the browser queries
 * /api/v1/* directly): the expression browser at /graph, the dashboards index at /dashboards,
 * each dashboard at /dashboards/<name> and its Grafana export at /dashboards/<name>/grafana.json.
 * The HTML is a small shell rendered here; the scripts and styles are static assets under
 * /ui/ (built from workers/metrics/ui/, see docs/dashboard.md).
 */
import { Hono } from 'hono';
import { DASHBOARD_NAME } from './dashboard-file';
import { toGrafanaDashboard } from './grafana';
import type { PageConfig } from './page-config';
import { DASHBOARDS, DASHBOARD_FILES, findDashboard } from './registry';
import { readLimits } from '../limits';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** JSON safe inside a <script> element (no `</script>`, no `<!--`). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

interface ShellOptions {
  title: string;
  active: 'graph' | 'dashboards';
  scraperUrl: string;
  body: string;
  script?: string;
  config?: PageConfig;
}

function shell(o: ShellOptions): string {
  const nav = (href: string, label: string, key: string): string =>
    `<a href="${href}"${o.active === key ? ' aria-current="page"' : ''}>${label}</a>`;
  const targets = o.scraperUrl ? `<a href="${esc(o.scraperUrl.replace(/\/$/, ''))}/targets">Targets</a>` : '';
  const links = nav('/graph', 'Graph', 'graph') + nav('/dashboards', 'Dashboards', 'dashboards') + targets;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(o.title)} · pushpull</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/ui/app.css">
${o.script ? `<link rel="stylesheet" href="/ui/${o.script}.css">\n<script type="module" src="/ui/${o.script}.js"></script>` : ''}
</head><body>
<header class="topbar"><a class="brand" href="/graph">pushpull</a><nav>${links}</nav></header>
${o.config ? `<script id="pushpull-config" type="application/json">${scriptJson(o.config)}</script>` : ''}
<main>${o.body}</main>
</body></html>`;
}

/** The pages sub-app, mounted at / by the Worker. */
export const dashboardPages = new Hono<{ Bindings: Env }>();

dashboardPages.get('/', (c) => c.redirect('/graph'));

dashboardPages.get('/graph', (c) =>
  c.html(
    shell({
      title: 'Graph',
      active: 'graph',
      scraperUrl: readLimits(c.env).scraperUrl,
      script: 'graph',
      config: { scraperUrl: readLimits(c.env).scraperUrl },
      body: '<div id="graph-app"><noscript>The expression browser needs JavaScript; the query API is at /api/v1/query.</noscript></div>',
    }),
  ),
);

dashboardPages.get('/dashboards', (c) => {
  const items = DASHBOARDS.map((d) => {
    const links = `<a href="/dashboards/${d.name}/grafana.json">Grafana JSON</a> · <a href="/dashboards/${d.name}/source.json">source</a>`;
    if ('error' in d)
      return (
        `<li><a href="/dashboards/${d.name}">${esc(d.name)}</a> ` +
        `<span class="error">does not load: ${esc(d.error.problems.join('; '))}</span></li>`
      );
    const panels = d.dashboard.rows.reduce((n, r) => n + r.panels.length, 0);
    return (
      `<li><a href="/dashboards/${d.name}"><strong>${esc(d.dashboard.title)}</strong></a> — ${esc(d.dashboard.description ?? '')} ` +
      `<span class="muted">(${d.dashboard.rows.length} rows, ${panels} panels)</span> · ${links}</li>`
    );
  }).join('\n');
  return c.html(
    shell({
      title: 'Dashboards',
      active: 'dashboards',
      scraperUrl: readLimits(c.env).scraperUrl,
      body: `<h1>Dashboards</h1><ul class="dashboard-list">${items}</ul>
<p class="muted">Each is a JSON file in <code>workers/metrics/dashboards/</code>. To import one into Grafana,
add a Prometheus data source whose URL is this Worker (${esc(new URL(c.req.url).origin)}) and import its Grafana JSON.</p>`,
    }),
  );
});

function notFoundPage(scraperUrl: string, name: string): string {
  const names = DASHBOARDS.map((d) => `<a href="/dashboards/${d.name}">${esc(d.name)}</a>`).join(', ');
  return shell({
    title: 'Not found',
    active: 'dashboards',
    scraperUrl,
    body: `<h1>No dashboard named ${esc(JSON.stringify(name))}</h1><p>Dashboards: ${names}.</p>`,
  });
}

dashboardPages.get('/dashboards/:name', (c) => {
  const name = c.req.param('name');
  const found = DASHBOARD_NAME.test(name) ? findDashboard(name) : undefined;
  if (!found) return c.html(notFoundPage(readLimits(c.env).scraperUrl, name), 404);
  if ('error' in found) {
    const problems = found.error.problems.map((p) => `<li><code>${esc(p)}</code></li>`).join('');
    return c.html(
      shell({
        title: name,
        active: 'dashboards',
        scraperUrl: readLimits(c.env).scraperUrl,
        body: `<h1>Dashboard ${esc(name)} does not load</h1><p>${esc(found.error.source)}:</p><ul class="error">${problems}</ul>`,
      }),
      500,
    );
  }
  return c.html(
    shell({
      title: found.dashboard.title,
      active: 'dashboards',
      scraperUrl: readLimits(c.env).scraperUrl,
      script: 'dashboard',
      config: { scraperUrl: readLimits(c.env).scraperUrl, dashboard: { name, file: DASHBOARD_FILES[name] } },
      body: '<div id="dashboard-app"><noscript>Dashboards need JavaScript.</noscript></div>',
    }),
  );
});

dashboardPages.get('/dashboards/:name/grafana.json', (c) => {
  const name = c.req.param('name');
  const found = findDashboard(name);
  if (!found) return c.json({ error: 'not_found', message: `no dashboard named ${JSON.stringify(name)}` }, 404);
  if ('error' in found) return c.json({ error: 'invalid_dashboard', message: found.error.message, problems: found.error.problems }, 500);
  c.header('content-disposition', `inline; filename="pushpull-${name}.grafana.json"`);
  return c.json(toGrafanaDashboard(name, found.dashboard));
});

dashboardPages.get('/dashboards/:name/source.json', (c) => {
  const name = c.req.param('name');
  const file = findDashboard(name) ? DASHBOARD_FILES[name] : undefined;
  if (file === undefined) return c.json({ error: 'not_found', message: `no dashboard named ${JSON.stringify(name)}` }, 404);
  return c.json(file);
});
