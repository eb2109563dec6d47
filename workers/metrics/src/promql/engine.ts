/**
 * The PromQL evaluator (pure: no bindings; the samples come through {@link Storage}).
 *
 * A query is evaluated as Prometheus 3.x evaluates it for float samples: first every selector's
 * samples are loaded once, each over the widest window the query needs of it (range, offset, `@`,
 * lookback, subqueries), then the expression is evaluated at each instant (`start + k·step`), range
 * windows left-open `(t - range, t]`, the lookback `(t - 5m, t]`, staleness markers ending a series.
 */
import type { SeriesBatch } from '@pushpull/contracts/metrics';
import type { LabelMatcher } from '../selector';
import { COMPARISON_OPS, SET_OPS, type AggregateOp, type AtModifier, type BinaryOp, type Expr, type VectorMatching } from './ast';
import { byValue, callFunction, kahanSum, maxOf, mean, minOf, quantile, variance } from './functions';
import { typeOf } from './parse';
import { stepCount } from '../evaluate';
import { formatPromValue } from '../sample-value';
import {
  assertUniqueLabelSets,
  dropName,
  EvalError,
  labelsKey,
  perLabels,
  QueryTimeoutError,
  signature,
  TooManySamplesInQueryError,
  type Labels,
  type RangeSeries,
  type Sample,
  type Value,
} from './values';

/** Where the engine reads samples: the series matching `matchers` with their samples in (afterMs, untilMs]. */
export interface Storage {
  select(matchers: LabelMatcher[], afterMs: number, untilMs: number): Promise<SeriesBatch[]>;
}

/** Engine settings. */
export interface EngineOptions {
  /** Prometheus's --query.lookback-delta (5 min). */
  lookbackMs: number;
  /** Prometheus's --query.max-samples: points one query may hold (loaded samples and output points). */
  maxSamples: number;
  /** The step of a subquery written without one (Prometheus's global evaluation_interval, 1 min). */
  defaultSubqueryStepMs: number;
  /** Wall-clock deadline (ms since the epoch) after which evaluation stops with a timeout. */
  deadline: number;
}

/** A selector's samples, ready for lookups. */
interface Loaded {
  labels: Labels;
  t: Float64Array;
  v: Float64Array;
  stale: Uint8Array | undefined;
}

/** One point of an API answer: [seconds, "value"]. */
type Point = [number, string];

/** The answer of a query, shaped as Prometheus's API `data`. */
export type QueryResult =
  | { resultType: 'scalar' | 'string'; result: [number, string] }
  | { resultType: 'vector'; result: Array<{ metric: Labels; value: Point }> }
  | { resultType: 'matrix'; result: Array<{ metric: Labels; values: Point[] }> };

type SelectorRef = Extract<Expr, { kind: 'vector' }>;

class Evaluator {
  readonly data = new Map<SelectorRef, Loaded[]>();
  private checks = 0;

  constructor(
    readonly options: EngineOptions,
    readonly start: number,
    readonly end: number,
  ) {}

  resolveAt(at: AtModifier | undefined): number | undefined {
    if (at === undefined) return undefined;
    if (at === 'start') return this.start;
    if (at === 'end') return this.end;
    return at;
  }

