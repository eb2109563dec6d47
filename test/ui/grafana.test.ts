/**
 * The Grafana export, checked against what Grafana needs to import a dashboard and against
 * the structure of a real, widely imported one (Node Exporter Full, grafana.com 1860, kept
 * outside the repo in the project's shared folder and only read here).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDashboard } from '../../workers/metrics/src/dashboards/dashboard-file';
import { toGrafanaDashboard } from '../../workers/metrics/src/dashboards/grafana';
import { DASHBOARDS } from '../../workers/metrics/src/dashboards/registry';
import { writeGrafanaDashboards } from '../../scripts/grafana-dashboards';
import { root } from '../support/dev-worker';

type Json = Record<string, unknown>;

/** The shared folder: PUSHPULL_SHARED_DIR, beside the checkout (CI), or the machine's /work/shared. */
function referenceDashboard(): Json {
  const candidates = [process.env.PUSHPULL_SHARED_DIR, join(root, '..', 'shared'), '/work/shared'].filter(
    (d): d is string => d !== undefined,
  );
  for (const dir of candidates) {
    const file = join(dir, 'grafana', 'node-exporter-full.json');
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Json;
  }
  throw new Error(`grafana/node-exporter-full.json not found in ${candidates.join(', ')} (set PUSHPULL_SHARED_DIR to the shared folder)`);
}

function panelsOf(d: Json): Json[] {
  const top = d.panels as Json[];
  return top.flatMap((p) => [p, ...((p.panels as Json[] | undefined) ?? [])]);
}

/** Every key path (`fieldConfig.defaults.unit`) of an object, arrays' items under `[]`. */
function keyPaths(v: unknown, path = ''): string[] {
  if (Array.isArray(v)) return v.flatMap((x) => keyPaths(x, `${path}[]`));
  if (typeof v !== 'object' || v === null) return [];
  return Object.entries(v).flatMap(([k, x]) => {
    const full = path === '' ? k : `${path}.${k}`;
    return [full, ...keyPaths(x, full)];
  });
}

function typeOf(v: unknown): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
}

const exported = DASHBOARDS.flatMap((d) =>
  'dashboard' in d ? [{ name: d.name, json: toGrafanaDashboard(d.name, d.dashboard), source: d.dashboard }] : [],
);

