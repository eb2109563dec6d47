/**
 * PromQL text → syntax tree (ast.ts), read with Prometheus's own grammar (`@prometheus-io/lezer-promql`)
 * and type-checked as Prometheus's parser does (promql/parser/parse.go checkAST): every error is a
 * `1:<col>: parse error: …` (400 `bad_data` on the API), worded as Prometheus words it.
 */
import type { SyntaxNode } from '@lezer/common';
import { parsePromDuration } from '@pushpull/wire/prometheus-model/duration';
import { child, describeAt, fail, numberLiteral, stringLiteral, text, topExpression, vectorMatchers } from '../selector';
import {
  COMPARISON_OPS,
  SET_OPS,
  type AggregateOp,
  type AtModifier,
  type BinaryOp,
  type Expr,
  type ValueType,
  type VectorMatching,
} from './ast';
import { FUNCTIONS, NATIVE_HISTOGRAM_FUNCTIONS } from './signatures';

const BINARY_OPS: Record<string, BinaryOp> = {
  Add: '+',
  Sub: '-',
  Mul: '*',
  Div: '/',
  Mod: '%',
  Pow: '^',
  Atan2: 'atan2',
  Eql: '==',
  Neq: '!=',
  Gtr: '>',
  Lss: '<',
  Gte: '>=',
  Lte: '<=',
  And: 'and',
  Or: 'or',
  Unless: 'unless',
};

const TYPE_NAMES: Record<ValueType, string> = { scalar: 'scalar', string: 'string', vector: 'instant vector', matrix: 'range vector' };

/**
 * Prometheus's lexer reads `1.` and `.5` as numbers; the lezer grammar does not take a trailing dot.
 * Such dots (outside strings and label matchers' values) get a `0` so that both read the same number.
 */
function normaliseNumbers(input: string): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < input.length && input[j] !== c) j += c !== '`' && input[j] === '\\' ? 2 : 1;
      out += input.slice(i, j + 1);
      i = j;
      continue;
    }
    if (c === '#') {
      const end = input.indexOf('\n', i);
      const stop = end < 0 ? input.length : end;
      out += input.slice(i, stop);
      i = stop - 1;
      continue;
    }
    out += c;
    // A digit run, a dot, and then no digit and no identifier character: `1.` → `1.0`.
    if (c === '.' && i > 0 && /[0-9]/.test(input[i - 1]) && !/[0-9A-Za-z_.]/.test(input[i + 1] ?? '')) {
      let k = i - 1;
      while (k >= 0 && /[0-9]/.test(input[k])) k--;
      if (k < 0 || !/[A-Za-z_:.]/.test(input[k])) out += '0';
    }
  }
  return out;
}

/** Parses and type-checks a PromQL expression. Throws SelectorParseError. */
export function parsePromQL(raw: string): Expr {
  const input = normaliseNumbers(raw);
  return new Reader(input).expr(topExpression(input));
}