  /** Collects, for every selector, the window of samples the query needs of it, evaluated at [lo, hi]. */
  windows(e: Expr, lo: number, hi: number, out: Map<SelectorRef, [number, number]>): void {
    switch (e.kind) {
      case 'vector':
      case 'matrix': {
        const sel = e.kind === 'vector' ? e : e.vector;
        const at = this.resolveAt(sel.at);
        const back = e.kind === 'vector' ? this.options.lookbackMs : e.rangeMs;
        const from = (at ?? lo) - sel.offsetMs - back;
        const to = (at ?? hi) - sel.offsetMs;
        const prev = out.get(sel);
        out.set(sel, prev ? [Math.min(prev[0], from), Math.max(prev[1], to)] : [from, to]);
        return;
      }
      case 'subquery': {
        const at = this.resolveAt(e.at);
        this.windows(e.expr, (at ?? lo) - e.offsetMs - e.rangeMs, (at ?? hi) - e.offsetMs, out);
        return;
      }
      case 'paren':
      case 'unary':
        this.windows(e.expr, lo, hi, out);
        return;
      case 'binary':
        this.windows(e.lhs, lo, hi, out);
        this.windows(e.rhs, lo, hi, out);
        return;
      case 'call':
        for (const a of e.args) this.windows(a, lo, hi, out);
        return;
      case 'aggregate':
        if (e.param) this.windows(e.param, lo, hi, out);
        this.windows(e.expr, lo, hi, out);
        return;
      default:
        return;
    }
  }

  async load(e: Expr, storage: Storage): Promise<void> {
    const windows = new Map<SelectorRef, [number, number]>();
    this.windows(e, this.start, this.end, windows);
    let total = 0;
    await Promise.all(
      [...windows].map(async ([sel, [from, to]]) => {
        const batches = await storage.select(sel.matchers, from, to);
        const loaded: Loaded[] = [];
        for (const b of batches) {
          total += b.timestamps.length;
          let stale: Uint8Array | undefined;
          if (b.staleAt?.length) {
            stale = new Uint8Array(b.timestamps.length);
            for (const i of b.staleAt) stale[i] = 1;
          }
          loaded.push({ labels: b.labels, t: Float64Array.from(b.timestamps), v: Float64Array.from(b.values), stale });
        }
        this.data.set(sel, loaded);
      }),
    );
    if (total > this.options.maxSamples) throw new TooManySamplesInQueryError();
  }

  private tick(): void {
    if ((++this.checks & 1023) === 0 && Date.now() > this.options.deadline) throw new QueryTimeoutError();
  }

  eval(e: Expr, t: number): Value {
    this.tick();
    switch (e.kind) {
      case 'number':
        return { type: 'scalar', value: e.value };
      case 'string':
        return { type: 'string', value: e.value };
      case 'paren':
        return this.eval(e.expr, t);
      case 'vector':
        return { type: 'vector', samples: this.instant(e, t) };
      case 'matrix': {
        const at = this.resolveAt(e.vector.at);
        const end = (at ?? t) - e.vector.offsetMs;
        return {
          type: 'matrix',
          series: this.range(e.vector, end, e.rangeMs),
          rangeStart: end - e.rangeMs,
          rangeEnd: end,
          rangeMs: e.rangeMs,
        };
      }
      case 'subquery':
        return this.subquery(e, t);
      case 'unary': {
        const v = this.eval(e.expr, t);
        if (e.op === '+') return v;
        if (v.type === 'scalar') return { type: 'scalar', value: -v.value };
        const samples = (v as Extract<Value, { type: 'vector' }>).samples.map((s) => ({ metric: dropName(s.metric), value: -s.value }));
        assertUniqueLabelSets(samples);
        return { type: 'vector', samples };
      }
      case 'binary':
        return this.binary(e, t);
      case 'call': {
        const args = e.args.map((a) => this.eval(a, t));
        if (e.name === 'timestamp') {
          // Prometheus takes a selector's own sample timestamps here (every other path stamps samples with t).
          let arg = e.args[0];
          while (arg.kind === 'paren') arg = arg.expr;
          if (arg.kind !== 'vector' && args[0].type === 'vector')
            args[0] = { type: 'vector', samples: args[0].samples.map((s) => ({ ...s, ts: t })) };
        }
        const out = callFunction(e.name, args, { t, argExprs: e.args });
        if (out.type === 'vector') assertUniqueLabelSets(out.samples);
        return out;
      }
      case 'aggregate':
        return this.aggregate(e, t);
    }
  }

