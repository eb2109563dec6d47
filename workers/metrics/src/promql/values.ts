/**
 * The values PromQL evaluates to at one evaluation instant, and the label-set helpers the engine
 * shares (signatures, dropping `__name__`).
 */

/** A label set. */
export type Labels = Record<string, string>;

/** An instant-vector element. `ts` is the sample's own timestamp when it comes straight from a selector. */
export interface Sample {
  metric: Labels;
  value: number;
  ts?: number;
}

/** One series of a range vector: timestamps (ms) and values, oldest first. */
export interface RangeSeries {
  metric: Labels;
  /** Views into the loaded samples where the window holds no staleness marker (no copy per step). */
  t: Float64Array;
  v: Float64Array;
}

/** A value at one evaluation instant. */
export type Value =
  | { type: 'scalar'; value: number }
  | { type: 'string'; value: string }
  | { type: 'vector'; samples: Sample[] }
  | { type: 'matrix'; series: RangeSeries[]; rangeStart: number; rangeEnd: number; rangeMs: number };

/** An evaluation error Prometheus answers with 422 `execution`. */
export class EvalError extends Error {}

/** A query past its timeout: 503 `timeout`. */
export class QueryTimeoutError extends Error {
  constructor() {
    super('query timed out in expression evaluation');
  }
}

/** Too many samples in memory: 422 `execution`, as Prometheus's --query.max-samples. */
export class TooManySamplesInQueryError extends EvalError {
  constructor() {
    super('query processing would load too many samples into memory in query execution');
  }
}

const SEP = '\xff';

// Label sets are shared between steps (a selector's series keep their object; dropName and grouping are
// memoised per input object), so keys are computed once per label set, not once per sample and step.
const keys = new WeakMap<Labels, string>();
const signatures = new WeakMap<Labels, Map<string, string>>();
const withoutName = new WeakMap<Labels, Labels>();

/** A key of the whole label set (every label, `__name__` included). */
export function labelsKey(metric: Labels): string {
  const cached = keys.get(metric);
  if (cached !== undefined) return cached;
  const names = Object.keys(metric).sort();
  let key = '';
  for (const n of names) key += n + SEP + metric[n] + SEP;
  keys.set(metric, key);
  return key;
}

/**
 * A key of the labels that vector matching and grouping compare: with `on`, only `names`; without,
 * every label except `names` and `__name__` (Prometheus's signatureFunc).
 */
export function signature(metric: Labels, on: boolean, names: readonly string[]): string {
  return perLabels(signatures, metric, (on ? 'on' : 'ignoring') + SEP + names.join(SEP), () => computeSignature(metric, on, names));
}

/** A value derived from a label set and a spec string, computed once per (label set, spec). */
export function perLabels<T>(cache: WeakMap<Labels, Map<string, T>>, metric: Labels, spec: string, compute: () => T): T {
  let perMetric = cache.get(metric);
  if (perMetric === undefined) {
    perMetric = new Map();
    cache.set(metric, perMetric);
  }
  let value = perMetric.get(spec);
  if (value === undefined) {
    value = compute();
    perMetric.set(spec, value);
  }
  return value;
}

function computeSignature(metric: Labels, on: boolean, names: readonly string[]): string {
  let key = '';
  if (on) {
    for (const n of [...names].sort()) {
      const v = metric[n];
      if (v !== undefined && v !== '') key += n + SEP + v + SEP;
    }
    return key;
  }
  const skip = new Set(names);
  for (const n of Object.keys(metric).sort()) {
    if (n === '__name__' || skip.has(n)) continue;
    key += n + SEP + metric[n] + SEP;
  }
  return key;
}

/** The label set without `__name__` (the same object when it has none). */
export function dropName(metric: Labels): Labels {
  if (!('__name__' in metric)) return metric;
  const cached = withoutName.get(metric);
  if (cached !== undefined) return cached;
  const out: Labels = { ...metric };
  delete out.__name__;
  withoutName.set(metric, out);
  return out;
}

/** Prometheus's check after every function, operator and aggregation step. */
export function assertUniqueLabelSets(samples: readonly Sample[]): void {
  if (samples.length < 2) return;
  const seen = new Set<string>();
  for (const s of samples) {
    const k = labelsKey(s.metric);
    if (seen.has(k)) throw new EvalError('vector cannot contain metrics with the same labelset');
    seen.add(k);
  }
}