/** The value type of an expression. */
export function typeOf(e: Expr): ValueType {
  switch (e.kind) {
    case 'number':
      return 'scalar';
    case 'string':
      return 'string';
    case 'vector':
      return 'vector';
    case 'matrix':
    case 'subquery':
      return 'matrix';
    case 'paren':
    case 'unary':
      return typeOf(e.expr);
    case 'binary':
      return typeOf(e.lhs) === 'scalar' && typeOf(e.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'call':
      return FUNCTIONS[e.name]?.ret ?? 'vector';
    case 'aggregate':
      return 'vector';
  }
}

class Reader {
  constructor(private readonly input: string) {}

  private children(node: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let c = node.firstChild; c !== null; c = c.nextSibling) if (c.name !== 'LineComment') out.push(c);
    return out;
  }

  expr(node: SyntaxNode): Expr {
    const input = this.input;
    switch (node.name) {
      case 'NumberDurationLiteral':
        return { kind: 'number', value: numberLiteral(input, node) };
      case 'StringLiteral':
        return { kind: 'string', value: stringLiteral(input, node) };
      case 'ParenExpr': {
        const inner = child(node);
        if (inner === null) return fail(node.from, 'no expression found in parentheses');
        return { kind: 'paren', expr: this.expr(inner) };
      }
      case 'VectorSelector':
        return { kind: 'vector', matchers: vectorMatchers(input, node), offsetMs: 0 };
      case 'MatrixSelector': {
        const [inner] = this.children(node);
        const range = node.getChild('DurationExpr');
        if (inner === undefined || range === null) return fail(node.from, 'malformed range selector');
        const rangeMs = this.duration(range, false);
        if (rangeMs <= 0) fail(range.from, `range must be positive, got ${JSON.stringify(text(input, range))}`);
        // The grammar reads `a - b[5m]` as `(a - b)[5m]`; Prometheus gives the range to `b`.
        return this.rightmost(this.expr(inner), node.from, (e) => {
          if (e.kind !== 'vector') return fail(node.from, 'ranges only allowed for vector selectors');
          return { kind: 'matrix', vector: e, rangeMs };
        });
      }
      case 'SubqueryExpr': {
        const [inner, ...durations] = this.children(node).filter((c) => c.name !== '⚠');
        const exprNode = inner;
        const expr = this.expr(exprNode);
        if (typeOf(expr) !== 'vector')
          fail(exprNode.from, `subquery is only allowed on instant vector, got ${TYPE_NAMES[typeOf(expr)]} instead`);
        const ranges = durations.filter((d) => d.name === 'DurationExpr');
        const rangeMs = this.duration(ranges[0], false);
        if (rangeMs <= 0) fail(ranges[0].from, 'range must be positive');
        const stepMs = ranges[1] ? this.duration(ranges[1], false) : undefined;
        if (stepMs !== undefined && stepMs <= 0) fail(ranges[1].from, 'step must be positive');
        return { kind: 'subquery', expr, rangeMs, stepMs, offsetMs: 0 };
      }
      case 'OffsetExpr': {
        const [inner] = this.children(node);
        const target = this.expr(inner);
        const d = node.getChild('OffsetDurationExpr');
        if (d === null) return fail(node.from, 'malformed offset');
        const offsetMs = this.duration(d, true);
        return this.rightmost(target, node.from, (e) => this.withOffset(e, offsetMs, node.from));
      }
      case 'StepInvariantExpr':
        return this.at(node);
      case 'UnaryExpr': {
        const op = node.getChild('UnaryOp');
        const [, inner] = this.children(node);
        const expr = this.expr(inner);
        const t = typeOf(expr);
        if (t !== 'scalar' && t !== 'vector')
          fail(
            node.from,
            `unary expression only allowed on expressions of type scalar or instant vector, got ${JSON.stringify(TYPE_NAMES[t])}`,
          );
        return { kind: 'unary', op: op !== null && text(input, op) === '-' ? '-' : '+', expr };
      }
      case 'BinaryExpr':
        return this.binary(node);
      case 'FunctionCall':
        return this.call(node);
      case 'AggregateExpr':
        return this.aggregate(node);
      default:
        return fail(node.from, `unexpected ${node.name} ${describeAt(input, node.from)}`);
    }
  }

  /** A duration: `5m`, `90` (seconds), `1.5`; with `signed`, a leading `-` (negative offsets). */
  private duration(node: SyntaxNode, signed: boolean): number {
    const raw = text(this.input, node).replace(/\s+/g, '');
    let body = raw;
    let sign = 1;
    if (signed && (body.startsWith('-') || body.startsWith('+'))) {
      sign = body.startsWith('-') ? -1 : 1;
      body = body.slice(1);
    }
    let ms: number | undefined;
    if (/^\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(body)) ms = Math.round(Number(body) * 1000);
    else ms = parsePromDuration(body);
    if (ms === undefined || !Number.isFinite(ms)) return fail(node.from, `bad number or duration syntax: ${JSON.stringify(raw)}`);
    return sign * ms;
  }

  private withOffset(target: Expr, offsetMs: number, pos: number): Expr {
    if (target.kind === 'vector' || target.kind === 'subquery') {
      if (target.offsetMs !== 0) fail(pos, 'offset may not be set multiple times');
      return { ...target, offsetMs };
    }
    if (target.kind === 'matrix') {
      if (target.vector.offsetMs !== 0) fail(pos, 'offset may not be set multiple times');
      return { ...target, vector: { ...target.vector, offsetMs } };
    }
    return fail(pos, 'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery');
  }

  /**
   * Applies a postfix modifier (range, offset, `@`) to the operand it belongs to: the grammar attaches
   * it to a whole binary or unary expression (`a - b offset 1m`), Prometheus to its last operand.
   */
  private rightmost(e: Expr, pos: number, apply: (e: Expr) => Expr): Expr {
    if (e.kind === 'binary') {
      const rhs = this.rightmost(e.rhs, pos, apply);
      return this.recheckBinary({ ...e, rhs }, pos);
    }
    if (e.kind === 'unary') return { ...e, expr: this.rightmost(e.expr, pos, apply) };
    return apply(e);
  }

  private recheckBinary(e: Extract<Expr, { kind: 'binary' }>, pos: number): Expr {
    const rt = typeOf(e.rhs);
    if (rt !== 'scalar' && rt !== 'vector') fail(pos, 'binary expression must contain only scalar and instant vector types');
    return e;
  }

  private at(node: SyntaxNode): Expr {
    const [inner] = this.children(node);
    return this.rightmost(this.expr(inner), node.from, (target) => this.applyAt(node, target));
  }

  private applyAt(node: SyntaxNode, target: Expr): Expr {
    let at: AtModifier;
    const pre = node.getChild('AtModifierPreprocessors');
    if (pre !== null) at = text(this.input, pre) === 'start' ? 'start' : 'end';
    else {
      const literal = node.getChild('NumberDurationLiteral');
      if (literal === null) return fail(node.from, 'malformed @ modifier');
      const seconds = numberLiteral(this.input, literal);
      // Prometheus's bound: the time must fit int64 milliseconds.
      if (!Number.isFinite(seconds) || Math.abs(seconds * 1000) > 9.223372036854776e18) {
        fail(literal.from, `timestamp out of bounds for @ modifier: ${seconds}`);
      }
      at = Math.round(seconds * 1000);
    }
    const set = (x: { at?: AtModifier }): void => {
      if (x.at !== undefined) fail(node.from, '@ <timestamp> may not be set multiple times');
    };
    if (target.kind === 'vector' || target.kind === 'subquery') {
      set(target);
      return { ...target, at };
    }
    if (target.kind === 'matrix') {
      set(target.vector);
      return { ...target, vector: { ...target.vector, at } };
    }
    return fail(node.from, '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery');
  }

  private binary(node: SyntaxNode): Expr {
    const parts = this.children(node);
    const lhsNode = parts[0];
    const rhsNode = parts[parts.length - 1];
    const opNode = parts.find((p) => BINARY_OPS[p.name] !== undefined && p !== lhsNode && p !== rhsNode);
    if (opNode === undefined) return fail(node.from, 'malformed binary expression');
    const op = BINARY_OPS[opNode.name];
    const bool = node.getChild('BoolModifier') !== null;
    if (op === '^' && lhsNode.name === 'NumberDurationLiteral' && /^[+-]/.test(text(this.input, lhsNode))) {
      // The grammar folds the sign into the literal: `-2 ^ 2` is `-(2 ^ 2)` in Prometheus (^ binds tighter).
      const signed = numberLiteral(this.input, lhsNode);
      const negative = text(this.input, lhsNode).startsWith('-');
      const inner: Expr = {
        kind: 'binary',
        op,
        lhs: { kind: 'number', value: negative ? -signed : signed },
        rhs: this.expr(rhsNode),
        bool: false,
      };
      if (typeOf(inner.rhs) !== 'scalar' && typeOf(inner.rhs) !== 'vector')
        fail(node.from, 'binary expression must contain only scalar and instant vector types');
      return { kind: 'unary', op: negative ? '-' : '+', expr: inner };
    }
    const lhs = this.expr(lhsNode);
    const rhs = this.expr(rhsNode);
    const lt = typeOf(lhs);
    const rt = typeOf(rhs);
    for (const t of [lt, rt]) {
      if (t !== 'scalar' && t !== 'vector') fail(node.from, 'binary expression must contain only scalar and instant vector types');
    }
    if (bool && !COMPARISON_OPS.has(op)) fail(node.from, 'bool modifier can only be used on comparison operators');
    if (COMPARISON_OPS.has(op) && !bool && lt === 'scalar' && rt === 'scalar')
      fail(node.from, 'comparisons between scalars must use BOOL modifier');
    if (SET_OPS.has(op) && (lt === 'scalar' || rt === 'scalar'))
      fail(node.from, `set operator "${op}" not allowed in binary scalar expression`);
    const clause = node.getChild('MatchingModifierClause');
    if (lt !== 'vector' || rt !== 'vector') {
      if (clause !== null) fail(clause.from, 'vector matching only allowed between instant vectors');
      return { kind: 'binary', op, lhs, rhs, bool };
    }
    const m: VectorMatching = { card: SET_OPS.has(op) ? 'many-to-many' : 'one-to-one', on: false, labels: [], include: [] };
    if (clause !== null) {
      const groups = clause.getChildren('GroupingLabels');
      m.on = clause.getChild('On') !== null;
      m.labels = groups[0] ? this.labelList(groups[0]) : [];
      if (clause.getChild('GroupLeft') !== null || clause.getChild('GroupRight') !== null) {
        if (SET_OPS.has(op)) fail(clause.from, `no grouping allowed for "${op}" operation`);
        m.card = clause.getChild('GroupLeft') !== null ? 'many-to-one' : 'one-to-many';
        m.include = groups[1] ? this.labelList(groups[1]) : [];
        if (m.on) {
          for (const l of m.include)
            if (m.labels.includes(l)) fail(clause.from, `label "${l}" must not occur in ON and GROUP clause at once`);
        }
      }
    }
    return { kind: 'binary', op, lhs, rhs, bool, matching: m };
  }

  private labelList(node: SyntaxNode): string[] {
    const out: string[] = [];
    for (const c of this.children(node)) {
      if (c.name === 'LabelName') out.push(text(this.input, c));
      else if (c.name === 'QuotedLabelName' || c.name === 'StringLiteral')
        out.push(stringLiteral(this.input, c.getChild('StringLiteral') ?? c));
    }
    return out;
  }

  private args(node: SyntaxNode): Expr[] {
    const body = node.getChild('FunctionCallBody');
    if (body === null) return [];
    return this.children(body)
      .filter((c) => c.name !== '⚠')
      .map((c) => this.expr(c));
  }

  private call(node: SyntaxNode): Expr {
    const id = node.getChild('FunctionIdentifier');
    const name = id === null ? '' : text(this.input, id);
    if (NATIVE_HISTOGRAM_FUNCTIONS.has(name))
      fail(node.from, `function "${name}" works on native histograms, which pushpull does not store`);
    const sig = FUNCTIONS[name];
    if (sig === undefined) return fail(node.from, `unknown function with name ${JSON.stringify(name)}`);
    const args = this.args(node);
    const min = sig.args.length - (sig.variadic ? 1 : (sig.optional ?? 0));
    if (sig.variadic) {
      if (args.length < min) fail(node.from, `expected at least ${min} argument(s) in call to ${JSON.stringify(name)}, got ${args.length}`);
    } else if (sig.optional) {
      if (args.length < min) fail(node.from, `expected at least ${min} argument(s) in call to ${JSON.stringify(name)}, got ${args.length}`);
      if (args.length > sig.args.length)
        fail(node.from, `expected at most ${sig.args.length} argument(s) in call to ${JSON.stringify(name)}, got ${args.length}`);
    } else if (args.length !== sig.args.length) {
      fail(node.from, `expected ${sig.args.length} argument(s) in call to ${JSON.stringify(name)}, got ${args.length}`);
    }
    args.forEach((a, i) => {
      const want = sig.args[Math.min(i, sig.args.length - 1)];
      const got = typeOf(a);
      if (got !== want)
        fail(node.from, `expected type ${TYPE_NAMES[want]} in call to function ${JSON.stringify(name)}, got ${TYPE_NAMES[got]}`);
    });
    return { kind: 'call', name, args };
  }

  private aggregate(node: SyntaxNode): Expr {
    const opNode = node.getChild('AggregateOp');
    const op = (opNode === null ? '' : text(this.input, opNode)) as AggregateOp;
    const args = this.args(node);
    const withParam = op === 'topk' || op === 'bottomk' || op === 'quantile' || op === 'count_values';
    if (['limitk', 'limit_ratio'].includes(op)) fail(node.from, `aggregation ${op} is experimental in Prometheus and not supported`);
    const wanted = withParam ? 2 : 1;
    if (args.length !== wanted)
      fail(node.from, `wrong number of arguments for aggregate expression provided, expected ${wanted}, got ${args.length}`);
    const expr = args[args.length - 1];
    if (typeOf(expr) !== 'vector')
      fail(node.from, `expected type instant vector in aggregation expression, got ${TYPE_NAMES[typeOf(expr)]}`);
    let param: Expr | undefined;
    if (withParam) {
      param = args[0];
      const want: ValueType = op === 'count_values' ? 'string' : 'scalar';
      if (typeOf(param) !== want)
        fail(node.from, `expected type ${TYPE_NAMES[want]} in aggregation parameter, got ${TYPE_NAMES[typeOf(param)]}`);
    }
    const modifier = node.getChild('AggregateModifier');
    let grouping: string[] = [];
    let without = false;
    if (modifier !== null) {
      without = modifier.getChild('Without') !== null;
      const labels = modifier.getChild('GroupingLabels');
      grouping = labels ? this.labelList(labels) : [];
    }
    return { kind: 'aggregate', op, expr, param, grouping, without };
  }
}
