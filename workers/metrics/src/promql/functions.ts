/**
 * The PromQL functions on float samples, as Prometheus 3.x computes them (promql/functions.go,
 * promql/quantile.go), evaluated at one instant on already-evaluated arguments.
 */
import { parseGoFloat } from '@pushpull/wire/prometheus-text/exposition';
import { RE2JS } from 're2js';
import type { Expr } from './ast';
import { dropName, EvalError, type Labels, type RangeSeries, type Sample, type Value } from './values';

/** What a function sees besides its arguments. */
export interface CallContext {
  /** The evaluation instant (ms). */
  t: number;
  /** The argument expressions (absent() reads the selector's matchers). */
  argExprs: readonly Expr[];
}

type Vec = Extract<Value, { type: 'vector' }>;
type Mat = Extract<Value, { type: 'matrix' }>;

const vec = (samples: Sample[]): Vec => ({ type: 'vector', samples });
const asVec = (v: Value): Sample[] => (v as Vec).samples;
const asMat = (v: Value): Mat => v as Mat;
const asNum = (v: Value): number => (v as { value: number }).value;
const asStr = (v: Value): string => (v as { value: string }).value;

function mapValues(v: Value, f: (x: number) => number): Vec {
  return vec(asVec(v).map((s) => ({ metric: dropName(s.metric), value: f(s.value) })));
}

const MATH: Record<string, (x: number) => number> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  exp: Math.exp,
  sqrt: Math.sqrt,
  ln: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  sgn: (x) => (x > 0 ? 1 : x < 0 ? -1 : x),
  acos: Math.acos,
  acosh: Math.acosh,
  asin: Math.asin,
  asinh: Math.asinh,
  atan: Math.atan,
  atanh: Math.atanh,
  cos: Math.cos,
  cosh: Math.cosh,
  sin: Math.sin,
  sinh: Math.sinh,
  tan: Math.tan,
  tanh: Math.tanh,
  deg: (x) => (x * 180) / Math.PI,
  rad: (x) => (x * Math.PI) / 180,
};

/** Applies `f` to each series of a range vector that has samples; `keepName` for last_over_time. */
function overTime(m: Mat, f: (s: RangeSeries) => number | undefined, keepName = false): Vec {
  const out: Sample[] = [];
  for (const s of m.series) {
    if (s.t.length === 0) continue;
    const value = f(s);
    if (value === undefined) continue;
    out.push({ metric: keepName ? s.metric : dropName(s.metric), value });
  }
  return vec(out);
}

/** Prometheus's extrapolatedRate (rate, increase, delta). */
function extrapolatedRate(m: Mat, isCounter: boolean, isRate: boolean): Vec {
  return overTime(m, (s) => {
    const n = s.t.length;
    if (n < 2) return undefined;
    const firstT = s.t[0];
    const lastT = s.t[n - 1];
    let result = s.v[n - 1] - s.v[0];
    if (isCounter) {
      let last = s.v[0];
      for (let i = 1; i < n; i++) {
        if (s.v[i] < last) result += last;
        last = s.v[i];
      }
    }
    let durationToStart = (firstT - m.rangeStart) / 1000;
    const durationToEnd = (m.rangeEnd - lastT) / 1000;
    const sampledInterval = (lastT - firstT) / 1000;
    const averageBetween = sampledInterval / (n - 1);
    if (isCounter && result > 0 && s.v[0] >= 0) {
      const durationToZero = sampledInterval * (s.v[0] / result);
      if (durationToZero < durationToStart) durationToStart = durationToZero;
    }
    const threshold = averageBetween * 1.1;
    let interval = sampledInterval;
    interval += durationToStart < threshold ? durationToStart : averageBetween / 2;
    interval += durationToEnd < threshold ? durationToEnd : averageBetween / 2;
    let factor = interval / sampledInterval;
    if (isRate) factor /= m.rangeMs / 1000;
    return result * factor;
  });
}

/** irate and idelta: the last two samples. */
function instantDelta(m: Mat, isRate: boolean): Vec {
  return overTime(m, (s) => {
    const n = s.t.length;
    if (n < 2) return undefined;
    const last = s.v[n - 1];
    const prev = s.v[n - 2];
    let result = last - prev;
    if (isRate && last < prev) result = last;
    const interval = s.t[n - 1] - s.t[n - 2];
    if (interval === 0) return undefined;
    if (isRate) result /= interval / 1000;
    return result;
  });
}

function kahanInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (!Number.isFinite(t)) return [t, 0];
  if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  return [t, c];
}

/** Prometheus's linearRegression: slope and intercept at `interceptTime`. */
function linearRegression(s: RangeSeries, interceptTime: number): [number, number] {
  let n = 0;
  let sumX = 0;
  let cX = 0;
  let sumY = 0;
  let cY = 0;
  let sumXY = 0;
  let cXY = 0;
  let sumX2 = 0;
  let cX2 = 0;
  const initY = s.v[0];
  let constY = true;
  for (let i = 0; i < s.t.length; i++) {
    const y = s.v[i];
    if (constY && i > 0 && y !== initY) constY = false;
    n += 1;
    const x = (s.t[i] - interceptTime) / 1000;
    [sumX, cX] = kahanInc(x, sumX, cX);
    [sumY, cY] = kahanInc(y, sumY, cY);
    [sumXY, cXY] = kahanInc(x * y, sumXY, cXY);
    [sumX2, cX2] = kahanInc(x * x, sumX2, cX2);
  }
  if (constY) {
    if (!Number.isFinite(initY)) return [NaN, NaN];
    return [0, initY];
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  const intercept = sumY / n - (slope * sumX) / n;
  return [slope, intercept];
}

/** Float samples, as a list or a view into the loaded ones. */
type Numbers = readonly number[] | Float64Array;

/** Prometheus's quantile of a list of values (φ outside [0, 1] gives ±Inf). */
export function quantile(q: number, values: Numbers): number {
  if (values.length === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const sorted = Array.from(values).sort((a, b) => (Number.isNaN(a) ? -1 : Number.isNaN(b) ? 1 : a - b));
  const n = sorted.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return sorted[lower] * (1 - weight) + sorted[upper] * weight;
}

/** Kahan-compensated sum, as Prometheus's sum and sum_over_time. */
export function kahanSum(values: Numbers): number {
  let sum = 0;
  let c = 0;
  for (const x of values) [sum, c] = kahanInc(x, sum, c);
  return Number.isFinite(sum) ? sum + c : sum;
}

/** The smallest value, NaN only when every value is (Prometheus's min and min_over_time). */
export function minOf(values: Numbers): number {
  let m = values[0];
  for (const x of values) if (x < m || Number.isNaN(m)) m = x;
  return m;
}

/** The largest value, NaN only when every value is (Prometheus's max and max_over_time). */
export function maxOf(values: Numbers): number {
  let m = values[0];
  for (const x of values) if (x > m || Number.isNaN(m)) m = x;
  return m;
}

/** Samples by value, ascending or descending, NaN last (sort, sort_desc, topk and bottomk output). */
export function byValue(desc: boolean): (a: Sample, b: Sample) => number {
  return (a, b) => {
    if (Number.isNaN(a.value)) return Number.isNaN(b.value) ? 0 : 1;
    if (Number.isNaN(b.value)) return -1;
    return desc ? b.value - a.value : a.value - b.value;
  };
}

/** The mean, Kahan-compensated; the incremental mean where the sum overflows (avg, avg_over_time). */
export function mean(values: Numbers): number {
  const total = kahanSum(values);
  if (!Number.isFinite(total) && Array.from(values).every(Number.isFinite)) {
    // Overflow: the incremental mean, as Prometheus falls back to.
    let m = 0;
    Array.from(values).forEach((x, i) => (m += (x - m) / (i + 1)));
    return m;
  }
  return total / values.length;
}

/** The population variance, Welford's way (stdvar, stddev and their _over_time). */
export function variance(values: Numbers): number {
  let count = 0;
  let m = 0;
  let acc = 0;
  for (const x of values) {
    count++;
    const delta = x - m;
    m += delta / count;
    acc += delta * (x - m);
  }
  return acc / count;
}

/** histogram_quantile's bucket interpolation (promql/quantile.go bucketQuantile). */
function bucketQuantile(q: number, input: Array<{ upper: number; count: number }>): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const sorted = [...input].sort((a, b) => a.upper - b.upper);
  if (sorted.length === 0 || sorted[sorted.length - 1].upper !== Infinity) return NaN;
  const buckets: Array<{ upper: number; count: number }> = [];
  for (const b of sorted) {
    const last = buckets[buckets.length - 1];
    if (last !== undefined && last.upper === b.upper) last.count += b.count;
    else buckets.push({ ...b });
  }
  for (let i = 1; i < buckets.length; i++) if (buckets[i].count < buckets[i - 1].count) buckets[i].count = buckets[i - 1].count;
  if (buckets.length < 2) return NaN;
  const observations = buckets[buckets.length - 1].count;
  if (observations === 0) return NaN;
  let rank = q * observations;
  let b = 0;
  while (b < buckets.length - 1 && !(buckets[b].count >= rank)) b++;
  if (b === buckets.length - 1) return buckets[buckets.length - 2].upper;
  if (b === 0 && buckets[0].upper <= 0) return buckets[0].upper;
  let bucketStart = 0;
  const bucketEnd = buckets[b].upper;
  let count = buckets[b].count;
  if (b > 0) {
    bucketStart = buckets[b - 1].upper;
    count -= buckets[b - 1].count;
    rank -= buckets[b - 1].count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

function histogramQuantile(q: number, samples: Sample[]): Vec {
  const groups = new Map<string, { metric: Labels; buckets: Array<{ upper: number; count: number }> }>();
  for (const s of samples) {
    const le = s.metric.le;
    const upper = le === undefined ? undefined : parseGoFloat(le);
    if (upper === undefined) continue;
    const metric = dropName(s.metric);
    const rest: Labels = { ...metric };
    delete rest.le;
    const key = JSON.stringify(Object.entries(rest).sort());
    let g = groups.get(key);
    if (g === undefined) {
      g = { metric: rest, buckets: [] };
      groups.set(key, g);
    }
    g.buckets.push({ upper, count: s.value });
  }
  return vec([...groups.values()].map((g) => ({ metric: g.metric, value: bucketQuantile(q, g.buckets) })));
}

/** A Go regexp replacement template ($1, ${1}, $name, $$) expanded against a match. */
function expandTemplate(template: string, groups: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c !== '$' || i === template.length - 1) {
      out += c;
      continue;
    }
    const next = template[i + 1];
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string;
    if (next === '{') {
      const close = template.indexOf('}', i + 2);
      if (close < 0) {
        out += c;
        continue;
      }
      name = template.slice(i + 2, close);
      if (!/^[A-Za-z0-9_]+$/.test(name)) {
        out += c;
        continue;
      }
      i = close;
    } else {
      const m = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
      if (m === null) {
        out += c;
        continue;
      }
      name = m[0];
      i += name.length;
    }
    out += groups(name) ?? '';
  }
  return out;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function labelReplace(samples: Sample[], dst: string, replacement: string, src: string, regex: string): Vec {
  let re: RE2JS;
  try {
    RE2JS.compile(regex);
    re = RE2JS.compile(`^(?:${regex})$`, RE2JS.DOTALL);
  } catch (e) {
    throw new EvalError(`invalid regular expression in label_replace(): ${regex}: ${(e as Error).message}`);
  }
  if (!LABEL_NAME.test(dst)) throw new EvalError(`invalid destination label name in label_replace(): ${dst}`);
  return vec(
    samples.map((s) => {
      const value = s.metric[src] ?? '';
      const m = re.matcher(value);
      if (!m.matches()) return s;
      const named = (name: string): string | undefined => {
        if (/^\d+$/.test(name)) {
          const n = Number(name);
          return n <= m.groupCount() ? (m.group(n) ?? '') : '';
        }
        try {
          return m.group(name) ?? '';
        } catch {
          return '';
        }
      };
      const result = expandTemplate(replacement, named);
      const metric: Labels = { ...s.metric };
      if (result === '') delete metric[dst];
      else metric[dst] = result;
      return { metric, value: s.value, ts: s.ts };
    }),
  );
}

function labelJoin(samples: Sample[], dst: string, sep: string, srcs: string[]): Vec {
  if (!LABEL_NAME.test(dst)) throw new EvalError(`invalid destination label name in label_join(): ${dst}`);
  for (const s of srcs) if (!LABEL_NAME.test(s)) throw new EvalError(`invalid source label name in label_join(): ${s}`);
  return vec(
    samples.map((s) => {
      const joined = srcs.map((n) => s.metric[n] ?? '').join(sep);
      const metric: Labels = { ...s.metric };
      if (joined === '') delete metric[dst];
      else metric[dst] = joined;
      return { metric, value: s.value, ts: s.ts };
    }),
  );
}

/** absent()/absent_over_time(): the labels of the selector's equality matchers. */
function absentLabels(e: Expr | undefined): Labels {
  let node = e;
  while (node?.kind === 'paren') node = node.expr;
  const selector = node?.kind === 'vector' ? node : node?.kind === 'matrix' ? node.vector : undefined;
  if (selector === undefined) return {};
  const out: Labels = {};
  const dup = new Set<string>();
  for (const m of selector.matchers) {
    if (m.name === '__name__') continue;
    if (m.type === '=') {
      if (m.name in out) dup.add(m.name);
      out[m.name] = m.value;
    }
  }
  for (const d of dup) delete out[d];
  return out;
}

function calendar(args: Value[], t: number, f: (d: Date) => number): Vec {
  const input: Sample[] = args.length === 0 ? [{ metric: {}, value: t / 1000 }] : asVec(args[0]);
  return vec(
    input.map((s) => {
      const ms = Math.trunc(s.value) * 1000;
      const value = Number.isFinite(s.value) ? f(new Date(ms)) : NaN;
      return { metric: dropName(s.metric), value };
    }),
  );
}

function daysInMonth(d: Date): number {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
}

function dayOfYear(d: Date): number {
  return Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
}

/** Go's math.Round(x*inv)/inv with Prometheus's `floor(x*inv + 0.5) / inv`. */
function round(x: number, toNearest: number): number {
  const inv = 1 / toNearest;
  return Math.floor(x * inv + 0.5) / inv;
}

function holtWinters(m: Mat, sf: number, tf: number): Vec {
  if (!(sf > 0 && sf < 1)) throw new EvalError(`invalid smoothing factor. Expected: 0 < sf < 1, got: ${sf}`);
  if (!(tf > 0 && tf < 1)) throw new EvalError(`invalid trend factor. Expected: 0 < tf < 1, got: ${tf}`);
  return overTime(m, (s) => {
    const n = s.v.length;
    if (n < 2) return undefined;
    let s0 = 0;
    let s1 = s.v[0];
    let b = s.v[1] - s.v[0];
    for (let i = 1; i < n; i++) {
      const x = sf * s.v[i];
      if (i - 1 !== 0) b = tf * (s1 - s0) + (1 - tf) * b;
      const y = (1 - sf) * (s1 + b);
      s0 = s1;
      s1 = x + y;
    }
    return s1;
  });
}

/** Evaluates function `name` on evaluated arguments. */
export function callFunction(name: string, args: Value[], ctx: CallContext): Value {
  const math = MATH[name];
  if (math !== undefined) return mapValues(args[0], math);
  switch (name) {
    case 'time':
      return { type: 'scalar', value: ctx.t / 1000 };
    case 'pi':
      return { type: 'scalar', value: Math.PI };
    case 'vector':
      return vec([{ metric: {}, value: asNum(args[0]) }]);
    case 'scalar': {
      const s = asVec(args[0]);
      return { type: 'scalar', value: s.length === 1 ? s[0].value : NaN };
    }
    case 'timestamp':
      return vec(asVec(args[0]).map((s) => ({ metric: dropName(s.metric), value: (s.ts ?? ctx.t) / 1000 })));
    case 'clamp': {
      const lo = asNum(args[1]);
      const hi = asNum(args[2]);
      if (hi < lo) return vec([]);
      return mapValues(args[0], (x) => Math.max(lo, Math.min(hi, x)));
    }
    case 'clamp_max': {
      const hi = asNum(args[1]);
      return mapValues(args[0], (x) => Math.min(hi, x));
    }
    case 'clamp_min': {
      const lo = asNum(args[1]);
      return mapValues(args[0], (x) => Math.max(lo, x));
    }
    case 'round': {
      const to = args.length > 1 ? asNum(args[1]) : 1;
      return mapValues(args[0], (x) => round(x, to));
    }
    case 'sort':
      return vec([...asVec(args[0])].sort(byValue(false)));
    case 'sort_desc':
      return vec([...asVec(args[0])].sort(byValue(true)));
    case 'absent':
      return asVec(args[0]).length > 0 ? vec([]) : vec([{ metric: absentLabels(ctx.argExprs[0]), value: 1 }]);
    case 'absent_over_time':
      return asMat(args[0]).series.some((s) => s.t.length > 0) ? vec([]) : vec([{ metric: absentLabels(ctx.argExprs[0]), value: 1 }]);
    case 'present_over_time':
      return overTime(asMat(args[0]), () => 1);
    case 'rate':
      return extrapolatedRate(asMat(args[0]), true, true);
    case 'increase':
      return extrapolatedRate(asMat(args[0]), true, false);
    case 'delta':
      return extrapolatedRate(asMat(args[0]), false, false);
    case 'irate':
      return instantDelta(asMat(args[0]), true);
    case 'idelta':
      return instantDelta(asMat(args[0]), false);
    case 'changes':
      return overTime(asMat(args[0]), (s) => {
        let changes = 0;
        for (let i = 1; i < s.v.length; i++) {
          const cur = s.v[i];
          const prev = s.v[i - 1];
          if (cur !== prev && !(Number.isNaN(cur) && Number.isNaN(prev))) changes++;
        }
        return changes;
      });
    case 'resets':
      return overTime(asMat(args[0]), (s) => {
        let resets = 0;
        for (let i = 1; i < s.v.length; i++) if (s.v[i] < s.v[i - 1]) resets++;
        return resets;
      });
    case 'deriv':
      return overTime(asMat(args[0]), (s) => (s.t.length < 2 ? undefined : linearRegression(s, s.t[0])[0]));
    case 'predict_linear': {
      const m = asMat(args[0]);
      const duration = asNum(args[1]);
      return overTime(m, (s) => {
        if (s.t.length < 2) return undefined;
        const [slope, intercept] = linearRegression(s, ctx.t);
        return slope * duration + intercept;
      });
    }
    case 'holt_winters':
    case 'double_exponential_smoothing':
      return holtWinters(asMat(args[0]), asNum(args[1]), asNum(args[2]));
    case 'avg_over_time':
      return overTime(asMat(args[0]), (s) => mean(s.v));
    case 'sum_over_time':
      return overTime(asMat(args[0]), (s) => kahanSum(s.v));
    case 'count_over_time':
      return overTime(asMat(args[0]), (s) => s.v.length);
    case 'min_over_time':
      return overTime(asMat(args[0]), (s) => minOf(s.v));
    case 'max_over_time':
      return overTime(asMat(args[0]), (s) => maxOf(s.v));
    case 'last_over_time':
      return overTime(asMat(args[0]), (s) => s.v[s.v.length - 1], true);
    case 'stddev_over_time':
      return overTime(asMat(args[0]), (s) => Math.sqrt(variance(s.v)));
    case 'stdvar_over_time':
      return overTime(asMat(args[0]), (s) => variance(s.v));
    case 'quantile_over_time': {
      const q = asNum(args[0]);
      return overTime(asMat(args[1]), (s) => quantile(q, s.v));
    }
    case 'histogram_quantile':
      return histogramQuantile(asNum(args[0]), asVec(args[1]));
    case 'label_replace':
      return labelReplace(asVec(args[0]), asStr(args[1]), asStr(args[2]), asStr(args[3]), asStr(args[4]));
    case 'label_join':
      return labelJoin(asVec(args[0]), asStr(args[1]), asStr(args[2]), args.slice(3).map(asStr));
    case 'minute':
      return calendar(args, ctx.t, (d) => d.getUTCMinutes());
    case 'hour':
      return calendar(args, ctx.t, (d) => d.getUTCHours());
    case 'day_of_month':
      return calendar(args, ctx.t, (d) => d.getUTCDate());
    case 'day_of_week':
      return calendar(args, ctx.t, (d) => d.getUTCDay());
    case 'day_of_year':
      return calendar(args, ctx.t, dayOfYear);
    case 'days_in_month':
      return calendar(args, ctx.t, daysInMonth);
    case 'month':
      return calendar(args, ctx.t, (d) => d.getUTCMonth() + 1);
    case 'year':
      return calendar(args, ctx.t, (d) => d.getUTCFullYear());
    default:
      throw new EvalError(`function ${JSON.stringify(name)} is not implemented`);
  }
}
