/**
 * The report of one run: headline tables (printed, and in summary.md), every chart (inline in
 * index.html, readable offline, and as .svg files), the raw figures (results.json), the machine,
 * sizes and seeds, the paper model's inputs, and what a local run cannot show.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monthCost, MODEL_INPUTS, PRICES, PRICE_SOURCES } from '../cdn/cost';
import { CDN_MODE_LABELS, type CdnResult } from '../cdn/run';
import type { FeedResult } from '../feed/run';
import type { MachineInfo } from '../machine';
import { DELIVERIES, DELIVERY_LABELS, type MetricsResult } from '../metrics/run';
import * as charts from './charts';
import { renderCharts, type Chart, type ChartSpec } from './render';

/** Everything one run measured. */
export interface RunResults {
  command: string;
  /** The commit measured. */
  revision: string;
  size: string;
  seed: number;
  startedAt: string;
  wallSeconds: number;
  machine: { atStart: MachineInfo; atEnd: MachineInfo };
  /** Seconds each pair took. */
  pairSeconds: Record<string, number>;
  cdn?: CdnResult;
  metrics?: MetricsResult;
  feed?: FeedResult;
}

/** A table: header row, then rows of cells. */
export type Table = { title: string; header: string[]; rows: string[][]; note?: string };

const mib = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(2);
const num = (x: number | null | undefined, digits = 1): string =>
  x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits);
const pct = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : `${(x * 100).toFixed(0)} %`);

/** The CDN headline table: every mode at the highest request rate. */
function cdnTable(cdn: CdnResult): Table {
  const phase = cdn.phases[cdn.phases.length - 1];
  const rows = phase.modes.map((m) => {
    const cost = monthCost(m, cdn.settings.seconds);
    const stored = m.storage.cache.blobBytes + m.storage.kv.blobBytes + m.storage.r2.blobBytes;
    return [
      CDN_MODE_LABELS[m.mode],
      `${m.requests}${m.skipped + m.errors > 0 ? ` (${m.skipped} skipped, ${m.errors} failed)` : ''}`,
      String(m.origin.requests),
      mib(m.origin.bytes),
      mib(m.origin.redundantBytes),
      `${mib(m.pushBytes - m.pushInitialBytes)} (+${mib(m.pushInitialBytes)} initial)`,
      `${num(m.staleness.p99 / 1000, 2)} (${m.staleness.observed} of ${m.staleness.changes} changes seen)`,
      `${m.staleResponses}/${m.requests}`,
      `${num(m.latency.miss.p50)} / ${num(m.latency.hit.p50)}`,
      mib(stored),
      `$${cost.totalUsd.toFixed(2)}`,
    ];
  });
  return {
    title:
      `CDN: ${cdn.settings.objects} objects, ${phase.rate} req/s per mode for ${cdn.settings.seconds} s` +
      `, ${phase.changes} changes, TTL ${cdn.settings.ttlSeconds} s`,
    header: [
      'mode',
      'requests served',
      'origin requests',
      'origin MiB',
      're-pulled unchanged MiB',
      'pushed MiB',
      'staleness p99 s',
      'stale responses',
      'miss / hit p50 ms',
      'edge storage MiB',
      'month at CF prices',
    ],
    rows,
    note:
      'bytes to the edge (origin + pushed after the initial upload) over the rate sweep ' +
      `${cdn.phases.map((p) => p.rate).join('/')} req/s: ${charts.cdnCrossoverText(cdn)}` +
      `. Month: this phase's rates over 30 days at the prices cited below (a paper model; inputs in results.json)`,
  };
}