  /** The newest sample of each series in (T - lookback, T], unless it is a staleness marker. */
  private instant(sel: SelectorRef, t: number): Sample[] {
    const at = this.resolveAt(sel.at);
    const end = (at ?? t) - sel.offsetMs;
    const from = end - this.options.lookbackMs;
    const out: Sample[] = [];
    for (const s of this.data.get(sel) ?? []) {
      const i = lastAtOrBefore(s.t, end);
      if (i < 0 || s.t[i] <= from || s.stale?.[i] === 1) continue;
      out.push({ metric: s.labels, value: s.v[i], ts: s.t[i] });
    }
    return out;
  }

  /** Each series' samples in (end - range, end], staleness markers dropped. */
  private range(sel: SelectorRef, end: number, rangeMs: number): RangeSeries[] {
    const out: RangeSeries[] = [];
    let points = 0;
    for (const s of this.data.get(sel) ?? []) {
      const hi = lastAtOrBefore(s.t, end) + 1;
      const lo = lastAtOrBefore(s.t, end - rangeMs) + 1;
      if (hi <= lo) continue;
      let t = s.t.subarray(lo, hi);
      let v = s.v.subarray(lo, hi);
      if (s.stale !== undefined && s.stale.subarray(lo, hi).includes(1)) {
        const keep: number[] = [];
        for (let i = lo; i < hi; i++) if (s.stale[i] !== 1) keep.push(i);
        if (keep.length === 0) continue;
        t = Float64Array.from(keep, (i) => s.t[i]);
        v = Float64Array.from(keep, (i) => s.v[i]);
      }
      points += t.length;
      out.push({ metric: s.labels, t, v });
    }
    if (points > this.options.maxSamples) throw new TooManySamplesInQueryError();
    return out;
  }

  private subquery(e: Extract<Expr, { kind: 'subquery' }>, t: number): Value {
    const at = this.resolveAt(e.at);
    const end = (at ?? t) - e.offsetMs;
    const step = e.stepMs ?? this.options.defaultSubqueryStepMs;
    const from = end - e.rangeMs;
    // The first multiple of the step after the window's (open) start, as Prometheus aligns subqueries.
    let s = Math.floor(from / step) * step;
    if (s <= from) s += step;
    const bySeries = new Map<string, { metric: Labels; t: number[]; v: number[] }>();
    let points = 0;
    for (; s <= end; s += step) {
      const v = this.eval(e.expr, s);
      const samples = v.type === 'scalar' ? [{ metric: {}, value: v.value }] : v.type === 'vector' ? v.samples : [];
      for (const x of samples) {
        const key = labelsKey(x.metric);
        let series = bySeries.get(key);
        if (series === undefined) {
          series = { metric: x.metric, t: [], v: [] };
          bySeries.set(key, series);
        }
        series.t.push(s);
        series.v.push(x.value);
        if (++points > this.options.maxSamples) throw new TooManySamplesInQueryError();
      }
    }
    const series = [...bySeries.values()].map((x) => ({ metric: x.metric, t: Float64Array.from(x.t), v: Float64Array.from(x.v) }));
    return { type: 'matrix', series, rangeStart: from, rangeEnd: end, rangeMs: e.rangeMs };
  }

