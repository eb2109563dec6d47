/**
 * Compares two Prometheus HTTP API answers the way the oracle judges them: same status and errorType for
 * errors (messages may differ), same resultType, label sets exactly, timestamps exactly, values to a relative
 * 1e-6 with NaN equal to NaN and ±Inf equal to itself. Vectors and matrices are compared as sets of series
 * unless `ordered` (sort, sort_desc), where Prometheus's order is part of the answer.
 */

/** One request to `<url>/api/v1/<path>`: its status and JSON body (a body that is not JSON, kept as an error). */
export async function ask(url: string, path: string, init?: RequestInit): Promise<ApiAnswer> {
  const r = await fetch(`${url}/api/v1/${path}`, init);
  const text = await r.text();
  try {
    return { status: r.status, body: JSON.parse(text) };
  } catch {
    return { status: r.status, body: { status: 'not json', error: text.slice(0, 200) } };
  }
}

/** One HTTP answer of /api/v1/*. */
export interface ApiAnswer {
  status: number;
  body: unknown;
}

type Point = [number, string];
interface SeriesOut {
  metric: Record<string, string>;
  value?: Point;
  values?: Point[];
}
interface Envelope {
  status?: string;
  errorType?: string;
  error?: string;
  data?: unknown;
}

/** Relative tolerance for values. */
const REL = 1e-6;

/** A value as Prometheus prints it ("+Inf", "-Inf", "NaN", Go's float format). */
function promNumber(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** Two sample values as Prometheus prints them ("NaN", "+Inf", "-Inf", decimals) are equal to the tolerance. */
export function sameValue(a: string, b: string): boolean {
  if (a === b) return true;
  const x = promNumber(a);
  const y = promNumber(b);
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) && Number.isNaN(y);
  if (!Number.isFinite(x) || !Number.isFinite(y)) return x === y;
  const scale = Math.max(Math.abs(x), Math.abs(y));
  return Math.abs(x - y) <= REL * scale || Math.abs(x - y) < 1e-12;
}

const labelKey = (m: Record<string, string>): string =>
  JSON.stringify(
    Object.keys(m)
      .sort()
      .map((k) => [k, m[k]]),
  );

function samePoint(a: Point, b: Point): string | undefined {
  if (a[0] !== b[0]) return `timestamp ${a[0]} vs ${b[0]}`;
  if (!sameValue(a[1], b[1])) return `value at ${a[0]}: ${a[1]} vs ${b[1]}`;
  return undefined;
}

function compareSeries(ours: SeriesOut[], theirs: SeriesOut[], ordered: boolean): string | undefined {
  const a = ordered ? ours : [...ours].sort((x, y) => labelKey(x.metric).localeCompare(labelKey(y.metric)));
  const b = ordered ? theirs : [...theirs].sort((x, y) => labelKey(x.metric).localeCompare(labelKey(y.metric)));
  const keysA = a.map((s) => labelKey(s.metric));
  const keysB = b.map((s) => labelKey(s.metric));
  if (keysA.join('\n') !== keysB.join('\n')) {
    const onlyA = keysA.filter((k) => !keysB.includes(k));
    const onlyB = keysB.filter((k) => !keysA.includes(k));
    if (onlyA.length === 0 && onlyB.length === 0) return `series order differs`;
    return `series differ: ${a.length} vs ${b.length}; only pushpull ${onlyA.slice(0, 3).join(' ')}; only Prometheus ${onlyB
      .slice(0, 3)
      .join(' ')}`;
  }
  for (let i = 0; i < a.length; i++) {
    const where = keysA[i];
    if (a[i].value && b[i].value) {
      const d = samePoint(a[i].value as Point, b[i].value as Point);
      if (d) return `${where}: ${d}`;
    } else if (a[i].values && b[i].values) {
      const va = a[i].values as Point[];
      const vb = b[i].values as Point[];
      if (va.length !== vb.length) {
        const ta = new Set(va.map((p) => p[0]));
        const missing = vb.find((p) => !ta.has(p[0]));
        const extra = va.find((p) => !vb.some((q) => q[0] === p[0]));
        return `${where}: ${va.length} vs ${vb.length} points (first missing ${missing?.[0]}, first extra ${extra?.[0]})`;
      }
      for (let j = 0; j < va.length; j++) {
        const d = samePoint(va[j], vb[j]);
        if (d) return `${where}: ${d}`;
      }
    } else return `${where}: sample shape differs`;
  }
  return undefined;
}

/** The first difference between pushpull's answer and Prometheus's, or undefined when they agree. */
export function difference(ours: ApiAnswer, theirs: ApiAnswer, ordered = false): string | undefined {
  const a = ours.body as Envelope;
  const b = theirs.body as Envelope;
  if (a.status !== b.status || ours.status !== theirs.status) {
    const show = (x: ApiAnswer, e: Envelope): string => `${x.status} ${e.status}${e.error ? ` ${e.errorType}: ${e.error}` : ''}`;
    return `status: ${show(ours, a)} vs ${show(theirs, b)}`;
  }
  if (b.status === 'error') return a.errorType === b.errorType ? undefined : `errorType ${a.errorType} vs ${b.errorType} (${b.error})`;
  const da = a.data as { resultType?: string; result?: unknown };
  const db = b.data as { resultType?: string; result?: unknown };
  if (da?.resultType === undefined || db?.resultType === undefined) return deepDifference(a.data, b.data);
  if (da.resultType !== db.resultType) return `resultType ${da.resultType} vs ${db.resultType}`;
  if (db.resultType === 'scalar' || db.resultType === 'string') {
    const pa = da.result as Point;
    const pb = db.result as Point;
    return db.resultType === 'string'
      ? pa[0] === pb[0] && pa[1] === pb[1]
        ? undefined
        : `${JSON.stringify(pa)} vs ${JSON.stringify(pb)}`
      : samePoint(pa, pb);
  }
  return compareSeries(da.result as SeriesOut[], db.result as SeriesOut[], ordered);
}

/** Plain JSON data (label names, label values, series lists): equal as JSON, lists of objects as sets. */
function deepDifference(a: unknown, b: unknown): string | undefined {
  const norm = (x: unknown): string => {
    if (Array.isArray(x) && x.every((e) => e !== null && typeof e === 'object' && !Array.isArray(e)))
      return JSON.stringify(x.map((e) => labelKey(e as Record<string, string>)).sort());
    return JSON.stringify(x);
  };
  const na = norm(a);
  const nb = norm(b);
  return na === nb ? undefined : `data ${na.slice(0, 300)} vs ${nb.slice(0, 300)}`;
}
