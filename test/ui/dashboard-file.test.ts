import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DashboardFileError, panelWidths, parseDashboard, type DashboardRow } from '../../workers/metrics/src/dashboards/dashboard-file';
import { DASHBOARDS, DASHBOARD_FILES } from '../../workers/metrics/src/dashboards/registry';
import { root } from '../support/dev-worker';

const minimal = (): Record<string, unknown> => ({
  title: 't',
  time: '1h',
  refresh: '30s',
  rows: [{ title: 'r', panels: [{ title: 'p', kind: 'line', unit: 'short', queries: [{ expr: 'up' }] }] }],
});

function problems(json: unknown): string[] {
  try {
    parseDashboard(json, 'x.json');
  } catch (err) {
    if (err instanceof DashboardFileError) return err.problems;
    throw err;
  }
  return [];
}

describe('dashboard files', () => {
  it('registers every file of workers/metrics/dashboards/ and each one loads', () => {
    const files = readdirSync(join(root, 'workers/metrics/dashboards'))
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
      .sort();
    expect(Object.keys(DASHBOARD_FILES).sort()).toEqual(files);
    for (const d of DASHBOARDS) expect('error' in d ? d.error.message : 'loaded', d.name).toBe('loaded');
  });

  it('reads a minimal file as typed data', () => {
    expect(parseDashboard(minimal(), 'x.json')).toEqual(minimal());
  });

  it('names every problem by its path in the file, not only the first', () => {
    const bad = minimal();
    bad.time = 'an hour';
    bad.colour = 'red';
    bad.rows = [
      {
        title: 'r',
        panels: [
          { title: 'p', kind: 'pie', unit: 'short', queries: [{ expr: 'up' }] },
          { title: '', kind: 'line', unit: 'furlongs', queries: [], width: 30 },
          { title: 'q', kind: 'stat', unit: 'bytes', queries: [{ expr: 'up', legend: 3 }] },
        ],
      },
    ];
    const found = problems(bad);
    expect(found).toEqual(
      expect.arrayContaining([
        'colour: unknown field (expected one of $comment, title, description, time, refresh, rows)',
        'time: "an hour" is not a Prometheus duration such as 1h or 30m',
        'rows[0].panels[0].kind: must be one of line, stacked-area, stat, table (got "pie")',
        'rows[0].panels[1].title: must be a non-empty string',
        'rows[0].panels[1].unit: must be one of short, percentunit, bytes, Bps, reqps, ops, s, none (got "furlongs")',
        'rows[0].panels[1].queries: must be a non-empty array',
        'rows[0].panels[1].width: must be an integer from 1 to 24 (got 30)',
        'rows[0].panels[2].queries[0].legend: must be a non-empty string',
      ]),
    );
    expect(found).toHaveLength(8);
    expect(() => parseDashboard(bad, 'workers/metrics/dashboards/x.json')).toThrow(
      /^workers\/metrics\/dashboards\/x\.json: colour: unknown field/,
    );
  });

  it('refuses what is not an object, rows that are not an array, and a missing refresh', () => {
    expect(problems([])).toEqual(['(top level): must be an object']);
    expect(problems({ ...minimal(), rows: {} })).toEqual(['rows: must be a non-empty array']);
    const noRefresh = minimal();
    delete noRefresh.refresh;
    expect(problems(noRefresh)).toEqual(['refresh: must be a non-empty string']);
    expect(problems({ ...minimal(), refresh: 'off' })).toEqual([]);
  });

  it("shares a row's 24 columns among the panels without a width, at least 6 each", () => {
    const row = (widths: (number | undefined)[]): DashboardRow => ({
      title: 'r',
      panels: widths.map((w) => ({
        title: 'p',
        kind: 'line',
        unit: 'short',
        queries: [{ expr: 'up' }],
        ...(w === undefined ? {} : { width: w }),
      })),
    });
    expect(panelWidths(row([undefined]))).toEqual([24]);
    expect(panelWidths(row([undefined, undefined, undefined]))).toEqual([8, 8, 8]);
    expect(panelWidths(row([12, undefined, undefined]))).toEqual([12, 6, 6]);
    expect(panelWidths(row(Array.from({ length: 7 }, () => undefined)))).toEqual(Array.from({ length: 7 }, () => 6));
  });
});