  private binary(e: Extract<Expr, { kind: 'binary' }>, t: number): Value {
    const lhs = this.eval(e.lhs, t);
    const rhs = this.eval(e.rhs, t);
    if (lhs.type === 'scalar' && rhs.type === 'scalar') {
      const [value, keep] = scalarOp(e.op, lhs.value, rhs.value);
      return { type: 'scalar', value: e.bool ? (keep ? 1 : 0) : value };
    }
    if (lhs.type === 'vector' && rhs.type === 'vector') {
      const matching: VectorMatching = e.matching ?? {
        card: SET_OPS.has(e.op) ? 'many-to-many' : 'one-to-one',
        on: false,
        labels: [],
        include: [],
      };
      if (e.op === 'and') return { type: 'vector', samples: andOp(lhs.samples, rhs.samples, matching) };
      if (e.op === 'or') return { type: 'vector', samples: orOp(lhs.samples, rhs.samples, matching) };
      if (e.op === 'unless') return { type: 'vector', samples: unlessOp(lhs.samples, rhs.samples, matching) };
      return { type: 'vector', samples: vectorOp(e.op, lhs.samples, rhs.samples, matching, e.bool) };
    }
    // A vector and a scalar.
    const scalarLeft = lhs.type === 'scalar';
    const vector = (scalarLeft ? rhs : lhs) as Extract<Value, { type: 'vector' }>;
    const scalar = (scalarLeft ? lhs : rhs) as Extract<Value, { type: 'scalar' }>;
    const out: Sample[] = [];
    const comparison = COMPARISON_OPS.has(e.op);
    for (const s of vector.samples) {
      const [l, r] = scalarLeft ? [scalar.value, s.value] : [s.value, scalar.value];
      let [value, keep] = scalarOp(e.op, l, r);
      if (comparison && scalarLeft) value = r;
      if (e.bool) {
        value = keep ? 1 : 0;
        keep = true;
      }
      if (!keep) continue;
      out.push({ metric: DROPS_NAME.has(e.op) || e.bool ? dropName(s.metric) : s.metric, value });
    }
    assertUniqueLabelSets(out);
    return { type: 'vector', samples: out };
  }

  private aggregate(e: Extract<Expr, { kind: 'aggregate' }>, t: number): Value {
    const input = (this.eval(e.expr, t) as Extract<Value, { type: 'vector' }>).samples;
    const param = e.param ? this.eval(e.param, t) : undefined;
    return { type: 'vector', samples: aggregate(e.op, input, e.grouping, e.without, param) };
  }
}

/** Operators whose result drops `__name__` (Prometheus's shouldDropMetricName: arithmetic, atan2 excepted). */
const DROPS_NAME: ReadonlySet<BinaryOp> = new Set(['+', '-', '*', '/', '%', '^']);

/**
 * topk/bottomk's selection as Prometheus makes it: a binary heap (Go's container/heap) of the k best so
 * far, a sample replacing the heap's root only when strictly better, so that ties resolve as there.
 */
function selectK(samples: readonly Sample[], k: number, top: boolean): Sample[] {
  // The root is the worst kept sample: for topk the smallest (NaN smallest of all), for bottomk the largest.
  const less = (a: Sample, b: Sample): boolean => {
    if (Number.isNaN(a.value)) return true;
    return top ? a.value < b.value : a.value > b.value;
  };
  const heap: Sample[] = [];
  const up = (j: number): void => {
    for (;;) {
      const i = Math.floor((j - 1) / 2);
      if (i === j || j <= 0 || !less(heap[j], heap[i])) break;
      [heap[i], heap[j]] = [heap[j], heap[i]];
      j = i;
    }
  };
  const down = (i0: number): void => {
    let i = i0;
    const n = heap.length;
    for (;;) {
      const j1 = 2 * i + 1;
      if (j1 >= n) break;
      let j = j1;
      const j2 = j1 + 1;
      if (j2 < n && less(heap[j2], heap[j1])) j = j2;
      if (!less(heap[j], heap[i])) break;
      [heap[i], heap[j]] = [heap[j], heap[i]];
      i = j;
    }
  };
  for (const s of samples) {
    if (heap.length < k) {
      heap.push(s);
      up(heap.length - 1);
      continue;
    }
    const root = heap[0];
    const better = top
      ? root.value < s.value || (Number.isNaN(root.value) && !Number.isNaN(s.value))
      : root.value > s.value || (Number.isNaN(root.value) && !Number.isNaN(s.value));
    if (better) {
      heap[0] = s;
      down(0);
    }
  }
  return heap;
}

/** Index of the newest timestamp <= t (ascending), or -1. */
function lastAtOrBefore(ts: ArrayLike<number>, t: number): number {
  let lo = 0;
  let hi = ts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ts[mid] <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Go's math.Pow where it differs from JavaScript's (x^0 = 1 and 1^y = 1 for every y, (-1)^±Inf = 1). */
function pow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (x === -1 && !Number.isFinite(y) && !Number.isNaN(y)) return 1;
  return Math.pow(x, y);
}

