/**
 * Dashboards as JSON files (workers/metrics/dashboards/<name>.json): the typed shape and the
 * loader that checks a parsed file and names every problem by its path in the file
 * (`rows[0].panels[2].kind: …`). Pure: used by the Worker's pages, the browser and the
 * Grafana export alike. The format is documented in docs/dashboard.md.
 */

/** How a panel draws its queries. */
const PANEL_KINDS = ['line', 'stacked-area', 'stat', 'table'] as const;
export type PanelKind = (typeof PANEL_KINDS)[number];

/**
 * Units of a panel's values, named as Grafana names them (so the export keeps them):
 * short (plain number), percentunit (0..1 shown as %), bytes, Bps (bytes per second),
 * reqps (requests per second), ops (operations per second), s (seconds), none.
 */
const PANEL_UNITS = ['short', 'percentunit', 'bytes', 'Bps', 'reqps', 'ops', 's', 'none'] as const;
export type PanelUnit = (typeof PANEL_UNITS)[number];

/** One PromQL query of a panel. */
interface PanelQuery {
  expr: string;
  /** Series name in legends, Grafana's legendFormat: `{{label}}` is replaced by the label's value. */
  legend?: string;
}

/** One panel. */
export interface Panel {
  title: string;
  kind: PanelKind;
  unit: PanelUnit;
  queries: PanelQuery[];
  description?: string;
  /** Width in Grafana's 24-column grid; default: the row's width shared equally. */
  width?: number;
}

/** A row of panels (Grafana's row panel). */
export interface DashboardRow {
  title: string;
  description?: string;
  panels: Panel[];
}

/** A whole dashboard file. */
export interface Dashboard {
  title: string;
  description?: string;
  /** Default time range, a Prometheus duration ending now (`1h`). */
  time: string;
  /** Default auto-refresh interval (`30s`), or `off`. */
  refresh: string;
  rows: DashboardRow[];
}

/** Names a dashboard may have (its file name without `.json`, also its URL path). */
export const DASHBOARD_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A Prometheus duration: one or more `<n><unit>` from y down to ms (as model.ParseDuration). */
const DURATION = /^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/;

