/** The `/targets` page: a small HTML table of every target's health (like Prometheus's). */
import type { TargetHealth } from './scrape-pool';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Links to the metrics Worker's pages (graph, dashboards), or nothing without its URL. */
function metricsLinks(metricsUrl: string, targets: TargetHealth[]): string {
  if (metricsUrl === '') return '';
  const base = esc(metricsUrl.replace(/\/$/, ''));
  const upQuery = new URLSearchParams({ 'g0.expr': 'up', 'g0.tab': 'table', 'g1.expr': 'scrape_duration_seconds', 'g1.tab': 'graph' });
  const up = `${base}/graph?${upQuery.toString().replace(/&/g, '&amp;')}`;
  const links = [
    `<a href="${base}/graph">Graph</a>`,
    `<a href="${base}/dashboards">Dashboards</a>`,
    `<a href="${base}/dashboards/pushpull">pushpull dashboard</a>`,
    `<a href="${up}">up and scrape durations of these ${targets.length} targets</a>`,
  ];
  return `<nav>${links.join(' · ')}</nav>`;
}

/** Renders the targets page; `metricsUrl` (METRICS_URL) adds links to the metrics Worker's pages. */
export function renderTargetsPage(targets: TargetHealth[], nowMs: number, metricsUrl = ''): string {
  const rows = targets
    .map((t) => {
      const ago = t.lastScrapeMs === 0 ? 'never' : `${((nowMs - t.lastScrapeMs) / 1000).toFixed(1)}s ago`;
      const labels = Object.entries(t.labels)
        .map(([k, v]) => `<code>${esc(k)}="${esc(v)}"</code>`)
        .join(' ');
      const cells = [
        esc(t.scrapePool),
        `<a href="${esc(t.scrapeUrl)}">${esc(t.scrapeUrl)}</a>`,
        esc(t.health.toUpperCase()),
        labels,
        ago,
        `${(t.lastScrapeDuration * 1000).toFixed(1)} ms`,
        String(t.lastSamples),
        esc(t.lastError),
      ];
      return `<tr class="${t.health}">${cells.map((cell) => `<td>${cell}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Targets · pushpull scraper</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}tr.up td:nth-child(3){color:#070}tr.down td:nth-child(3){color:#b00}</style>
</head><body>${metricsLinks(metricsUrl, targets)}<h1>Targets</h1>
<table><thead><tr>
<th>Job</th><th>Endpoint</th><th>State</th><th>Labels</th><th>Last scrape</th><th>Duration</th><th>Samples</th><th>Error</th>
</tr></thead>
<tbody>
${rows}
</tbody></table>
<p>JSON: <a href="/api/v1/targets">/api/v1/targets</a></p>
</body></html>`;
}