/** One operation on two floats: [value, keep] (keep: a comparison's outcome; always true for arithmetic). */
function scalarOp(op: BinaryOp, l: number, r: number): [number, boolean] {
  switch (op) {
    case '+':
      return [l + r, true];
    case '-':
      return [l - r, true];
    case '*':
      return [l * r, true];
    case '/':
      return [l / r, true];
    case '%':
      return [l % r, true];
    case '^':
      return [pow(l, r), true];
    case 'atan2':
      return [Math.atan2(l, r), true];
    case '==':
      return [l, l === r];
    case '!=':
      return [l, l !== r];
    case '>':
      return [l, l > r];
    case '<':
      return [l, l < r];
    case '>=':
      return [l, l >= r];
    case '<=':
      return [l, l <= r];
    default:
      throw new EvalError(`operator ${JSON.stringify(op)} not allowed on scalars`);
  }
}

function sigOf(m: VectorMatching): (metric: Labels) => string {
  return (metric) => signature(metric, m.on, m.labels);
}

function andOp(lhs: Sample[], rhs: Sample[], m: VectorMatching): Sample[] {
  const sig = sigOf(m);
  const right = new Set(rhs.map((s) => sig(s.metric)));
  return lhs.filter((s) => right.has(sig(s.metric)));
}

function orOp(lhs: Sample[], rhs: Sample[], m: VectorMatching): Sample[] {
  const sig = sigOf(m);
  const left = new Set(lhs.map((s) => sig(s.metric)));
  return [...lhs, ...rhs.filter((s) => !left.has(sig(s.metric)))];
}

function unlessOp(lhs: Sample[], rhs: Sample[], m: VectorMatching): Sample[] {
  const sig = sigOf(m);
  const right = new Set(rhs.map((s) => sig(s.metric)));
  return lhs.filter((s) => !right.has(sig(s.metric)));
}

function describe(metric: Labels): string {
  return `{${Object.keys(metric)
    .sort()
    .map((k) => `${k}=${JSON.stringify(metric[k])}`)
    .join(', ')}}`;
}

/** The labels of a vector-matching result (Prometheus's resultMetric). */
function resultMetric(l: Labels, r: Labels, op: BinaryOp, m: VectorMatching, bool: boolean): Labels {
  let out: Labels = { ...l };
  if (DROPS_NAME.has(op) || bool) delete out.__name__;
  if (m.card === 'one-to-one') {
    if (m.on) {
      const keep = new Set(m.labels);
      out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)));
    } else for (const n of m.labels) delete out[n];
  }
  for (const n of m.include) {
    const v = r[n];
    if (v !== undefined && v !== '') out[n] = v;
    else delete out[n];
  }
  return out;
}

