/**
 * The dashboards the metrics Worker serves: every file in workers/metrics/dashboards/, bundled
 * into the Worker (a test checks that each file there is listed here). A file that does not
 * load is kept with its problems, so its page says what is wrong instead of the Worker failing.
 */
import pushpull from '../../dashboards/pushpull.json';
import { DashboardFileError, parseDashboard, type Dashboard } from './dashboard-file';

/** The raw files by name (the file name without `.json`). */
export const DASHBOARD_FILES: Readonly<Record<string, unknown>> = { pushpull };

/** A dashboard by name: loaded, or the problems that kept it from loading. */
export type LoadedDashboard = { name: string; dashboard: Dashboard } | { name: string; error: DashboardFileError };

function load(name: string, json: unknown): LoadedDashboard {
  try {
    return { name, dashboard: parseDashboard(json, `workers/metrics/dashboards/${name}.json`) };
  } catch (err) {
    if (err instanceof DashboardFileError) return { name, error: err };
    throw err;
  }
}

/** Every dashboard, sorted by name. */
export const DASHBOARDS: readonly LoadedDashboard[] = Object.entries(DASHBOARD_FILES)
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([name, json]) => load(name, json));

/** The dashboard named `name`, or undefined. */
export function findDashboard(name: string): LoadedDashboard | undefined {
  return DASHBOARDS.find((d) => d.name === name);
}
