/**
 * Prometheus's duration syntax, as `model.ParseDuration` and `Duration.String` of
 * prometheus/common read and print it (`1h30m`, `15s`, `500ms`; units y w d h m s ms, largest
 * first, each at most once; `0` alone is zero). The one parser of pushpull: the scraper's
 * `scrape_interval`/`scrape_timeout` and the metrics Worker's query API read durations here.
 * (The PromQL engine in packages/promql lexes duration literals in its own parser.)
 */

const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Duration units in DURATION_RE's group order: [ms, suffix]. */
const UNITS: readonly (readonly [number, string])[] = [
  [365 * 86_400_000, 'y'],
  [7 * 86_400_000, 'w'],
  [86_400_000, 'd'],
  [3_600_000, 'h'],
  [60_000, 'm'],
  [1000, 's'],
  [1, 'ms'],
];

/**
 * The longest duration Prometheus holds: a Go time.Duration is int64 nanoseconds, so 2^63 − 1 ns,
 * i.e. `106751d23h47m16s854ms` (`292y` fits, `293y` is "duration out of range").
 */
export const MAX_PROM_DURATION_MS = 9_223_372_036_854;

/** Whether the text is written as a duration, whatever its size (to tell "out of range" from bad syntax). */
export function isPromDurationSyntax(text: string): boolean {
  return text !== '' && DURATION_RE.test(text);
}

/** Parses a Prometheus duration into milliseconds; undefined when the text is not one (or out of range). */
export function parsePromDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (text === '') return undefined;
  const m = DURATION_RE.exec(text);
  if (m === null) return undefined;
  let ms = 0;
  for (let k = 0; k < UNITS.length; k++) {
    const digits = m[k + 1];
    if (digits !== undefined) ms += Number(digits) * UNITS[k][0];
  }
  return ms > MAX_PROM_DURATION_MS ? undefined : ms;
}

/** Formats milliseconds as Prometheus prints durations (`15s`, `1m`, `1m30s`, `500ms`, `0s`). */
export function formatPromDuration(ms: number): string {
  if (ms === 0) return '0s';
  let out = '';
  let rest = ms;
  for (const [size, unit] of UNITS) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}