function vectorOp(op: BinaryOp, lhsIn: Sample[], rhsIn: Sample[], m: VectorMatching, bool: boolean): Sample[] {
  const sig = sigOf(m);
  const swap = m.card === 'one-to-many';
  const lhs = swap ? rhsIn : lhsIn;
  const rhs = swap ? lhsIn : rhsIn;
  // The "one" side: each signature must be unique.
  const right = new Map<string, Sample>();
  for (const s of rhs) {
    const k = sig(s.metric);
    const dup = right.get(k);
    if (dup !== undefined) {
      const side = swap ? 'left' : 'right';
      throw new EvalError(
        `found duplicate series for the match group ${describe(matchGroup(s.metric, m))} on the ${side} hand-side of the operation: ` +
          `[${describe(dup.metric)}, ${describe(s.metric)}];many-to-many matching not allowed: matching labels must be unique on one side`,
      );
    }
    right.set(k, s);
  }
  const matched = new Map<string, Labels>();
  const inserted = new Set<string>();
  const out: Sample[] = [];
  const comparison = COMPARISON_OPS.has(op);
  for (const ls of lhs) {
    const k = sig(ls.metric);
    const rs = right.get(k);
    if (rs === undefined) continue;
    if (m.card === 'one-to-one') {
      const seen = matched.get(k);
      if (seen !== undefined) {
        throw new EvalError(
          `found duplicate series for the match group ${describe(matchGroup(ls.metric, m))} on the left hand-side of the operation: ` +
            `[${describe(seen)}, ${describe(ls.metric)}];many-to-many matching not allowed: matching labels must be unique on one side`,
        );
      }
      matched.set(k, ls.metric);
    }
    const [l, r] = swap ? [rs.value, ls.value] : [ls.value, rs.value];
    let [value, keep] = scalarOp(op, l, r);
    if (bool) {
      value = keep ? 1 : 0;
      keep = true;
    } else if (comparison && swap) value = r;
    if (!keep) continue;
    const metric = resultMetric(ls.metric, rs.metric, op, m, bool);
    if (m.card !== 'one-to-one') {
      const key = labelsKey(metric);
      if (inserted.has(key)) throw new EvalError('multiple matches for labels: grouping labels must ensure unique matches');
      inserted.add(key);
    }
    out.push({ metric, value });
  }
  return out;
}

function matchGroup(metric: Labels, m: VectorMatching): Labels {
  if (m.on) return Object.fromEntries(m.labels.filter((n) => metric[n] !== undefined).map((n) => [n, metric[n]]));
  const out = dropName(metric) === metric ? { ...metric } : dropName(metric);
  for (const n of m.labels) delete out[n];
  return out;
}

const grouped = new WeakMap<Labels, Map<string, Labels>>();

/** The labels an aggregation keeps for a group (memoised per input label set, so that the group's key is too). */
function groupLabels(metric: Labels, grouping: readonly string[], without: boolean, spec = groupingSpec(grouping, without)): Labels {
  return perLabels(grouped, metric, spec, () => computeGroupLabels(metric, grouping, without));
}

function groupingSpec(grouping: readonly string[], without: boolean): string {
  return (without ? '-' : '+') + grouping.join('\xff');
}

function computeGroupLabels(metric: Labels, grouping: readonly string[], without: boolean): Labels {
  if (without) {
    const out: Labels = { ...metric };
    delete out.__name__;
    for (const n of grouping) delete out[n];
    return out;
  }
  const out: Labels = {};
  for (const n of grouping) if (metric[n] !== undefined && metric[n] !== '') out[n] = metric[n];
  return out;
}

function aggregate(op: AggregateOp, input: Sample[], grouping: string[], without: boolean, param: Value | undefined): Sample[] {
  if (op === 'count_values') {
    const label = (param as { value: string }).value;
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(label)) throw new EvalError(`invalid label name ${JSON.stringify(label)}`);
    const counts = new Map<string, Sample>();
    for (const s of input) {
      const metric = { ...groupLabels(s.metric, without ? [...grouping, label] : grouping.filter((g) => g !== label), without) };
      metric[label] = formatPromValue(s.value);
      const key = labelsKey(metric);
      const c = counts.get(key);
      if (c) c.value++;
      else counts.set(key, { metric, value: 1 });
    }
    return [...counts.values()];
  }
  const groups = new Map<string, { metric: Labels; samples: Sample[] }>();
  const spec = groupingSpec(grouping, without);
  for (const s of input) {
    const metric = groupLabels(s.metric, grouping, without, spec);
    const key = labelsKey(metric);
    const g = groups.get(key);
    if (g) g.samples.push(s);
    else groups.set(key, { metric, samples: [s] });
  }
  const out: Sample[] = [];
  for (const g of groups.values()) {
    const values = g.samples.map((s) => s.value);
    switch (op) {
      case 'topk':
      case 'bottomk': {
        const k = Math.trunc((param as { value: number }).value);
        if (!(k >= 1)) break;
        const kept = selectK(g.samples, k, op === 'topk').sort(byValue(op === 'topk'));
        for (const s of kept) out.push({ metric: s.metric, value: s.value });
        break;
      }
      case 'sum':
        out.push({ metric: g.metric, value: kahanSum(values) });
        break;
      case 'avg':
        out.push({ metric: g.metric, value: mean(values) });
        break;
      case 'min':
        out.push({ metric: g.metric, value: minOf(values) });
        break;
      case 'max':
        out.push({ metric: g.metric, value: maxOf(values) });
        break;
      case 'count':
        out.push({ metric: g.metric, value: values.length });
        break;
      case 'group':
        out.push({ metric: g.metric, value: 1 });
        break;
      case 'stddev':
        out.push({ metric: g.metric, value: Math.sqrt(variance(values)) });
        break;
      case 'stdvar':
        out.push({ metric: g.metric, value: variance(values) });
        break;
      case 'quantile':
        out.push({ metric: g.metric, value: quantile((param as { value: number }).value, values) });
        break;
    }
  }
  return out;
}

