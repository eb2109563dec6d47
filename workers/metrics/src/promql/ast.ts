/**
 * The PromQL syntax tree the engine evaluates, built from Prometheus's own grammar
 * (`@prometheus-io/lezer-promql`) by parse.ts. Times and durations are milliseconds.
 */
import type { LabelMatcher } from '../selector';

/** The four PromQL value types. */
export type ValueType = 'scalar' | 'string' | 'vector' | 'matrix';

/** `@ <time>`, `@ start()` or `@ end()`. */
export type AtModifier = number | 'start' | 'end';

/** An instant-vector selector. */
interface VectorSelectorNode {
  kind: 'vector';
  matchers: LabelMatcher[];
  offsetMs: number;
  at?: AtModifier;
}

/** `selector[range]`. */
interface MatrixSelectorNode {
  kind: 'matrix';
  vector: VectorSelectorNode;
  rangeMs: number;
}

/** `expr[range:step]`. */
interface SubqueryNode {
  kind: 'subquery';
  expr: Expr;
  rangeMs: number;
  /** Absent: the default evaluation interval (Prometheus's global evaluation_interval, 1 min). */
  stepMs?: number;
  offsetMs: number;
  at?: AtModifier;
}

/** Binary operators, as Prometheus spells them. */
export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '^' | 'atan2' | '==' | '!=' | '>' | '<' | '>=' | '<=' | 'and' | 'or' | 'unless';

/** `on`/`ignoring` and `group_left`/`group_right` of a binary expression between vectors. */
export interface VectorMatching {
  card: 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';
  /** true: `on(labels)`; false: `ignoring(labels)` (the default, with no labels). */
  on: boolean;
  labels: string[];
  /** The labels of `group_left(...)`/`group_right(...)` copied from the "one" side. */
  include: string[];
}

/** The aggregation operators. */
export type AggregateOp =
  'sum' | 'min' | 'max' | 'avg' | 'group' | 'stddev' | 'stdvar' | 'count' | 'count_values' | 'bottomk' | 'topk' | 'quantile';

/** A PromQL expression. */
export type Expr =
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string }
  | VectorSelectorNode
  | MatrixSelectorNode
  | SubqueryNode
  | { kind: 'paren'; expr: Expr }
  | { kind: 'unary'; op: '-' | '+'; expr: Expr }
  | { kind: 'binary'; op: BinaryOp; lhs: Expr; rhs: Expr; bool: boolean; matching?: VectorMatching }
  | { kind: 'call'; name: string; args: Expr[] }
  | { kind: 'aggregate'; op: AggregateOp; expr: Expr; param?: Expr; grouping: string[]; without: boolean };

/** Operators whose result keeps only the samples where the comparison holds (or 0/1 with `bool`). */
export const COMPARISON_OPS: ReadonlySet<BinaryOp> = new Set(['==', '!=', '>', '<', '>=', '<=']);
/** Set operators. */
export const SET_OPS: ReadonlySet<BinaryOp> = new Set(['and', 'or', 'unless']);
