// `npx tsx scripts/grafana-dashboards.ts [outdir]`: writes every dashboard of
// workers/metrics/dashboards/ as Grafana dashboard JSON, <outdir>/pushpull-<name>.json
// (default dist/grafana), ready for Grafana's Import or its file provisioning. The metrics
// Worker serves the same at /dashboards/<name>/grafana.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toGrafanaDashboard } from '../workers/metrics/src/dashboards/grafana';
import { DASHBOARDS } from '../workers/metrics/src/dashboards/registry';

/** Writes the files; returns their paths. Throws, naming the problems, when a dashboard does not load. */
export function writeGrafanaDashboards(outDir: string): string[] {
  const broken = DASHBOARDS.flatMap((d) => ('error' in d ? [d.error.message] : []));
  if (broken.length > 0) throw new Error(broken.join('\n'));
  mkdirSync(outDir, { recursive: true });
  return DASHBOARDS.flatMap((d) => {
    if (!('dashboard' in d)) return [];
    const file = join(outDir, `pushpull-${d.name}.json`);
    writeFileSync(file, `${JSON.stringify(toGrafanaDashboard(d.name, d.dashboard), null, 2)}\n`);
    return [file];
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = resolve(process.argv[2] ?? join(import.meta.dirname, '..', 'dist', 'grafana'));
  for (const file of writeGrafanaDashboards(out)) console.log(file);
}