function point(ms: number, value: number): Point {
  return [ms / 1000, formatPromValue(value)];
}

/** Evaluates `expr` at instant `t` (ms). */
export async function instantQuery(expr: Expr, t: number, storage: Storage, options: EngineOptions): Promise<QueryResult> {
  const ev = new Evaluator(options, t, t);
  await ev.load(expr, storage);
  const v = ev.eval(expr, t);
  switch (v.type) {
    case 'scalar':
      return { resultType: 'scalar', result: point(t, v.value) };
    case 'string':
      return { resultType: 'string', result: [t / 1000, v.value] };
    case 'vector':
      return { resultType: 'vector', result: v.samples.map((s) => ({ metric: s.metric, value: point(t, s.value) })) };
    case 'matrix':
      return {
        resultType: 'matrix',
        result: v.series.map((s) => ({ metric: s.metric, values: Array.from(s.t, (ts, i) => point(ts, s.v[i])) })),
      };
  }
}

/** Evaluates `expr` at start, start + step, …, ≤ end (ms); the caller has checked the step count. */
export async function rangeQuery(
  expr: Expr,
  start: number,
  end: number,
  step: number,
  storage: Storage,
  options: EngineOptions,
): Promise<QueryResult> {
  const type = typeOf(expr);
  if (type !== 'scalar' && type !== 'vector') {
    const name = type === 'matrix' ? 'range vector' : 'string';
    throw new RangeQueryTypeError(`invalid expression type "${name}" for range query, must be Scalar or instant Vector`);
  }
  const ev = new Evaluator(options, start, end);
  await ev.load(expr, storage);
  const bySeries = new Map<string, { metric: Labels; values: Point[] }>();
  // Label sets are mostly the same objects from step to step: found by identity first, by key otherwise.
  const byObject = new Map<Labels, { metric: Labels; values: Point[] }>();
  const steps = stepCount(start, end, step);
  const scalarLabels: Labels = {};
  let points = 0;
  for (let k = 0; k < steps; k++) {
    const t = start + k * step;
    const v = ev.eval(expr, t);
    const samples = v.type === 'scalar' ? [{ metric: scalarLabels, value: v.value }] : v.type === 'vector' ? v.samples : [];
    for (const s of samples) {
      let series = byObject.get(s.metric);
      if (series === undefined) {
        const key = labelsKey(s.metric);
        series = bySeries.get(key);
        if (series === undefined) {
          series = { metric: s.metric, values: [] };
          bySeries.set(key, series);
        }
        byObject.set(s.metric, series);
      }
      series.values.push(point(t, s.value));
      if (++points > options.maxSamples) throw new TooManySamplesInQueryError();
    }
  }
  const result = [...bySeries.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s);
  return { resultType: 'matrix', result };
}

/** A range query over an expression that is not a scalar or an instant vector: 400 `bad_data`. */
export class RangeQueryTypeError extends Error {}
