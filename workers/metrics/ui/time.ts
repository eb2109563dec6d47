/** Durations and time ranges as Prometheus writes them (`1h30m`, `15s`), and query steps. */

const UNITS: [string, number][] = [
  ['y', 365 * 86_400_000],
  ['w', 7 * 86_400_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** Milliseconds of a Prometheus duration (`1h30m`), or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  const re = /(\d+)(ms|y|w|d|h|m|s)/gy;
  let ms = 0;
  let at = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    const unit = UNITS.find(([u]) => u === m[2]);
    if (!unit) return undefined;
    ms += Number(m[1]) * unit[1];
    at = re.lastIndex;
  }
  return at === s.length && ms > 0 ? ms : undefined;
}

/** A Prometheus duration for `ms` (`90m` → `1h30m`). */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of UNITS) {
    if (unit === 'y' || unit === 'w') continue;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

/** The range choices offered next to the free-form range input. */
export const RANGE_CHOICES = ['5m', '15m', '30m', '1h', '3h', '6h', '12h', '1d', '2d', '1w'];

/**
 * The step Prometheus's UI picks for a range (its "auto" resolution): about 250 points,
 * at least 1 s, in whole seconds.
 */
export function autoStepSeconds(rangeMs: number): number {
  return Math.max(Math.floor(rangeMs / 250 / 1000), 1);
}

/** `2026-01-02 03:04:05` (UTC), as Prometheus's UI writes end times in its URLs. */
export function formatUtc(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '');
}

/** Parses {@link formatUtc}'s form (or any ISO date); undefined when it is not a time. */
export function parseUtc(text: string): number | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  const iso = /^\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?$/.test(s) ? `${s.replace(' ', 'T')}Z` : s;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}