/** The metrics headline tables: the scale sweep at the most sources, and the mechanisms. */
function metricsTables(m: MetricsResult): Table[] {
  const top = Math.max(...m.settings.sources);
  const least = Math.min(...m.settings.sources);
  const scale: Table = {
    title:
      `Metrics: ${top} sources x ${m.settings.seriesPerSource} series every ${m.settings.intervalSeconds} s` +
      ` (store counted at its shard)`,
    header: [
      'way',
      `store write calls/s (${least} → ${top} sources)`,
      'samples/s',
      'samples stored',
      'per-source req/s',
      'per-source bytes/s',
      'failed',
    ],
    rows: DELIVERIES.map((d) => {
      const at = (n: number) => m.scale.find((s) => s.delivery === d && s.sources === n);
      const s = at(top);
      const lo = at(least);
      return [
        DELIVERY_LABELS[d],
        `${num(lo?.storeWriteCallsPerSecond, 2)} → ${num(s?.storeWriteCallsPerSecond, 2)}`,
        num(s?.storeSamplesPerSecond, 0),
        String(s?.samplesStored ?? 'n/a'),
        num(s?.perSourceRequestsPerSecond, 3),
        num(s?.perSourceBytesPerSecond, 0),
        String(s?.sourceFailures ?? 'n/a'),
      ];
    }),
  };
  const ways = Object.keys(m.shortJobs.captured);
  const dead = m.deadSource;
  const mech: Table = {
    title: 'Metrics: what each way catches',
    header: ['', ...ways],
    rows: [
      ['short-lived jobs captured', ...ways.map((w) => pct(m.shortJobs.captured[w]?.all))],
      ['… of jobs shorter than the interval', ...ways.map((w) => pct(m.shortJobs.captured[w]?.shorterThanInterval))],
      [`individual events stored (of ${m.events.events})`, ...ways.map((w) => pct(m.events.captured[w]))],
    ],
    note:
      `dead source noticed after: pull ${num((dead.pull.noticedMs ?? NaN) / 1000, 1)} s (${dead.pull.how})` +
      `; line protocol ${num((dead.influx.noticedMs ?? NaN) / 1000, 1)} s (${dead.influx.how}); ` +
      `Pushgateway ${num((dead.pushgateway.noticedMs ?? NaN) / 1000, 1)} s (${dead.pushgateway.how}` +
      `; ${dead.pushgateway.samplesAfterDeath} samples re-emitted after the death)`,
  };
  return [scale, mech];
}

/** The feed headline table. */
function feedTable(feed: FeedResult): Table {
  // The heaviest read load of the sweep.
  const heaviest = feed.settings.loads.reduce((a, b) =>
    b.readsPerSecond > a.readsPerSecond || (b.readsPerSecond === a.readsPerSecond && b.postsPerSecond > a.postsPerSecond) ? b : a,
  );
  const loads = feed.settings.loads.map((l) => `${l.postsPerSecond}/${l.readsPerSecond}`).join(', ');
  return {
    title: `Feed: ${feed.graph.users} users, ${feed.graph.follows} Zipf follows; posts/reads per second swept: ${loads}`,
    header: [
      'config',
      'timeline rows written/post',
      'rows read/page',
      `read p50 / p99 ms (${heaviest.postsPerSecond} posts + ${heaviest.readsPerSecond} reads/s)`,
      'visible p99 ms ordinary / huge',
      'storage added MiB (D1 + DO)',
    ],
    rows: feed.configs.map((c) => {
      const r = c.reads.find((x) => x.readsPerSecond === heaviest.readsPerSecond && x.postsPerSecond === heaviest.postsPerSecond);
      return [
        c.label,
        num(c.rowsWrittenPerPost),
        num(c.rowsReadPerPage),
        `${num(r?.p50)} / ${num(r?.p99)}`,
        `${num(c.visibility.ordinary.p99, 0)} / ${num(c.visibility.huge.p99, 0)}`,
        mib(c.storage.d1.totalBytes + c.storage.do.totalBytes),
      ];
    }),
    note: charts
      .feedCrossover(feed)
      .map((x) => `${x.a} and ${x.b} cost the same rows at ${x.readsPerPost.toFixed(1)} timeline reads per post`)
      .join('; '),
  };
}

/** Every headline table of the run. */
function headlineTables(r: RunResults): Table[] {
  return [...(r.cdn ? [cdnTable(r.cdn)] : []), ...(r.metrics ? metricsTables(r.metrics) : []), ...(r.feed ? [feedTable(r.feed)] : [])];
}

/** A table as Markdown. */
function markdownTable(t: Table): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  return [
    `**${t.title}**`,
    '',
    `| ${t.header.map(esc).join(' | ')} |`,
    `| ${t.header.map(() => '---').join(' | ')} |`,
    ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
    ...(t.note ? ['', t.note] : []),
  ].join('\n');
}

/** A table as aligned text for the terminal. */
export function textTable(t: Table): string {
  const all = [t.header, ...t.rows];
  const widths = t.header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [t.title, line(t.header), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line), ...(t.note ? [t.note] : [])].join(
    '\n',
  );
}

