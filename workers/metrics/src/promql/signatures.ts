/**
 * The signatures of the PromQL functions the engine evaluates (Prometheus 3.x's stable float
 * functions, promql/parser/functions.go): argument types, how many trailing arguments may be left
 * out or repeated, and the return type.
 */
import type { ValueType } from './ast';

/** One function's signature. */
export interface FunctionSignature {
  args: ValueType[];
  /** Trailing arguments that may be left out (round's to_nearest, the calendar functions' vector). */
  optional?: number;
  /** The last argument repeats any number of times, zero included (label_join's source labels). */
  variadic?: boolean;
  ret: ValueType;
}

const v: ValueType = 'vector';
const m: ValueType = 'matrix';
const s: ValueType = 'scalar';
const str: ValueType = 'string';

const vectorMath = [
  'abs',
  'ceil',
  'floor',
  'exp',
  'sqrt',
  'ln',
  'log2',
  'log10',
  'sgn',
  'acos',
  'acosh',
  'asin',
  'asinh',
  'atan',
  'atanh',
  'cos',
  'cosh',
  'sin',
  'sinh',
  'tan',
  'tanh',
  'deg',
  'rad',
];
const overTime = [
  'avg_over_time',
  'min_over_time',
  'max_over_time',
  'sum_over_time',
  'count_over_time',
  'last_over_time',
  'present_over_time',
  'stddev_over_time',
  'stdvar_over_time',
  'absent_over_time',
  'changes',
  'resets',
  'rate',
  'irate',
  'increase',
  'delta',
  'idelta',
  'deriv',
];
const calendar = ['minute', 'hour', 'day_of_month', 'day_of_week', 'day_of_year', 'days_in_month', 'month', 'year'];

/** Every function the engine knows, by name. */
export const FUNCTIONS: Readonly<Record<string, FunctionSignature>> = {
  ...Object.fromEntries(vectorMath.map((name) => [name, { args: [v], ret: v }])),
  ...Object.fromEntries(overTime.map((name) => [name, { args: [m], ret: v }])),
  ...Object.fromEntries(calendar.map((name) => [name, { args: [v], optional: 1, ret: v }])),
  absent: { args: [v], ret: v },
  clamp: { args: [v, s, s], ret: v },
  clamp_max: { args: [v, s], ret: v },
  clamp_min: { args: [v, s], ret: v },
  round: { args: [v, s], optional: 1, ret: v },
  quantile_over_time: { args: [s, m], ret: v },
  predict_linear: { args: [m, s], ret: v },
  holt_winters: { args: [m, s, s], ret: v },
  double_exponential_smoothing: { args: [m, s, s], ret: v },
  histogram_quantile: { args: [s, v], ret: v },
  label_replace: { args: [v, str, str, str, str], ret: v },
  label_join: { args: [v, str, str, str], variadic: true, ret: v },
  scalar: { args: [v], ret: s },
  vector: { args: [s], ret: v },
  sort: { args: [v], ret: v },
  sort_desc: { args: [v], ret: v },
  time: { args: [], ret: s },
  timestamp: { args: [v], ret: v },
  pi: { args: [], ret: s },
};

/** Prometheus functions on native histograms only, refused by name (native histograms are out of scope). */
export const NATIVE_HISTOGRAM_FUNCTIONS: ReadonlySet<string> = new Set([
  'histogram_count',
  'histogram_sum',
  'histogram_avg',
  'histogram_fraction',
  'histogram_stddev',
  'histogram_stdvar',
]);