describe('the Grafana export', () => {
  const reference = referenceDashboard();

  it('exports every dashboard', () => {
    expect(exported.map((e) => e.name)).toEqual(DASHBOARDS.map((d) => d.name));
  });

  it('has the top-level fields of a grafana.com dashboard, with the same types', () => {
    for (const { json } of exported) {
      for (const key of Object.keys(json)) {
        if (key === 'description') continue; // optional in Grafana's schema; Node Exporter Full has none
        expect(reference, `top-level ${key}`).toHaveProperty(key);
        expect(typeOf(json[key]), key).toBe(typeOf(reference[key]));
      }
      for (const key of ['panels', 'schemaVersion', 'templating', 'time', 'title', 'uid', 'annotations', 'refresh'])
        expect(json).toHaveProperty(key);
      expect(json.id).toBeNull(); // an import must not carry a database id
      expect(json.schemaVersion as number).toBeGreaterThanOrEqual(36); // datasource references by uid
      expect(String(json.uid)).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    }
  });

  it('queries the Prometheus data source picked by a datasource variable, as the reference does', () => {
    const refVar = (reference.templating as { list: Json[] }).list.find((v) => v.type === 'datasource');
    for (const { json } of exported) {
      const vars = (json.templating as { list: Json[] }).list;
      const dsVar = vars.find((v) => v.type === 'datasource');
      expect(dsVar).toMatchObject({ type: 'datasource', query: 'prometheus', name: refVar?.name });
      for (const p of panelsOf(json).filter((x) => x.type !== 'row')) {
        expect(p.datasource).toEqual({ type: 'prometheus', uid: `\${${String(dsVar?.name)}}` });
      }
    }
  });

  it('lays panels on the 24-column grid without overlaps, rows first, ids unique', () => {
    for (const { json } of exported) {
      const panels = panelsOf(json);
      const ids = panels.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      const cells = new Set<string>();
      for (const p of panels) {
        const g = p.gridPos as { h: number; w: number; x: number; y: number };
        expect(g.x + g.w, String(p.title)).toBeLessThanOrEqual(24);
        expect(g.w).toBeGreaterThan(0);
        for (let x = g.x; x < g.x + g.w; x++)
          for (let y = g.y; y < g.y + g.h; y++) {
            const cell = `${x},${y}`;
            expect(cells.has(cell), `${String(p.title)} overlaps at ${cell}`).toBe(false);
            cells.add(cell);
          }
      }
      expect(panels[0]?.type).toBe('row');
    }
  });

  it("uses only panel fields the reference uses for the same panel type (table: Grafana's table options)", () => {
    const refPanels = panelsOf(reference);
    const refPaths = new Map<string, Set<string>>();
    for (const p of refPanels) {
      const set = refPaths.get(String(p.type)) ?? new Set<string>();
      for (const k of keyPaths(p)) set.add(k);
      refPaths.set(String(p.type), set);
    }
    // The reference has no table panel; these are the table fields Grafana 10/11 writes.
    const tableOnly = new Set([
      'options.cellHeight',
      'options.footer',
      'options.footer.show',
      'options.footer.reducer',
      'options.footer.reducer[]',
      'options.footer.fields',
      'options.showHeader',
      'transformations',
      'transformations[].id',
      'transformations[].options',
      'transformations[].options.excludeByName',
      'transformations[].options.excludeByName.Time',
    ]);
    for (const { json } of exported) {
      for (const p of panelsOf(json)) {
        const type = String(p.type);
        const known = type === 'table' ? new Set([...(refPaths.get('timeseries') ?? []), ...tableOnly]) : refPaths.get(type);
        expect(known, `panel type ${type} is one the reference uses`).toBeDefined();
        const unknown = keyPaths(p).filter((path) => !known?.has(path));
        expect(unknown, `${type} panel "${String(p.title)}"`).toEqual([]);
      }
    }
  });

  it('keeps every query, unit, legend and kind of the source file', () => {
    for (const { json, source } of exported) {
      const panels = panelsOf(json).filter((p) => p.type !== 'row');
      const sourcePanels = source.rows.flatMap((r) => r.panels);
      expect(panels).toHaveLength(sourcePanels.length);
      expect(
        panelsOf(json)
          .filter((p) => p.type === 'row')
          .map((p) => p.title),
      ).toEqual(source.rows.map((r) => r.title));
      sourcePanels.forEach((sp, i) => {
        const p = panels[i];
        expect(p.title).toBe(sp.title);
        expect((p.fieldConfig as { defaults: Json }).defaults.unit).toBe(sp.unit);
        const targets = p.targets as Json[];
        expect(targets.map((t) => t.expr)).toEqual(sp.queries.map((q) => q.expr));
        expect(targets.map((t) => t.legendFormat)).toEqual(sp.queries.map((q) => q.legend ?? '__auto'));
        expect(new Set(targets.map((t) => t.refId)).size).toBe(targets.length);
        const instant = sp.kind === 'stat' || sp.kind === 'table';
        for (const t of targets) expect({ instant: t.instant, range: t.range }).toEqual({ instant, range: !instant });
        const stacking = (p.fieldConfig as { defaults: { custom?: { stacking?: { mode: string } } } }).defaults.custom?.stacking?.mode;
        expect(stacking).toBe(sp.kind === 'stacked-area' ? 'normal' : sp.kind === 'line' ? 'none' : undefined);
      });
    }
  });

  it('writes the time range and refresh as Grafana does', () => {
    const d = parseDashboard(
      {
        title: 't',
        time: '6h',
        refresh: 'off',
        rows: [{ title: 'r', panels: [{ title: 'p', kind: 'stat', unit: 'short', queries: [{ expr: 'up' }] }] }],
      },
      't',
    );
    const json = toGrafanaDashboard('t', d);
    expect(json.time).toEqual({ from: 'now-6h', to: 'now' });
    expect(json.refresh).toBe('');
    const committed = JSON.parse(readFileSync(join(root, 'workers/metrics/dashboards/pushpull.json'), 'utf8')) as {
      time: string;
      refresh: string;
    };
    const pushpull = exported.find((e) => e.name === 'pushpull');
    expect(pushpull?.json.time).toEqual({ from: `now-${committed.time}`, to: 'now' });
    expect(pushpull?.json.refresh).toBe(committed.refresh);
  });

  it('is written to files by scripts/grafana-dashboards.ts, one per dashboard', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pushpull-grafana-'));
    try {
      const files = writeGrafanaDashboards(dir);
      expect(files.map((f) => f.slice(dir.length + 1))).toEqual(exported.map((e) => `pushpull-${e.name}.json`));
      for (const [i, f] of files.entries()) expect(JSON.parse(readFileSync(f, 'utf8'))).toEqual(exported[i]?.json);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