/** The chart specs for what the run measured. */
function chartSpecs(r: RunResults): ChartSpec[] {
  const out: ChartSpec[] = [];
  if (r.cdn)
    out.push(
      charts.cdnBytesChart(r.cdn),
      charts.cdnRedundantChart(r.cdn),
      charts.cdnStalenessChart(r.cdn),
      charts.cdnStorageChart(r.cdn),
      charts.cdnLatencyChart(r.cdn),
    );
  if (r.metrics)
    out.push(
      charts.metricsStoreChart(r.metrics),
      charts.metricsSamplesChart(r.metrics),
      charts.metricsSourceLoadChart(r.metrics),
      charts.metricsCaptureChart(r.metrics),
      charts.metricsDeadChart(r.metrics),
    );
  if (r.feed) out.push(charts.feedCostChart(r.feed), charts.feedThresholdChart(r.feed), charts.feedVisibilityChart(r.feed));
  return out;
}

/** What a run on one machine cannot show, said in every report. */
const LOCAL_LIMITS = [
  'One location: every Worker runs in one workerd process on this machine, so there is one Cache API, one KV and ' +
    'one R2. On Cloudflare each location has its own cache (a pull CDN misses once per location, a push CDN does ' +
    'not), and a push or purge reaches other locations when KV has propagated it (up to about 60 s): the staleness ' +
    'measured here is the location that took the change.',
  "KV propagation is instant locally; the 60 s figure above is Cloudflare's documented bound, not a measurement.",
  'Durable Objects all run on one thread here (the local runtime); on Cloudflare each object runs on some machine ' +
    'of its own, so fan-out to many inboxes (feed push) runs in parallel there and its visibility lag here is an ' +
    'upper bound set by this machine.',
  'One machine of 2 cores runs the load generator, the origin, the simulated sources and every Worker at once: ' +
    'latencies include their contention (see the load average). Ratios between modes measured side by side in one ' +
    'phase are the steadier figures.',
  "Storage is the simulator's files on disk (stored values counted from its blob files); Cloudflare bills R2 and " +
    'KV by stored bytes and does not bill the Cache API, which evicts by its own policy.',
  "Workers CPU time is not measured (the local runtime does not bill it), so the month's cost leaves it out.",
  'The metrics stores run with SHARD_COUNT=1, so that a write call at the shard is a write request at the store; ' +
    'with the default 8 shards one request can become up to 8 shard calls. The simulated sources are HTTP servers ' +
    "inside the run's own Node process.",
];

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function htmlTable(t: Table): string {
  return (
    `<h3>${escapeHtml(t.title)}</h3><table><thead><tr>${t.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>` +
    t.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('') +
    `</tbody></table>${t.note ? `<p class="note">${escapeHtml(t.note)}</p>` : ''}`
  );
}

function machineLine(m: RunResults['machine']): string {
  const s = m.atStart;
  return (
    `${s.cpuModel}, ${s.cores} cores, ${s.memoryGb} GB memory, ${s.os}, Node ${s.node}` +
    `; load average (1/5/15 min) ${s.loadAverage.join(' / ')} at the start, ${m.atEnd.loadAverage.join(' / ')} at the end`
  );
}

function settingsOf(r: RunResults): Record<string, unknown> {
  return {
    ...(r.cdn ? { cdn: r.cdn.settings } : {}),
    ...(r.metrics ? { metrics: r.metrics.settings } : {}),
    ...(r.feed ? { feed: r.feed.settings } : {}),
  };
}

function modelSection(): { md: string; html: string } {
  const prices = Object.entries(PRICES).map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
  const inputs = Object.entries(MODEL_INPUTS).map(([k, v]) => `${k} = ${v}`);
  const sources = PRICE_SOURCES.map((s) => `${s.what}: ${s.url} (read ${s.read})`);
  const md = [
    "## The month's cost (a paper model)",
    '',
    'Inputs measured in the run, per phase, scaled to 30 days: requests served, origin bytes, push syncs and push ' +
      'API requests, edge misses of pushed content, R2 bytes stored. Billed as the Workers Paid plan bills: the $5 ' +
      'subscription plus usage beyond each included amount. Modelled per-operation counts (from docs/push.md, not ' +
      'counted in the run):',
    '',
    ...inputs.map((x) => `- ${x}`),
    '',
    'Prices (USD):',
    '',
    ...prices.map((x) => `- ${x}`),
    '',
    'Sources:',
    '',
    ...sources.map((x) => `- ${x}`),
    '',
    "Origin egress is listed in GB (results.json, `cost.originGbPerMonth`) and not priced: the origin's host bills it, not Cloudflare.",
  ].join('\n');
  const html =
    "<h2>The month's cost (a paper model)</h2><p>Inputs measured in the run, per phase, scaled to 30 days; billed " +
    'as the Workers Paid plan bills (the $5 subscription plus usage beyond each included amount). Modelled ' +
    'per-operation counts (from docs/push.md, not counted in the run):</p>' +
    `<ul>${inputs.map((x) => `<li>${escapeHtml(x)}</li>`).join('')}</ul>` +
    `<p>Prices (USD):</p><ul>${prices.map((x) => `<li><code>${escapeHtml(x)}</code></li>`).join('')}</ul>` +
    `<p>Sources:</p><ul>${sources.map((x) => `<li>${escapeHtml(x)}</li>`).join('')}</ul>` +
    "<p>Origin egress is listed in GB and not priced: the origin's host bills it.</p>";
  return { md, html };
}