/** A dashboard file that does not have the expected shape; `problems` lists each one. */
export class DashboardFileError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source}: ${problems.join('; ')}`);
  }
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Collects problems while reading one file. */
class Reader {
  readonly problems: string[] = [];

  object(v: unknown, path: string, allowed: readonly string[]): Obj | undefined {
    if (!isObject(v)) {
      this.problems.push(`${path || '(top level)'}: must be an object`);
      return undefined;
    }
    for (const key of Object.keys(v)) {
      if (!allowed.includes(key))
        this.problems.push(`${path ? `${path}.` : ''}${key}: unknown field (expected one of ${allowed.join(', ')})`);
    }
    return v;
  }

  string(o: Obj, key: string, path: string, opts: { optional?: boolean; pattern?: RegExp; hint?: string } = {}): string | undefined {
    const v = o[key];
    const where = path ? `${path}.${key}` : key;
    if (v === undefined && opts.optional) return undefined;
    if (typeof v !== 'string' || v.trim() === '') {
      this.problems.push(`${where}: must be a non-empty string`);
      return undefined;
    }
    if (opts.pattern && !opts.pattern.test(v)) {
      this.problems.push(`${where}: ${JSON.stringify(v)} is not ${opts.hint ?? `matching ${opts.pattern}`}`);
      return undefined;
    }
    return v;
  }

  oneOf<T extends string>(o: Obj, key: string, path: string, values: readonly T[]): T | undefined {
    const v = o[key];
    if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
    this.problems.push(`${path}.${key}: must be one of ${values.join(', ')} (got ${JSON.stringify(v)})`);
    return undefined;
  }

  array(o: Obj, key: string, path: string): unknown[] {
    const v = o[key];
    const where = path ? `${path}.${key}` : key;
    if (!Array.isArray(v) || v.length === 0) {
      this.problems.push(`${where}: must be a non-empty array`);
      return [];
    }
    return v;
  }
}

function readQuery(r: Reader, v: unknown, path: string): PanelQuery | undefined {
  const o = r.object(v, path, ['expr', 'legend']);
  if (!o) return undefined;
  const expr = r.string(o, 'expr', path);
  const legend = r.string(o, 'legend', path, { optional: true });
  if (expr === undefined) return undefined;
  return legend === undefined ? { expr } : { expr, legend };
}

function readPanel(r: Reader, v: unknown, path: string): Panel | undefined {
  const o = r.object(v, path, ['title', 'kind', 'unit', 'queries', 'description', 'width']);
  if (!o) return undefined;
  const title = r.string(o, 'title', path);
  const kind = r.oneOf(o, 'kind', path, PANEL_KINDS);
  const unit = r.oneOf(o, 'unit', path, PANEL_UNITS);
  const description = r.string(o, 'description', path, { optional: true });
  const queries = r.array(o, 'queries', path).map((q, i) => readQuery(r, q, `${path}.queries[${i}]`));
  let width: number | undefined;
  if (o.width !== undefined) {
    if (typeof o.width === 'number' && Number.isInteger(o.width) && o.width >= 1 && o.width <= 24) width = o.width;
    else r.problems.push(`${path}.width: must be an integer from 1 to 24 (got ${JSON.stringify(o.width)})`);
  }
  if (title === undefined || kind === undefined || unit === undefined || queries.some((q) => q === undefined)) return undefined;
  const panel: Panel = { title, kind, unit, queries: queries.filter((q): q is PanelQuery => q !== undefined) };
  if (description !== undefined) panel.description = description;
  if (width !== undefined) panel.width = width;
  return panel;
}

function readRow(r: Reader, v: unknown, path: string): DashboardRow | undefined {
  const o = r.object(v, path, ['title', 'description', 'panels']);
  if (!o) return undefined;
  const title = r.string(o, 'title', path);
  const description = r.string(o, 'description', path, { optional: true });
  const panels = r.array(o, 'panels', path).map((p, i) => readPanel(r, p, `${path}.panels[${i}]`));
  if (title === undefined || panels.some((p) => p === undefined)) return undefined;
  const row: DashboardRow = { title, panels: panels.filter((p): p is Panel => p !== undefined) };
  if (description !== undefined) row.description = description;
  return row;
}

/**
 * Checks a parsed dashboard file and returns it typed, or throws {@link DashboardFileError}
 * listing every problem (not only the first). `source` names the file in messages.
 */
export function parseDashboard(json: unknown, source: string): Dashboard {
  const r = new Reader();
  const o = r.object(json, '', ['$comment', 'title', 'description', 'time', 'refresh', 'rows']);
  if (!o) throw new DashboardFileError(source, r.problems);
  const title = r.string(o, 'title', '');
  const description = r.string(o, 'description', '', { optional: true });
  const time = r.string(o, 'time', '', { pattern: DURATION, hint: 'a Prometheus duration such as 1h or 30m' });
  const refresh = r.string(o, 'refresh', '', { pattern: /^(off|(\d+[smhd])+)$/, hint: 'off or a duration such as 30s' });
  const rows = r.array(o, 'rows', '').map((row, i) => readRow(r, row, `rows[${i}]`));
  if (r.problems.length > 0 || title === undefined || time === undefined || refresh === undefined)
    throw new DashboardFileError(source, r.problems);
  const dashboard: Dashboard = { title, time, refresh, rows: rows.filter((row): row is DashboardRow => row !== undefined) };
  if (description !== undefined) dashboard.description = description;
  return dashboard;
}

/** Grafana-style widths for a row: each panel's `width`, the rest of 24 shared equally (at least 6). */
export function panelWidths(row: DashboardRow): number[] {
  const fixed = row.panels.reduce((sum, p) => sum + (p.width ?? 0), 0);
  const free = row.panels.filter((p) => p.width === undefined).length;
  const share = free === 0 ? 0 : Math.max(6, Math.floor(Math.max(24 - fixed, 0) / free) || 24);
  return row.panels.map((p) => p.width ?? Math.min(share, 24));
}