/** Writes index.html, summary.md, results.json and one .svg per chart into `dir`; returns the charts and tables. */
export async function writeReport(dir: string, r: RunResults): Promise<{ charts: Chart[]; tables: Table[] }> {
  mkdirSync(join(dir, 'charts'), { recursive: true });
  const tables = headlineTables(r);
  const rendered = await renderCharts(chartSpecs(r));
  for (const c of rendered) writeFileSync(join(dir, 'charts', `${c.id}.svg`), c.svg);
  const costs = r.cdn
    ? r.cdn.phases.map((p) => ({
        rate: p.rate,
        modes: Object.fromEntries(p.modes.map((m) => [m.mode, monthCost(m, r.cdn?.settings.seconds ?? 1)])),
      }))
    : [];
  writeFileSync(
    join(dir, 'results.json'),
    JSON.stringify(
      { ...r, cost: costs, charts: rendered.map((c) => ({ id: c.id, title: c.title, caption: c.caption, rows: c.rows })) },
      null,
      1,
    ),
  );
  const model = r.cdn ? modelSection() : { md: '', html: '' };
  const head = [
    `# pushpull compare: ${r.size} run of ${r.startedAt}`,
    '',
    `Command: \`${r.command}\` (seed ${r.seed}) at commit ${r.revision}; wall time ${r.wallSeconds.toFixed(0)} s (${Object.entries(
      r.pairSeconds,
    )
      .map(([k, v]) => `${k} ${v.toFixed(0)} s`)
      .join(', ')}).`,
    '',
    `Machine: ${machineLine(r.machine)}.`,
    '',
  ].join('\n');
  const md = [
    head,
    '## Headline',
    '',
    ...tables.map((t) => markdownTable(t) + '\n'),
    '## Charts',
    '',
    ...rendered.map((c) => `- [${c.title}](charts/${c.id}.svg): ${c.caption}`),
    '',
    model.md,
    '',
    '## What a local run cannot show',
    '',
    ...LOCAL_LIMITS.map((x) => `- ${x}`),
    '',
    '## Sizes and seeds',
    '',
    '```json',
    JSON.stringify(settingsOf(r), null, 1),
    '```',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'summary.md'), md);
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>pushpull compare ${escapeHtml(r.startedAt)}</title><style>
body{font:14px/1.45 Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}
.note{color:#555;font-size:13px}
.charts{display:flex;flex-wrap:wrap;gap:1.5em}.chart{flex:0 0 auto}figcaption{font-size:12px;color:#555;max-width:520px}
pre{background:#f6f6f6;padding:.6em;overflow:auto;font-size:12px}</style></head><body>
<h1>pushpull compare: ${escapeHtml(r.size)} run</h1>
<p>${escapeHtml(r.startedAt)}; command <code>${escapeHtml(r.command)}</code>;
seed ${r.seed}; commit ${escapeHtml(r.revision)}; wall time ${r.wallSeconds.toFixed(0)} s.</p>
<p>Machine: ${escapeHtml(machineLine(r.machine))}.</p>
<p>Every figure below was measured in this run, against the real Workers under <code>wrangler dev</code>,
the real Node origin and the real store; the month's cost is the one paper model, and it shows its inputs.</p>
<h2>Headline</h2>${tables.map(htmlTable).join('')}
<h2>Charts</h2><div class="charts">
${rendered.map((c) => `<figure class="chart" id="${c.id}">${c.svg}<figcaption>${escapeHtml(c.caption)}</figcaption></figure>`).join('\n')}
</div>
${model.html}
<h2>What a local run cannot show</h2><ul>${LOCAL_LIMITS.map((x) => `<li>${escapeHtml(x)}</li>`).join('')}</ul>
<h2>Sizes and seeds</h2><pre>${escapeHtml(JSON.stringify(settingsOf(r), null, 1))}</pre>
<p>Raw figures: <code>results.json</code> beside this page.</p></body></html>`;
  writeFileSync(join(dir, 'index.html'), html);
  return { charts: rendered, tables };
}
